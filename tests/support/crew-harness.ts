/**
 * A real livekit-server on free loopback ports plus the crew's real workers, for one test file.
 * Worker and server output goes to tests/artifacts/<name>/ for post-mortems.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { type CrewWorkers, type ServerTarget, startCrewWorkers } from '@roomcrew/cli';
import { type LiveKitServer, REPO_ROOT, startLiveKitServer } from '@roomcrew/infra';
import type { CrewAgentName } from '@roomcrew/shared';

export interface Crew {
  server: LiveKitServer;
  target: ServerTarget;
  workers: CrewWorkers;
  env: Record<string, string>;
  artifacts: string;
  stop(): Promise<void>;
}

export function artifactsDir(name: string): string {
  const dir = `${REPO_ROOT}tests/artifacts/${name}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function startCrew(
  name: string,
  opts: { roles?: CrewAgentName[]; env?: Record<string, string> } = {},
): Promise<Crew> {
  const artifacts = artifactsDir(name);
  const server = await startLiveKitServer({
    logFile: `${artifacts}/livekit-server.log`,
    enableRemoteUnmute: true,
  });
  const target = { url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret };
  const env = {
    LIVEKIT_URL: server.url,
    LIVEKIT_API_KEY: server.apiKey,
    LIVEKIT_API_SECRET: server.apiSecret,
    LOG_LEVEL: 'debug',
    // Tests load both cores fully: report load by job count, so the server never skips a worker
    // because the machine is busy.
    CREW_MAX_JOBS: '100',
    CREW_DATA_DIR: `${artifacts}/data`,
    ...opts.env,
  };
  const workers = startCrewWorkers({
    env,
    ...(opts.roles ? { roles: opts.roles } : {}),
    onLine: (role, line) => void appendFile(`${artifacts}/${role}.log`, `${line}\n`),
  });
  try {
    await workers.ready;
  } catch (e) {
    await workers.stop();
    await server.stop();
    throw e;
  }
  return {
    server,
    target,
    workers,
    env,
    artifacts,
    async stop() {
      await workers.stop();
      await server.stop();
    },
  };
}
