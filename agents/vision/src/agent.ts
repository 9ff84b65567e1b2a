/** crew-vision: the video that matters, sampled rarely and cheaply, turned into observations. */
import { defineAgent, type JobContext } from '@livekit/agents';
import {
  AGENT_NAMES,
  memberJobMetadataSchema,
  parseJobMetadata,
  RPC,
  visionControlSchema,
} from '@roomcrew/shared';
import { CrewRpcServer, refusalReporter } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
import { CloudVision } from './cloud-vision.js';
import { visionConfig } from './config.js';
import { resolveTesseract } from './ocr.js';
import { RoomVision } from './room-vision.js';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const cfg = visionConfig();
    const job = await startCrewJob(ctx, AGENT_NAMES.vision);
    if (!job) return; // a copy of this agent is already in the room
    const { log, channel } = job;
    const meta = parseJobMetadata(memberJobMetadataSchema, ctx.job.metadata);
    if (!meta.ok) log.error({ metadata: ctx.job.metadata }, `${meta.error}; using defaults`);
    const vision = new RoomVision({
      room: ctx.room,
      channel,
      log,
      cfg,
      tesseract: resolveTesseract(cfg.TESSERACT_BIN),
      watch: (meta.ok && meta.value.watch) || [],
      ...(cfg.CREW_VISION_PROVIDERS === 'openai,local' && cfg.OPENAI_API_KEY
        ? {
            cloud: new CloudVision(
              { apiKey: cfg.OPENAI_API_KEY, baseURL: cfg.OPENAI_BASE_URL, model: cfg.OPENAI_VISION_MODEL },
              cfg.CREW_VISION_CLOUD_TIMEOUT_MS,
            ),
          }
        : {}),
    });
    const rpc = new CrewRpcServer(ctx.room, job.authority, log, refusalReporter(channel, log));
    rpc.register(
      RPC.controlVision,
      {
        allowed: { operators: true, agents: true },
        what: 'change vision sampling',
        schema: visionControlSchema,
      },
      async (change, caller) => {
        const rates = vision.setRates(change);
        log.info({ caller: caller?.identity, change, rates }, 'vision sampling changed');
        return rates;
      },
    );
    ctx.addShutdownCallback(async () => {
      rpc.close();
      vision.close();
      log.info({ observations: vision.observations, rpc: rpc.stats() }, 'vision stopping');
    });
    await channel.reachOrchestrator(10_000);
    vision.start();
  },
});
