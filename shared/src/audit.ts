/**
 * The audit trail (issues 5 and 10): every tool call, escalation, offer, decision, refusal,
 * takeover and fallback, one JSON line per record in a per-room file under the data directory.
 * Appends are fsynced before the caller goes on, so a record written survives a crash of the
 * writer.
 *
 * Tamper evidence: each record carries an HMAC-SHA256, keyed with a secret from configuration
 * (audit-key.ts), over its fields including its sequence number and the MAC of the record before
 * it. Without the key nobody can edit a record, or re-chain the rest, so that it checks out.
 * Sequence numbers start at 0 and have no gaps, so a cut head or a hole shows. After every append
 * a small keyed head file (`audit/<room>.head`) names the last record, so a cut tail shows too.
 * One writer per room (audit-lock.ts), so two writers never fork the chain.
 *
 * What it does not guarantee: whoever holds the key can write any trail; deleting the trail
 * together with its head file, or putting back an older trail with its older head, leaves no
 * trace in these files (only a copy kept elsewhere catches that).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { type AuditKey, keyFileIsOpen, resolveAuditKey } from './audit-key.js';
import { AuditLockedError, acquireWriterLock, type WriterLock } from './audit-lock.js';
import { ConfigError } from './config.js';
import { createLogger } from './logger.js';

export const AUDIT_KINDS = [
  'tool.call',
  'tool.result',
  'escalation.request',
  'escalation.offer',
  'escalation.decision',
  'escalation.fallback',
  'escalation.refused',
  'takeover',
  'handback',
  'rpc.refused',
  /** Written by a writer that found the trail damaged when it opened it (detail.problems). */
  'audit.damaged',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

const recordFields = {
  seq: z.number().int().nonnegative(),
  ts: z.number(),
  room: z.string(),
  kind: z.enum(AUDIT_KINDS),
  /** Who did it: a participant identity, or the orchestrator for automatic steps. */
  actor: z.string(),
  escalationId: z.string().optional(),
  callId: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
  /** The MAC of the previous record; for #0, the room's genesis value. */
  prev: z.string(),
};
export const auditRecordSchema = z.object({ ...recordFields, mac: z.string() });
/** Records written before the trail was keyed: a plain SHA-256 chain (`hash`), no MAC. */
const legacyRecordSchema = z.object({ ...recordFields, hash: z.string() });

export type AuditRecord = z.infer<typeof auditRecordSchema>;
export type AuditEntry = Pick<AuditRecord, 'kind' | 'actor' | 'escalationId' | 'callId' | 'detail'>;

export function auditPath(dataDir: string, room: string): string {
  return join(dataDir, 'audit', `${encodeURIComponent(room)}.jsonl`);
}
/** The keyed record of the last seq written (detects a cut tail). */
export function auditHeadPath(dataDir: string, room: string): string {
  return join(dataDir, 'audit', `${encodeURIComponent(room)}.head`);
}
export function auditLockPath(dataDir: string, room: string): string {
  return join(dataDir, 'audit', `${encodeURIComponent(room)}.lock`);
}

// ---------------------------------------------------------------------------------------------
// MACs

