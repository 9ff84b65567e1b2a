/**
 * The audit trail (issue 5): every tool call, escalation, offer, decision, refusal, takeover and
 * fallback, one JSON line per record in a per-room file under the data directory. Appends are
 * fsynced before the caller goes on, so a record written survives a crash of the writer; each
 * record carries the hash of the previous one, so an edited or deleted line is detectable.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

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
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const auditRecordSchema = z.object({
  seq: z.number().int().nonnegative(),
  ts: z.number(),
  room: z.string(),
  kind: z.enum(AUDIT_KINDS),
  /** Who did it: a participant identity, or the orchestrator for automatic steps. */
  actor: z.string(),
  escalationId: z.string().optional(),
  callId: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
export type AuditEntry = Pick<AuditRecord, 'kind' | 'actor' | 'escalationId' | 'callId' | 'detail'>;

export function auditPath(dataDir: string, room: string): string {
  return join(dataDir, 'audit', `${encodeURIComponent(room)}.jsonl`);
}

const GENESIS = '0'.repeat(64);
/** Hash over a fixed field order, so re-parsing a record (which may reorder keys) checks out. */
function hashOf(r: Omit<AuditRecord, 'hash'>): string {
  const canonical = [
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
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Appends records for one room. Synchronous on purpose: the record is on disk when append returns. */
export class AuditLog {
  readonly path: string;
  #fd: number;
  #seq = 0;
  #prev = GENESIS;

  constructor(
    dataDir: string,
    readonly room: string,
  ) {
    this.path = auditPath(dataDir, room);
    mkdirSync(dirname(this.path), { recursive: true });
    // Continue the chain of an earlier session of the same room.
    const last = lastRecord(this.path);
    if (last) {
      this.#seq = last.seq + 1;
      this.#prev = last.hash;
    }
    this.#fd = openSync(this.path, 'a');
  }

  append(entry: AuditEntry): AuditRecord {
    const base = { seq: this.#seq, ts: Date.now(), room: this.room, ...entry, prev: this.#prev };
    const record: AuditRecord = { ...base, hash: hashOf(base) };
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
    this.#seq++;
    this.#prev = record.hash;
    return record;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function lastRecord(path: string): AuditRecord | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const parsed = auditRecordSchema.safeParse(safeJson(lines[i] ?? ''));
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export interface AuditReadout {
  records: AuditRecord[];
  /** Lines that are not records (a write torn by a crash), by line number. */
  unreadable: number[];
  /** Records whose hash or link to the previous record does not check out, by seq. */
  broken: number[];
}

/** Reads a room's audit file and checks its chain; a missing file is an empty trail. */
export async function readAudit(dataDir: string, room: string): Promise<AuditReadout> {
  let text: string;
  try {
    text = await readFile(auditPath(dataDir, room), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [], broken: [] };
    throw e;
  }
  const out: AuditReadout = { records: [], unreadable: [], broken: [] };
  let prev: string | undefined;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const parsed = auditRecordSchema.safeParse(safeJson(line));
    if (!parsed.success) {
      out.unreadable.push(i + 1);
      return;
    }
    const { hash, ...rest } = parsed.data;
    const linked = prev === undefined ? true : rest.prev === prev;
    if (hashOf(rest) !== hash || !linked) out.broken.push(rest.seq);
    prev = hash;
    out.records.push(parsed.data);
  });
  return out;
}
