/**
 * Checking a room's audit trail (issues 5 and 10): its records, their MACs and links, and its head
 * file; see audit-record.ts for what a trail guarantees and what it does not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type AuditKey, resolveAuditKey } from './audit-key.js';
import {
  type AuditRecord,
  auditHeadPath,
  auditPath,
  auditRecordSchema,
  genesisOf,
  type Head,
  headMacOf,
  headSchema,
  legacyHashOf,
  legacyRecordSchema,
  macOf,
  sameHex,
} from './audit-record.js';
import { ConfigError } from './config.js';

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

export interface Inspection {
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
export function inspect(
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
