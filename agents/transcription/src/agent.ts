/** crew-transcriber: microphone audio of human participants → captions and transcript events. */
import { resolve } from 'node:path';
import { defineAgent, type JobContext, type JobProcess, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import {
  AGENT_NAMES,
  DATA_ENV,
  memberJobMetadataSchema,
  parseJobMetadata,
  RPC,
  readConfig,
  transcriptPageRequestSchema,
  transcriptPath,
} from '@roomcrew/shared';
import { CrewRpcServer, refusalReporter } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
import { transcriberConfig } from './config.js';
import { POCKETSPHINX_LANGUAGES } from './pocketsphinx-stt.js';
import { RoomTranscriber } from './room-transcriber.js';
import { buildEngines } from './stt-engines.js';
import { SttMetrics } from './stt-metrics.js';
import { TranscriptStore } from './transcript-store.js';

const METRICS_LOG_INTERVAL_MS = 60_000;

export default defineAgent({
  // Loading the VAD model once per process keeps it off the path of the first speaker.
  prewarm: async (proc: JobProcess) => {
    proc.userData.vad = await silero.VAD.load();
  },
  entry: async (ctx: JobContext) => {
    const cfg = transcriberConfig();
    const job = await startCrewJob(ctx, AGENT_NAMES.transcriber);
    if (!job) return; // a copy of this agent is already in the room
    const { log, channel } = job;
    const meta = parseJobMetadata(memberJobMetadataSchema, ctx.job.metadata);
    if (!meta.ok) log.error({ metadata: ctx.job.metadata }, `${meta.error}; using defaults`);
    const language = (meta.ok && meta.value.language) || cfg.CREW_STT_LANGUAGE;
    const engines = buildEngines(cfg, language);
    if (!POCKETSPHINX_LANGUAGES.includes(language)) {
      log.error(
        { language, localSupports: POCKETSPHINX_LANGUAGES },
        `the local speech engine has no model for "${language}"; when it is the one transcribing, it transcribes as English`,
      );
    }
    for (const e of engines) {
      e.stt.on('error', (err) =>
        log.warn(
          { engine: e.name, err: err.error?.message, recoverable: err.recoverable },
          'speech engine error',
        ),
      );
    }
    const vad = (ctx.proc.userData.vad as VAD | undefined) ?? (await silero.VAD.load());
    const metrics = new SttMetrics();
    const roomName = ctx.room.name ?? '';
    const { CREW_DATA_DIR } = readConfig(DATA_ENV);
    const store = new TranscriptStore(transcriptPath(resolve(CREW_DATA_DIR), roomName), roomName);
    const transcriber = new RoomTranscriber({
      room: ctx.room,
      channel,
      log,
      engines,
      vad,
      language,
      metrics,
      store,
      finalizeTimeoutMs: cfg.CREW_STT_TIMEOUT_MS,
    });

    // The session transcript, for operators and crew agents (the reasoner, the audit log).
    const rpc = new CrewRpcServer(ctx.room, job.authority, log, refusalReporter(channel, log));
    rpc.register(
      RPC.transcriptGet,
      {
        allowed: { operators: true, agents: true },
        what: 'read the transcript',
        schema: transcriptPageRequestSchema,
      },
      async (req) => {
        const segments = await store.page(req.after, req.limit);
        return { room: roomName, segments, next: segments.at(-1)?.seq ?? req.after };
      },
    );

    const timer = setInterval(
      () => log.info({ stt: metrics.snapshot() }, 'transcriber metrics'),
      METRICS_LOG_INTERVAL_MS,
    );
    ctx.addShutdownCallback(async () => {
      rpc.close();
      clearInterval(timer);
      transcriber.close();
      log.info({ stt: metrics.snapshot(), transcript: store.path }, 'transcriber stopping; final metrics');
    });
    transcriber.start();
  },
});
