/**
 * Writing a room's audit trail (issues 5 and 10): one writer per room, each record fsynced before
 * append returns, the head file updated after it; see audit-record.ts for what a trail guarantees
 * and what it does not.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type AuditKey, keyFileIsOpen, resolveAuditKey } from './audit-key.js';
import { AuditLockedError, acquireWriterLock, type WriterLock } from './audit-lock.js';
import {
  type AuditEntry,
  type AuditRecord,
  auditHeadPath,
  auditLockPath,
  auditPath,
  genesisOf,
  type Head,
  headMacOf,
  macOf,
} from './audit-record.js';
import { inspect } from './audit-verify.js';
import { createLogger } from './logger.js';

/** What the writer logs; a pino Logger fits. */
export interface AuditLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AuditLogOptions {
  /** The configured key (CREW_AUDIT_KEY); when absent, `env`, then the data directory's key file (made if missing). */
  key?: string | undefined;
  env?: NodeJS.ProcessEnv;
  log?: AuditLogger;
}

export interface AuditOpenOptions extends AuditLogOptions {
  /** How long to wait for another writer of the room to let go (default 15 s). */
  waitMs?: number;
  retryMs?: number;
  /** Stops the wait (e.g. the job is shutting down): open() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Appends records for one room, as its only writer. Synchronous on purpose: the record is on disk
 * when append returns. The constructor throws AuditTrailBusyError while another writer holds the
 * room; `AuditLog.open` waits for it instead.
 */
export class AuditLog {
  readonly path: string;
  readonly headPath: string;
  #key: AuditKey;
  #lock: WriterLock;
  #fd: number | undefined;
  #seq = 0;
  #prev = '';
  #log: AuditLogger;

  constructor(
    readonly dataDir: string,
    readonly room: string,
    opts: AuditLogOptions = {},
  ) {
    this.path = auditPath(dataDir, room);
    this.headPath = auditHeadPath(dataDir, room);
    this.#log = opts.log ?? createLogger({ agent: 'audit', room });
    mkdirSync(dirname(this.path), { recursive: true });
    // The lock first: a writer waiting for it (AuditLog.open) must not warn about the key each try.
    try {
      this.#lock = acquireWriterLock(auditLockPath(dataDir, room));
    } catch (e) {
      if (e instanceof AuditLockedError) throw new AuditTrailBusyError(room, e);
      throw e;
    }
    try {
      if (this.#lock.tookOverFrom) {
        this.#log.warn(
          { stale: this.#lock.tookOverFrom, lock: this.#lock.path },
          'took over the audit trail from a writer whose process is gone',
        );
      }
      const key = resolveAuditKey(dataDir, { key: opts.key, env: opts.env, create: true });
      if (!key) throw new Error('unreachable: a writer always gets a key');
      this.#key = key;
      if (key.source === 'file') {
        this.#log.warn(
          { keyFile: key.path, created: key.created ?? false },
          'CREW_AUDIT_KEY is not set: the audit trail is keyed with a key file made for this data directory; ' +
            'set CREW_AUDIT_KEY in production (anyone who can read the key file can forge records)',
        );
        if (key.path && keyFileIsOpen(key.path)) {
          this.#log.warn(
            { keyFile: key.path },
            'the audit key file can be read by other users: chmod 600 it',
          );
        }
      }
      this.#continue();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Waits (up to `waitMs`) for another writer of the room to close, e.g. an orchestrator that is leaving. */
  static async open(dataDir: string, room: string, opts: AuditOpenOptions = {}): Promise<AuditLog> {
    const waitMs = opts.waitMs ?? 15_000;
    const deadline = Date.now() + waitMs;
    let warned = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      try {
        return new AuditLog(dataDir, room, opts);
      } catch (e) {
        if (!(e instanceof AuditTrailBusyError)) throw e;
        const log = opts.log;
        if (Date.now() >= deadline) {
          const what = e.lock.holder
            ? `If no process ${e.lock.holder.pid} runs on host ${e.lock.holder.host} any more, delete ${e.lock.lockPath}.`
            : `If no other orchestrator of this room runs, delete ${e.lock.lockPath}.`;
          const err = new AuditTrailBusyError(
            room,
            e.lock,
            `${e.message}, and it did not let go within ${duration(waitMs)}. ` +
              `Two writers would fork the chain, so this one stops. ${what}`,
          );
          log?.error({ lock: e.lock.lockPath, holder: e.lock.holder }, err.message);
          throw err;
        }
        if (!warned) {
          log?.warn(
            { lock: e.lock.lockPath, holder: e.lock.holder },
            `${e.message}; waiting up to ${duration(waitMs)} for it to close`,
          );
          warned = true;
        }
        await new Promise((r) => setTimeout(r, opts.retryMs ?? 250));
      }
    }
  }

