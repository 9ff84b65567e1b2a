#!/usr/bin/env node
/** Starts the crew-orchestrator worker. Configuration: see README (Configuration). */
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, readConfigOrExit } from '@roomcrew/shared';
import { runWorker } from '@roomcrew/shared/worker';
import { ORCHESTRATOR_ENV } from './config.js';
import { CrewDispatcher } from './crew-dispatcher.js';
import { crewPlan, dispatchApi } from './crew-plan.js';

// A bad setting (e.g. a short CREW_AUDIT_KEY) stops the worker at startup, not at its first job.
readConfigOrExit(ORCHESTRATOR_ENV);

await runWorker({
  agentName: AGENT_NAMES.orchestrator,
  displayName: 'Crew orchestrator',
  agentFile: fileURLToPath(new URL('./agent.js', import.meta.url)),
  // Every dispatch hop costs the server's selection time (~200 ms); dispatching the members when
  // the orchestrator's job is offered, rather than once its process has joined, overlaps their
  // joining with the orchestrator's own.
  onJobOffered: (req, log) => {
    const roomName = req.room?.name;
    if (!roomName) return;
    const plan = crewPlan(req.job.metadata, `agent-${req.id}`);
    const dispatcher = new CrewDispatcher({
      api: dispatchApi(),
      roomName,
      members: plan.crew.crew,
      memberMetadata: plan.memberMetadata,
      log,
    });
    dispatcher
      .reconcile()
      .catch((e) => log.warn({ err: e }, 'early crew dispatch failed; the job will retry'));
  },
});
