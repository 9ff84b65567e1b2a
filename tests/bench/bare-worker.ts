/**
 * The baseline for the dispatch benchmark: a bare agents-js worker whose job only joins the room,
 * with the same process and load settings as the crew's workers and nothing of ours in between.
 */
import { fileURLToPath } from 'node:url';
import { AgentServer, AutoSubscribe, defineAgent, initializeLogger, ServerOptions } from '@livekit/agents';
import { freePort } from '@roomcrew/shared';

export const BARE_AGENT_NAME = 'bench-bare';

export default defineAgent({
  entry: async (ctx) => {
    await ctx.connect(undefined, AutoSubscribe.SUBSCRIBE_NONE);
  },
});

async function main(): Promise<void> {
  initializeLogger({ pretty: false, level: 'info' });
  const server = new AgentServer(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: BARE_AGENT_NAME,
      wsURL: process.env.LIVEKIT_URL ?? '',
      apiKey: process.env.LIVEKIT_API_KEY ?? '',
      apiSecret: process.env.LIVEKIT_API_SECRET ?? '',
      production: true,
      numIdleProcesses: 1,
      loadFunc: async (w) => Math.min(1, w.activeJobs.length / 100),
      port: await freePort(),
      host: '127.0.0.1',
    }),
  );
  server.event.on('worker_registered', () => console.log('{"msg":"worker registered"}'));
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
  await server.run();
}

// Job processes import this file for the agent; only the command line starts a worker.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