/** JSON with sorted keys: a record re-serialized by any tool (which may reorder keys) checks out. */
function canonical(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonical(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Separate labels, so a record's MAC can never pass for a head's or a genesis value. */
const MAC_LABEL = 'roomcrew.audit.record.v2\n';
const HEAD_LABEL = 'roomcrew.audit.head.v2\n';
const GENESIS_LABEL = 'roomcrew.audit.genesis.v2\n';

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
const macOf = (key: Buffer, r: Omit<AuditRecord, 'mac'>) => hmac(key, MAC_LABEL + canonical(r));
const genesisOf = (key: Buffer, room: string) => hmac(key, GENESIS_LABEL + room);

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

interface Head {
  room: string;
  /** The last seq written; -1 for a trail with no record yet. */
  seq: number;
  mac: string;
  ts: number;
}
const headSchema = z.object({
  room: z.string(),
  seq: z.number().int().min(-1),
  mac: z.string(),
  ts: z.number(),
  headMac: z.string(),
});
const headMacOf = (key: Buffer, h: Head) =>
  hmac(key, HEAD_LABEL + canonical({ room: h.room, seq: h.seq, mac: h.mac, ts: h.ts }));

// ---------------------------------------------------------------------------------------------
// Checking a trail

export const AUDIT_PROBLEMS = [
  'head_cut',
  'tail_cut',
  'gap',
  'bad_mac',
  'broken_link',
  'unreadable',
] as const;
export type AuditProblemReason = (typeof AUDIT_PROBLEMS)[number];

export interface AuditProblem {
  reason: AuditProblemReason;
  /** The record concerned, when there is one. */
  seq?: number;
  /** 1-based line in the trail file, when there is one. */
  line?: number;
  message: string;
  /** Set when this problem is known from an `audit.damaged` record written by a later writer. */
  recordedAt?: number;
}

export interface AuditReadout {
  /**
   * intact: every check passed (a room with no trail is intact and empty); damaged: see problems;
   * legacy: an unkeyed trail written before records had MACs, which proves nothing about edits.
   */
  verdict: 'intact' | 'damaged' | 'legacy';
  records: AuditRecord[];
  problems: AuditProblem[];
  /** Lines that are not records (a write torn by a crash, or an edit), by line number. */
  unreadable: number[];
  /** Records whose MAC or link to the previous record does not check out, by seq. */
  broken: number[];
  /** Where the key came from, when the trail needed one. */
  keySource?: 'config' | 'file';
}

const emptyReadout = (): AuditReadout => ({
  verdict: 'intact',
  records: [],
  problems: [],
  unreadable: [],
  broken: [],
});

interface Inspection {
  readout: AuditReadout;
  format: 'keyed' | 'legacy' | 'none';
  /** Problems found in the files now that no `audit.damaged` record mentions yet. */
  found: AuditProblem[];
  /** Where a writer continues: after the highest valid record, or after the head if it is further. */
  next: { seq: number; prev: string };
  headState: 'ok' | 'missing' | 'bad';
}

type Line =
  | { n: number; kind: 'keyed'; rec: AuditRecord }
  | { n: number; kind: 'legacy'; rec: z.infer<typeof legacyRecordSchema> }
  | { n: number; kind: 'bad' };

function parseLines(text: string): Line[] {
  const out: Line[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const json = safeJson(line);
    const keyed = auditRecordSchema.safeParse(json);
    const legacy = keyed.success ? undefined : legacyRecordSchema.safeParse(json);
    if (keyed.success) out.push({ n: i + 1, kind: 'keyed', rec: keyed.data });
    else if (legacy?.success) out.push({ n: i + 1, kind: 'legacy', rec: legacy.data });
    else out.push({ n: i + 1, kind: 'bad' });
  });
  return out;
}

const range = (a: number, b: number) => (a === b ? `#${a}` : `#${a}..#${b}`);

/**
 * Checks a trail's text and head text (undefined: the file does not exist). `keyFor` is called
 * only when the trail needs a key (it has keyed records or a head).
 */
function inspect(
  room: string,
  paths: { trail: string; head: string },
  text: string | undefined,
  headText: string | undefined,
  keyFor: () => AuditKey,
): Inspection {
  const lines = parseLines(text ?? '');
  const readout = emptyReadout();
  const found: AuditProblem[] = [];
  const problem = (p: AuditProblem) => {
    found.push(p);
    if (p.line !== undefined && p.reason === 'unreadable') readout.unreadable.push(p.line);
    if (p.seq !== undefined && (p.reason === 'bad_mac' || p.reason === 'broken_link')) {
      if (!readout.broken.includes(p.seq)) readout.broken.push(p.seq);
    }
  };
  const keyed = lines.some((l) => l.kind === 'keyed');
  const legacy = lines.some((l) => l.kind === 'legacy');

  if (!keyed && legacy && headText === undefined) return inspectLegacy(lines, readout, found, problem);

  if (!keyed && !legacy && headText === undefined) {
    for (const l of lines) problem({ reason: 'unreadable', line: l.n, message: notARecord(l.n) });
    readout.problems = found;
    readout.verdict = found.length ? 'damaged' : 'intact';
    return { readout, format: 'none', found, next: { seq: 0, prev: '' }, headState: 'missing' };
  }

  const key = keyFor();
  readout.keySource = key.source;
  const genesis = genesisOf(key.secret, room);
  let expectSeq = 0;
  let expectPrev = genesis;
  let first = true;
  let best: AuditRecord | undefined; // highest seq with a valid MAC
  let lastPresent = -1; // highest seq in the file, valid or not
  const valid = new Map<number, AuditRecord>();
  const recorded: AuditProblem[] = [];
  for (const l of lines) {
    if (l.kind === 'bad') {
      problem({ reason: 'unreadable', line: l.n, message: notARecord(l.n) });
      continue;
    }
    if (l.kind === 'legacy') {
      problem({
        reason: 'unreadable',
        line: l.n,
        message: `line ${l.n} is an unkeyed record inside a keyed trail (its MAC was stripped, or it was added)`,
      });
      continue;
    }
    const { mac, ...rest } = l.rec;
    const r = l.rec;
    const macOk = sameHex(macOf(key.secret, rest), mac);
    if (!macOk) {
      problem({
        reason: 'bad_mac',
        seq: r.seq,
        line: l.n,
        message: `record #${r.seq} (line ${l.n}) fails its MAC: it was edited, or written without the key`,
      });
    }
    if (r.room !== room) {
      problem({
        reason: 'broken_link',
        seq: r.seq,
        line: l.n,
        message: `record #${r.seq} (line ${l.n}) belongs to room "${r.room}"`,
      });
    }
    if (first) {
      if (r.seq !== 0) {
        problem({
          reason: 'head_cut',
          seq: r.seq,
          line: l.n,
          message: `the trail starts at #${r.seq}: ${range(0, r.seq - 1)} are missing from its beginning`,
        });
      } else if (macOk && r.prev !== genesis) {
        problem({
          reason: 'head_cut',
          seq: 0,
          line: l.n,
          message: `record #0 (line ${l.n}) does not start this room's chain`,
        });
      }
    } else if (r.seq > expectSeq) {
      problem({
        reason: 'gap',
        seq: r.seq,
        line: l.n,
        message: `${range(expectSeq, r.seq - 1)} are missing before #${r.seq} (line ${l.n})`,
      });
    } else if (r.seq < expectSeq) {
      problem({
        reason: 'gap',
        seq: r.seq,
        line: l.n,
        message: `record #${r.seq} (line ${l.n}) comes after #${expectSeq - 1}: records repeated or out of order`,
      });
    } else if (macOk && r.prev !== expectPrev) {
      // (A record failing its MAC is reported as such: its prev may be what was edited.)
      problem({
        reason: 'broken_link',
        seq: r.seq,
        line: l.n,
        message: `record #${r.seq} (line ${l.n}) does not link to the record before it`,
      });
    }
    first = false;
    expectSeq = r.seq + 1;
    expectPrev = mac;
    readout.records.push(r);
    lastPresent = Math.max(lastPresent, r.seq);
    if (macOk && r.room === room) {
      valid.set(r.seq, r);
      if (!best || r.seq > best.seq) best = r;
      if (r.kind === 'audit.damaged') recorded.push(...recordedProblems(r));
    }
  }

  // The tail: the head names the last record written; the trail must reach it.
  let headState: Inspection['headState'] = 'ok';
  let head: Head | undefined;
  if (headText === undefined) {
    if (readout.records.length > 0) {
      headState = 'missing';
      problem({
        reason: 'tail_cut',
        message: `the head file ${paths.head} is missing: the end of the trail cannot be confirmed (records may have been cut from it)`,
      });
    }
  } else {
    const parsed = headSchema.safeParse(safeJson(headText));
    if (!parsed.success) {
      headState = 'bad';
      problem({ reason: 'unreadable', message: `the head file ${paths.head} is not a head record` });
    } else {
      const { headMac, ...h } = parsed.data;
      if (!sameHex(headMacOf(key.secret, h), headMac) || h.room !== room) {
        headState = 'bad';
        problem({
          reason: 'bad_mac',
          message: `the head file ${paths.head} fails its MAC: it was edited, or written without the key`,
        });
      } else {
        head = h;
      }
    }
  }
  // A record with a bad MAC still counts as present here: it is reported as bad_mac, not as cut.
  const lastSeq = lastPresent;
  if (head && head.seq >= 0) {
    const atHead = valid.get(head.seq);
    if (head.seq > lastSeq) {
      problem({
        reason: 'tail_cut',
        seq: head.seq,
        message:
          lastSeq < 0
            ? `the trail has no record but its head says #${head.seq} was written: ${range(0, head.seq)} are missing`
            : `the trail ends at #${lastSeq} but its head says #${head.seq} was written: ${range(lastSeq + 1, head.seq)} are missing from its end`,
      });
    } else if (atHead && !sameHex(atHead.mac, head.mac)) {
      problem({
        reason: 'tail_cut',
        seq: head.seq,
        message: `record #${head.seq} is not the one the head file names: the end of the trail was replaced`,
      });
    }
  }

  // Damage a writer found earlier stays reported, even where the files no longer show it.
  const id = (p: AuditProblem) => `${p.reason}|${p.message}`;
  const seen = new Set(found.map(id));
  const already = new Set(recorded.map(id));
  readout.problems = [...found, ...recorded.filter((p) => !seen.has(id(p)))];
  readout.verdict = readout.problems.length ? 'damaged' : 'intact';
  // A writer continues after the last record it can trust (the head, when it is further on) and
  // past every seq in the file, so it never reuses a number.
  const trusted = head && head.seq >= (best?.seq ?? -1) ? head : best;
  const next = {
    seq: Math.max(lastPresent, head?.seq ?? -1) + 1,
    prev: trusted?.mac ?? genesis,
  };
  return { readout, format: 'keyed', found: found.filter((p) => !already.has(id(p))), next, headState };
}

function recordedProblems(r: AuditRecord): AuditProblem[] {
  const list = z
    .array(
      z.object({
        reason: z.enum(AUDIT_PROBLEMS),
        seq: z.number().optional(),
        line: z.number().optional(),
        message: z.string(),
      }),
    )
    .safeParse(r.detail.problems);
  return list.success ? list.data.map((p) => ({ ...p, recordedAt: r.seq })) : [];
}

/** An unkeyed trail: its old SHA-256 chain is still checked, for what little that proves. */
function inspectLegacy(
  lines: Line[],
  readout: AuditReadout,
  found: AuditProblem[],
  problem: (p: AuditProblem) => void,
): Inspection {
  let prev: string | undefined;
  for (const l of lines) {
    if (l.kind === 'bad') {
      problem({ reason: 'unreadable', line: l.n, message: notARecord(l.n) });
      continue;
    }
    if (l.kind !== 'legacy') continue;
    const { hash, ...rest } = l.rec;
    if (legacyHashOf(rest) !== hash || (prev !== undefined && rest.prev !== prev)) {
      problem({
        reason: 'broken_link',
        seq: rest.seq,
        line: l.n,
        message: `unkeyed record #${rest.seq} (line ${l.n}) fails its SHA-256 chain`,
      });
    }
    prev = hash;
    // Shown as records; `mac` holds the old unkeyed hash.
    readout.records.push({ ...rest, mac: hash });
  }
  readout.problems = found;
  readout.verdict = 'legacy';
  return { readout, format: 'legacy', found, next: { seq: 0, prev: '' }, headState: 'missing' };
}

/** The hash of the unkeyed format (issue 5), kept only to check old trails. */
function legacyHashOf(r: Omit<z.infer<typeof legacyRecordSchema>, 'hash'>): string {
  const fields = [
    r.seq,
    r.ts,
    r.room,
    r.kind,
    r.actor,
    r.escalationId ?? null,
    r.callId ?? null,
    r.detail,
    r.prev,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

const notARecord = (n: number) => `line ${n} is not a record (a write torn by a crash, or an edit)`;

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function missingKey(dataDir: string, room: string): never {
  throw new ConfigError([
    `CREW_AUDIT_KEY is not set and there is no key file in ${join(dataDir, 'keys')}: the audit trail of room "${room}" is keyed and cannot be checked without the key it was written with`,
  ]);
}

export interface ReadAuditOptions {
  /** The configured key; when absent, CREW_AUDIT_KEY from `env`, then the data directory's key file. */
  key?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads a room's audit trail and checks it. A room with no trail (and no head) is an empty, intact
 * trail. Throws ConfigError when the trail is keyed and no key is available.
 */
export async function readAudit(
  dataDir: string,
  room: string,
  opts: ReadAuditOptions = {},
): Promise<AuditReadout> {
  const paths = { trail: auditPath(dataDir, room), head: auditHeadPath(dataDir, room) };
  // Head first: the writer updates it after the record is on disk, so the trail read next
  // reaches at least as far as the head says, even while a writer appends.
  const headText = await readOptional(paths.head);
  const text = await readOptional(paths.trail);
  if (text === undefined && headText === undefined) return emptyReadout();
  const keyFor = () =>
    resolveAuditKey(dataDir, { key: opts.key, env: opts.env, create: false }) ?? missingKey(dataDir, room);
  return inspect(room, paths, text, headText, keyFor).readout;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
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

// ---------------------------------------------------------------------------------------------
// Writing a trail

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
