/** crew-vision: the video that matters, sampled rarely and cheaply, turned into observations. */
import { defineAgent, type JobContext } from '@livekit/agents';
import { RpcError } from '@livekit/rtc-node';
import {
  AGENT_NAMES,
  memberJobMetadataSchema,
  parseJobMetadata,
  RPC,
  RPC_ERROR,
  visionControlSchema,
} from '@roomcrew/shared';
import { isAgent, isOperator } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
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
    });
    ctx.room.localParticipant?.registerRpcMethod(RPC.controlVision, async (data) => {
      const caller = ctx.room.remoteParticipants.get(data.callerIdentity);
      if (!caller || !(isOperator(caller) || isAgent(caller))) {
        log.warn({ caller: data.callerIdentity }, 'refused vision control from a non-operator');
        throw new RpcError(
          RPC_ERROR.permissionDenied,
          'only operators and crew agents may change vision sampling',
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(data.payload || '{}');
      } catch {
        throw new RpcError(RPC_ERROR.badRequest, 'payload must be JSON');
      }
      const change = visionControlSchema.safeParse(body);
      if (!change.success) {
        throw new RpcError(
          RPC_ERROR.badRequest,
          `bad control: ${change.error.issues[0]?.path.join('.')} ${change.error.issues[0]?.message}`,
        );
      }
      const rates = vision.setRates(change.data);
      log.info({ caller: data.callerIdentity, change: change.data, rates }, 'vision sampling changed');
      return JSON.stringify(rates);
    });
    ctx.addShutdownCallback(async () => {
      vision.close();
      log.info({ observations: vision.observations }, 'vision stopping');
    });
    await channel.reachOrchestrator(10_000);
    vision.start();
  },
});
