/**
 * Runs one crew role as an agents-js worker (AgentServer) registered under its agentName, with
 * configuration validated up front, structured logs and a clean shutdown on SIGINT/SIGTERM.
 * Connection failures are retried with backoff by agents-js, which logs every attempt.
 */
import { AgentServer, initializeLogger, type JobRequest, ServerOptions } from '@livekit/agents';
import { readConfigOrExit, WORKER_ENV } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { freePort } from './ports.js';

export interface WorkerSpec {
  agentName: string;
  /** Participant name people see for this agent. */
  displayName: string;
  /** Absolute path of the compiled module whose default export is the agent definition. */
  agentFile: string;
  /** Checks run before registering (e.g. required binaries); throw to refuse to start. */
  preflight?: () => void | Promise<void>;
  /**
   * Work to start as soon as a job is offered, in the worker process, before the job's own
   * process exists. Never delays the acceptance (the server wants an answer within ~3 s).
   */
  onJobOffered?: (job: JobRequest, log: Logger) => void;
}

export async function runWorker(spec: WorkerSpec): Promise<void> {
  const cfg = readConfigOrExit(WORKER_ENV);
  const log = createLogger({ agent: spec.agentName }, cfg.LOG_LEVEL);
  initializeLogger({ pretty: false, level: cfg.LOG_LEVEL }); // plugins log from their constructors
  try {
    await spec.preflight?.();
  } catch (e) {
    log.fatal({ err: e }, `${spec.agentName} cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  // agents-js treats port 0 as "use the default 8081", which collides when several workers share
  // a machine; pick a free port ourselves instead.
  const port = cfg.CREW_WORKER_PORT || (await freePort());
  const server = new AgentServer(
    new ServerOptions({
      agent: spec.agentFile,
      agentName: spec.agentName,
      // Accept every offer (the worker must answer within ~3 s) under the role's display name.
      requestFunc: async (req) => {
        try {
          spec.onJobOffered?.(req, log.child({ room: req.room?.name, job: req.id }));
        } catch (e) {
          log.error({ err: e, job: req.id }, 'job offer hook failed');
        }
        await req.accept(spec.displayName);
      },
      wsURL: cfg.LIVEKIT_URL,
      apiKey: cfg.LIVEKIT_API_KEY,
      apiSecret: cfg.LIVEKIT_API_SECRET,
      production: true,
      loadThreshold: cfg.CREW_LOAD_THRESHOLD,
      // The server skips workers reporting load >= its target (0.7) whatever the worker's own
      // threshold. Machine CPU is the right signal when a worker has the machine to itself; where
      // several workers and their jobs share a small machine, a job count is steadier.
      ...(cfg.CREW_MAX_JOBS > 0
        ? { loadFunc: async (w: AgentServer) => Math.min(1, w.activeJobs.length / cfg.CREW_MAX_JOBS) }
        : {}),
      numIdleProcesses: cfg.CREW_IDLE_PROCESSES,
      maxRetry: cfg.CREW_MAX_RETRY,
      host: '127.0.0.1',
      port,
      logLevel: cfg.LOG_LEVEL,
    }),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    log.info({ signal }, 'stopping worker');
    await server.close().catch((e) => log.error({ err: e }, 'error while closing worker'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  server.event.on('worker_registered', (...args: unknown[]) =>
    log.info({ url: cfg.LIVEKIT_URL, workerId: args[0], healthPort: port }, 'worker registered'),
  );
  log.info({ url: cfg.LIVEKIT_URL }, 'connecting to LiveKit');
  try {
    await server.run();
  } catch (e) {
    log.fatal(
      { err: e, url: cfg.LIVEKIT_URL },
      `worker gave up connecting to LiveKit at ${cfg.LIVEKIT_URL}: is the server running and are LIVEKIT_API_KEY / LIVEKIT_API_SECRET right?`,
    );
    process.exit(1);
  }
}
