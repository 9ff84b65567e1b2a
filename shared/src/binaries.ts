/** Locating external programs, with errors that say which command installs a missing one. */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export const SETUP_COMMAND = 'bash infra/setup.sh (or npm run setup)';

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly installHint: string,
  ) {
    super(`${binary} was not found; install it with: ${installHint}`);
    this.name = 'MissingBinaryError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile(); // directories pass the X_OK check too
  } catch {
    return false;
  }
}

/** Resolves a command name or path to an executable file, or throws MissingBinaryError. */
export function findExecutable(command: string, installHint: string): string {
  if (isAbsolute(command) || command.includes('/')) {
    if (isExecutable(command)) return command;
    throw new MissingBinaryError(command, installHint);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new MissingBinaryError(command, installHint);
}
