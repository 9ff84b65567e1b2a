#!/usr/bin/env node
/** Starts the crew-orchestrator worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';

await runWorker({
  agentName: AGENT_NAMES.orchestrator,
  displayName: 'Crew orchestrator',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
});
