# The crew's workers (orchestrator, transcriber, vision, reasoner) in one image, for docker-compose.yml.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends pocketsphinx pocketsphinx-en-us flite espeak-ng sox tesseract-ocr tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@9.15.9
WORKDIR /roomcrew
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY shared/package.json shared/
COPY infra/package.json infra/
COPY orchestrator/package.json orchestrator/
COPY agents/transcription/package.json agents/transcription/
COPY agents/vision/package.json agents/vision/
COPY agents/reasoning/package.json agents/reasoning/
COPY console/package.json console/
COPY cli/package.json cli/
COPY tests/package.json tests/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm exec tsc -b shared infra orchestrator agents/transcription agents/vision agents/reasoning console cli
ENTRYPOINT ["node", "cli/dist/main.js"]
CMD ["workers"]
