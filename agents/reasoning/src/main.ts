#!/usr/bin/env node
/** Starts the crew-reasoner worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, findExecutable, readConfigOrExit, SETUP_COMMAND } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';
import { llmChain, REASONER_ENV } from './config.js';
import { readMcpConfig } from './mcp-tools.js';
import { loadRules } from './rules.js';

const cfg = readConfigOrExit(REASONER_ENV);
await runWorker({
  agentName: AGENT_NAMES.reasoner,
  displayName: 'Reasoner',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
  // Bad rules, MCP configuration or a missing voice are found at startup, not in a room.
  preflight: () => {
    loadRules(cfg.CREW_RULES_FILE);
    if (cfg.CREW_MCP_SERVERS) readMcpConfig(cfg.CREW_MCP_SERVERS);
    findExecutable(cfg.FLITE_BIN, SETUP_COMMAND);
    if (llmChain(cfg).includes('openai') && !cfg.OPENAI_API_KEY) {
      throw new Error('CREW_LLM_PROVIDERS includes openai, which needs OPENAI_API_KEY');
    }
  },
});
