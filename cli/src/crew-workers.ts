/**
 * Runs the crew's workers (one process per role) against a LiveKit server, restarting any that
 * dies, and tells when all of them are registered with the server.
 */
import { type ManagedProcess, REPO_ROOT, startProcess } from '@roomcrew/infra';
import { AGENT_NAMES, type CrewAgentName } from '@roomcrew/shared';

export const WORKER_ENTRIES: Record<CrewAgentName, string> = {
  [AGENT_NAMES.orchestrator]: `${REPO_ROOT}orchestrator/dist/main.js`,
  [AGENT_NAMES.transcriber]: `${REPO_ROOT}agents/transcription/dist/main.js`,
  [AGENT_NAMES.vision]: `${REPO_ROOT}agents/vision/dist/main.js`,
  [AGENT_NAMES.reasoner]: `${REPO_ROOT}agents/reasoning/dist/main.js`,
};

export interface CrewWorkersOptions {
  env: NodeJS.ProcessEnv;
  roles?: CrewAgentName[];
  /** Every output line of every worker, e.g. to print or to write to a file. */
  onLine?: (role: CrewAgentName, line: string) => void;
  /** Restart a worker that exits on its own (default true). */
  restart?: boolean;
}

export interface CrewWorkers {
  /** Resolves when every worker has registered with the server (rejects if one exits first). */
  ready: Promise<void>;
  processes(): ManagedProcess[];
  /** Output tail of one role, for error messages. */
  tail(role: CrewAgentName): string;
  stop(): Promise<void>;
}

export function startCrewWorkers(opts: CrewWorkersOptions): CrewWorkers {
  const roles = opts.roles ?? (Object.keys(WORKER_ENTRIES) as CrewAgentName[]);
  const running = new Map<CrewAgentName, ManagedProcess>();
  let stopping = false;
  const readiness = roles.map((role) => {
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    let registered = false;
    let backoff = 1000;
    const launch = () => {
      const proc = startProcess(role, process.execPath, [WORKER_ENTRIES[role]], {
        env: { ...process.env, ...opts.env },
        onLine: (line) => {
          opts.onLine?.(role, line);
          if (!registered && line.includes('"msg":"worker registered"')) {
            registered = true;
            backoff = 1000;
            resolveReady();
          }
        },
      });
      running.set(role, proc);
      void proc.exited.then(({ code, signal }) => {
        if (stopping) return;
        if (!registered) {
          rejectReady(
            new Error(
              `${role} worker exited (${signal ?? `code ${code}`}) before registering:\n${proc.tail()}`,
            ),
          );
          return;
        }
        if (opts.restart === false) return;
        opts.onLine?.(
          role,
          `roomcrew: ${role} worker exited (${signal ?? `code ${code}`}); restarting in ${backoff} ms`,
        );
        setTimeout(() => !stopping && launch(), backoff);
        backoff = Math.min(backoff * 2, 30_000);
      });
    };
    launch();
    return ready;
  });
  return {
    ready: Promise.all(readiness).then(() => undefined),
    processes: () => [...running.values()],
    tail: (role) => running.get(role)?.tail() ?? '',
    async stop() {
      stopping = true;
      await Promise.all([...running.values()].map((p) => p.stop({ graceMs: 3000, killMs: 10_000 })));
    },
  };
}
