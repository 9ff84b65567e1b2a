/** Runs one of the project's programs to completion and captures what it printed. */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@roomcrew/infra';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const PROGRAMS = {
  cli: `${REPO_ROOT}cli/dist/main.js`,
  orchestrator: `${REPO_ROOT}orchestrator/dist/main.js`,
  transcriber: `${REPO_ROOT}agents/transcription/dist/main.js`,
  reasoner: `${REPO_ROOT}agents/reasoning/dist/main.js`,
} as const;

/** `env` replaces the LiveKit/crew variables of this process entirely, so tests control them. */
export function runProgram(
  program: keyof typeof PROGRAMS,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunResult> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(LIVEKIT_|CREW_|POCKETSPHINX_)/.test(k)),
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PROGRAMS[program], ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
