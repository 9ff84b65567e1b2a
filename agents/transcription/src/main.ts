#!/usr/bin/env node
/** Starts the crew-transcriber worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, readConfigOrExit } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';
import { TRANSCRIBER_ENV } from './config.js';
import { resolvePocketsphinx } from './pocketsphinx-stt.js';
import { buildEngines } from './stt-engines.js';

const cfg = readConfigOrExit(TRANSCRIBER_ENV);
await runWorker({
  agentName: AGENT_NAMES.transcriber,
  displayName: 'Transcriber',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
  preflight: () => {
    resolvePocketsphinx(cfg.POCKETSPHINX_BIN);
    buildEngines(cfg, cfg.CREW_STT_LANGUAGE); // a provider listed without its key stops here
  },
});
