/** crew-transcriber: microphone audio of human participants → captions and transcript events. */
import { defineAgent, type JobContext } from '@livekit/agents';
import { AGENT_NAMES, memberJobMetadataSchema, parseJobMetadata } from '@roomcrew/shared';
import { startCrewJob } from '@roomcrew/shared/worker';
import { transcriberConfig } from './config.js';
import { POCKETSPHINX_LANGUAGES, PocketsphinxSTT } from './pocketsphinx-stt.js';
import { RoomTranscriber } from './room-transcriber.js';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const cfg = transcriberConfig();
    const job = await startCrewJob(ctx, AGENT_NAMES.transcriber);
    if (!job) return; // a copy of this agent is already in the room
    const { log, channel } = job;
    const meta = parseJobMetadata(memberJobMetadataSchema, ctx.job.metadata);
    if (!meta.ok) log.error({ metadata: ctx.job.metadata }, `${meta.error}; using defaults`);
    let language = (meta.ok && meta.value.language) || cfg.CREW_STT_LANGUAGE;
    if (!POCKETSPHINX_LANGUAGES.includes(language)) {
      log.error(
        { language, supported: POCKETSPHINX_LANGUAGES },
        `no local speech model for language "${language}"; transcribing as ${cfg.CREW_STT_LANGUAGE}`,
      );
      language = cfg.CREW_STT_LANGUAGE;
    }
    const engine = new PocketsphinxSTT({ binary: cfg.POCKETSPHINX_BIN, language });
    engine.on('error', (e) => log.error({ err: e.error, recoverable: e.recoverable }, 'speech engine error'));
    const transcriber = new RoomTranscriber({ room: ctx.room, channel, log, engine, language });
    ctx.addShutdownCallback(async () => transcriber.close());
    transcriber.start();
  },
});
