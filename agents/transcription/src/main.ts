#!/usr/bin/env node
/** Starts the crew-transcriber worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, readConfigOrExit } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';
import { TRANSCRIBER_ENV } from './config.js';
import { resolvePocketsphinx } from './pocketsphinx-stt.js';

const cfg = readConfigOrExit(TRANSCRIBER_ENV);
await runWorker({
  agentName: AGENT_NAMES.transcriber,
  displayName: 'Transcriber',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
  preflight: () => void resolvePocketsphinx(cfg.POCKETSPHINX_BIN),
});
