/**
 * One writer per audit trail (issue 10): two writers appending from the same last record would
 * fork the chain. A writer holds `audit/<room>.lock`, a file naming its pid, host and start time;
 * a lock whose process is gone from this host is stale and taken over. Locks are released on
 * close and when the process exits; a process killed outright leaves a stale lock behind, which
 * the next writer takes over.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';

export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  since: string;
  /** Tells this holding apart from an earlier one by a process with the same pid. */
  token: string;
}

export class AuditLockedError extends Error {
  constructor(
    readonly lockPath: string,
    /** Undefined when the lock file cannot be read. */
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `held by pid ${holder.pid} on host ${holder.host} since ${holder.since} (lock file ${lockPath})`
        : `the lock file ${lockPath} exists but cannot be read`,
    );
    this.name = 'AuditLockedError';
  }
}

export interface WriterLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The stale holder this lock was taken over from, if any. */
  readonly tookOverFrom: LockHolder | undefined;
  release(): void;
}

/** Locks this process holds: path → token. */
const held = new Map<string, string>();
let exitHookInstalled = false;

/** A takeover that crashed half-way leaves its marker; after this long it no longer counts. */
const TAKEOVER_MARKER_STALE_MS = 10_000;

/** Takes the lock or throws AuditLockedError naming who holds it. Synchronous: no await between check and take. */
export function acquireWriterLock(path: string): WriterLock {
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  let tookOverFrom: LockHolder | undefined;
  // A few rounds: the lock may vanish or be taken by someone else between our steps.
  for (let round = 0; round < 3; round++) {
    if (tryCreate(path, me)) {
      installExitHook();
      held.set(path, me.token);
      return {
        path,
        holder: me,
        tookOverFrom,
        release: () => release(path, me.token),
      };
    }
    const current = readHolder(path);
    if (current === 'gone') continue;
    if (current === 'unreadable') throw new AuditLockedError(path, undefined);
    if (!isStale(path, current)) throw new AuditLockedError(path, current);
    if (removeStale(path, current)) tookOverFrom = current;
  }
  const last = readHolder(path);
  throw new AuditLockedError(path, typeof last === 'string' ? undefined : last);
}

/**
 * The whole holder record goes to a temporary file first and is then linked into place: link()
 * fails if the lock exists (exclusive like O_EXCL) and no one ever reads a half-written lock.
 */
function tryCreate(path: string, me: LockHolder): boolean {
  const tmp = `${path}.${me.pid}.${me.token}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function readHolder(path: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (
      typeof h.pid === 'number' &&
      typeof h.host === 'string' &&
      typeof h.since === 'string' &&
      typeof h.token === 'string'
    ) {
      return { pid: h.pid, host: h.host, since: h.since, token: h.token };
    }
  } catch {
    // falls through
  }
  return 'unreadable';
}

/**
 * Only a holder on this host can be judged: its process is gone, or it names this very process
 * without being one of our locks (an earlier process that had the same pid, as in containers).
 * A holder on another host is never stale here; its operator must remove the lock.
 */
function isStale(path: string, h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return held.get(path) !== h.token;
  return !isAlive(h.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the stale lock, but only if it is still the one judged stale: two processes taking
 * over at once must not both delete (the second would delete the first one's fresh lock). The
 * takeover marker, created exclusively, lets one of them at a time look and delete.
 */
function removeStale(path: string, stale: LockHolder): boolean {
  const marker = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(marker, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(marker).mtimeMs > TAKEOVER_MARKER_STALE_MS) unlinkSync(marker);
    } catch {
      // someone else cleaned it up
    }
    return false;
  }
  try {
    const again = readHolder(path);
    if (typeof again === 'string' || again.token !== stale.token) return false;
    unlinkSync(path);
    return true;
  } finally {
    closeSync(fd);
    unlinkSync(marker);
  }
}

function release(path: string, token: string): void {
  if (held.get(path) !== token) return;
  held.delete(path);
  const current = readHolder(path);
  // Never delete a lock that is no longer ours (it was judged stale and taken over).
  if (typeof current !== 'string' && current.token === token) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, token] of held) {
      try {
        release(path, token);
      } catch {
        // exiting anyway
      }
    }
  });
}
