/**
 * Long-running child processes (servers, workers) with a bounded tail of their output, a clean
 * two-step stop, and a last-resort kill when this process exits so nothing is left behind.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly name: string;
  /** Last lines of combined stdout/stderr, for error messages. */
  tail(lines?: number): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
  /** SIGTERM, a second SIGTERM after `graceMs`, SIGKILL after `killMs`. */
  stop(opts?: { graceMs?: number; killMs?: number }): Promise<void>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions & { logFile?: string; onLine?: (line: string) => void } = {},
): ManagedProcess {
  installExitHook();
  const { logFile, onLine, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const lines: string[] = [];
  const log: WriteStream | undefined = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  let partial = '';
  const onData = (chunk: Buffer) => {
    log?.write(chunk);
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      onLine?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      lines.push(`spawn error: ${error.message}`);
      running = false;
      live.delete(child);
      log?.end();
      resolve({ code: -1, signal: null });
    });
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      log?.end();
      resolve({ code, signal });
    });
  });
  return {
    child,
    name,
    exited,
    get running() {
      return running;
    },
    tail: (n = 30) => lines.slice(-n).join('\n'),
    async stop({ graceMs = 1500, killMs = 8000 } = {}) {
      if (!running) return;
      child.kill('SIGTERM');
      const second = setTimeout(() => running && child.kill('SIGTERM'), graceMs);
      const kill = setTimeout(() => running && child.kill('SIGKILL'), killMs);
      await exited;
      clearTimeout(second);
      clearTimeout(kill);
    },
  };
}
