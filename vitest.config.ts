import { defineConfig } from 'vitest/config';

// End-to-end tests each start a real livekit-server and real workers: run files one at a time
// (2 cores) and give real media time to flow. Waits are bounded by events, not by sleeps.
export default defineConfig({
  test: {
    include: [
      'shared/test/**/*.test.ts',
      'orchestrator/test/**/*.test.ts',
      'agents/*/test/**/*.test.ts',
      'cli/test/**/*.test.ts',
      'console/test/**/*.test.ts',
      'tests/e2e/**/*.test.ts',
    ],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['verbose'],
  },
});
