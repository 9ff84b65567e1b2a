#!/usr/bin/env node
/** Starts the crew-vision worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, readConfigOrExit } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';
import { VISION_ENV } from './config.js';
import { resolveTesseract } from './ocr.js';

const cfg = readConfigOrExit(VISION_ENV);
await runWorker({
  agentName: AGENT_NAMES.vision,
  displayName: 'Vision',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
  preflight: () => {
    resolveTesseract(cfg.TESSERACT_BIN);
    if (cfg.CREW_VISION_PROVIDERS === 'openai,local' && !cfg.OPENAI_API_KEY) {
      throw new Error('CREW_VISION_PROVIDERS=openai,local needs OPENAI_API_KEY');
    }
  },
});