  /** Continues the chain of an earlier session, without hiding any damage it finds. */
  #continue(): void {
    const paths = { trail: this.path, head: this.headPath };
    const headText = readOptionalSync(this.headPath);
    let text = readOptionalSync(this.path);
    let found = inspect(this.room, paths, text, headText, () => this.#key);
    if (found.format === 'legacy') {
      // An unkeyed trail cannot be continued with MACs: keep it beside the new one, untouched.
      const aside = this.path.replace(/\.jsonl$/, `.unkeyed-${Date.now()}.jsonl`);
      renameSync(this.path, aside);
      this.#log.warn({ legacy: aside }, 'moved an unkeyed (legacy) audit trail aside; starting a keyed one');
      text = undefined;
      found = inspect(this.room, paths, text, headText, () => this.#key);
    }
    this.#seq = found.next.seq;
    this.#prev = found.next.prev || genesisOf(this.#key.secret, this.room);
    this.#fd = openSync(this.path, 'a', 0o600);
    // A line torn by a crash must not swallow the next record.
    if (text && !text.endsWith('\n')) writeSync(this.#fd, '\n');
    if (found.found.length > 0) {
      this.#log.error(
        { problems: found.found.map((p) => p.message), continuesAt: this.#seq },
        `the audit trail of room "${this.room}" is damaged; continuing it after the last record it names and recording the damage`,
      );
      this.append({
        kind: 'audit.damaged',
        actor: 'audit',
        detail: {
          problems: found.found.map(({ reason, seq, line, message }) => ({ reason, seq, line, message })),
        },
      });
    } else if (found.headState !== 'ok' || headText === undefined) {
      this.#writeHead(this.#seq - 1, this.#prev);
    }
  }

  append(entry: AuditEntry): AuditRecord {
    if (this.#fd === undefined) throw new Error(`the audit trail of room "${this.room}" is closed`);
    // Through JSON first, so the MAC covers exactly what a reader will parse back.
    const base = JSON.parse(
      JSON.stringify({ seq: this.#seq, ts: Date.now(), room: this.room, ...entry, prev: this.#prev }),
    ) as Omit<AuditRecord, 'mac'>;
    const record: AuditRecord = { ...base, mac: macOf(this.#key.secret, base) };
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
    this.#seq++;
    this.#prev = record.mac;
    this.#writeHead(record.seq, record.mac);
    return record;
  }

  /**
   * temp + fsync + rename: the head is always a whole record. The directory is not fsynced: if a
   * crash loses the rename, the older head names an earlier record, and a trail that goes past
   * its head is fine (only one that stops short of it is cut).
   */
  #writeHead(seq: number, mac: string): void {
    const h: Head = { room: this.room, seq, mac, ts: Date.now() };
    const tmp = `${this.headPath}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ ...h, headMac: headMacOf(this.#key.secret, h) })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.headPath);
    } catch (e) {
      // The record itself is on disk; only the cut-tail check lags until the next append.
      this.#log.error({ err: e, head: this.headPath }, 'could not update the audit head file');
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#lock?.release();
  }
}

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** Another writer holds the room's trail (see AuditLog.open for waiting). */
export class AuditTrailBusyError extends Error {
  constructor(
    readonly room: string,
    readonly lock: AuditLockedError,
    message = `the audit trail of room "${room}" is being written by another writer: ${lock.message}`,
  ) {
    super(message);
    this.name = 'AuditTrailBusyError';
  }
}

function readOptionalSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
