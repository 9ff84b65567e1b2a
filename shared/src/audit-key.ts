/**
 * The secret that keys the audit trail's MACs (issue 10). It comes from configuration
 * (`CREW_AUDIT_KEY`), never from the trail itself: whoever can rewrite the trail but does not hold
 * the key cannot make a record that checks out. When it is unset (the embedded default), a random
 * key is made once per data directory in `keys/audit.key`, beside the data: that protects against
 * edits by tools and people without access to that file, not against someone who can read it.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type EnvSpec, readConfig } from './config.js';

export const AUDIT_KEY_MIN_LENGTH = 32;

export const AUDIT_ENV = {
  CREW_AUDIT_KEY: {
    schema: z.string().min(AUDIT_KEY_MIN_LENGTH).optional(),
    expect: `a secret of at least ${AUDIT_KEY_MIN_LENGTH} characters that keys the audit trail's HMACs (unset: a random key made once in CREW_DATA_DIR/keys/audit.key)`,
  },
} satisfies EnvSpec;

export interface AuditKey {
  secret: Buffer;
  source: 'config' | 'file';
  /** The key file, when the key came from one. */
  path?: string;
  /** True when this call made the key file. */
  created?: boolean;
}

export function auditKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'audit.key');
}

export interface ResolveAuditKeyOptions {
  /** The configured key (CREW_AUDIT_KEY); when absent, `env` is read, then the key file. */
  key?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Make the key file when there is none (writers); readers must not invent a key. */
  create: boolean;
}

/**
 * CREW_AUDIT_KEY when set, else the data directory's key file (made when `create`). Returns
 * undefined only when nothing is configured, there is no key file and `create` is false.
 */
export function resolveAuditKey(dataDir: string, opts: ResolveAuditKeyOptions): AuditKey | undefined {
  const configured =
    opts.key !== undefined
      ? readConfig(AUDIT_ENV, { CREW_AUDIT_KEY: opts.key }).CREW_AUDIT_KEY
      : readConfig(AUDIT_ENV, opts.env ?? process.env).CREW_AUDIT_KEY;
  if (configured !== undefined) return { secret: Buffer.from(configured, 'utf8'), source: 'config' };
  const path = auditKeyPath(dataDir);
  const existing = readKeyFile(path);
  if (existing) return { secret: existing, source: 'file', path, created: false };
  if (!opts.create) return undefined;
  const made = makeKeyFile(path);
  return { secret: made.secret, source: 'file', path, created: made.created };
}

function readKeyFile(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const key = text.trim();
  if (key.length < AUDIT_KEY_MIN_LENGTH) {
    // A new key would make every earlier record fail its check: better to stop and say so.
    throw new ConfigError([
      `the audit key file ${path} is damaged (expected ${AUDIT_KEY_MIN_LENGTH}+ characters): restore it, or set CREW_AUDIT_KEY to the key the trail was written with`,
    ]);
  }
  return Buffer.from(key, 'utf8');
}

/**
 * Writes the whole key to a private temporary file, then links it into place: link() fails when
 * the name exists (like O_EXCL) but, unlike O_EXCL, never shows another process a half-written
 * key. Two processes racing agree on whichever link won.
 */
function makeKeyFile(path: string): { secret: Buffer; created: boolean } {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${key}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let created = true;
  try {
    linkSync(tmp, path);
    syncDir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    created = false;
  } finally {
    unlinkSync(tmp);
  }
  if (created) return { secret: Buffer.from(key, 'utf8'), created };
  const winner = readKeyFile(path);
  if (!winner) throw new Error(`the audit key file ${path} vanished while it was being made`);
  return { secret: winner, created };
}

/** Whether anyone but the owner may read the key file (worth a warning, not a refusal). */
export function keyFileIsOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** fsync a directory so a rename or link in it survives a crash. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the entry is still written.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
