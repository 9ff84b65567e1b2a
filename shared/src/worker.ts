/** Worker-side helpers (needs @livekit/agents). */
export * from './crew-job.js';
export * from './worker-runner.js';
