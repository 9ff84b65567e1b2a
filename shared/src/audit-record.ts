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
 *
 * This module is the record contract: kinds, record schemas, file paths and the MACs.
 * audit-verify.ts checks a trail; audit-log.ts writes one.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
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
export const legacyRecordSchema = z.object({ ...recordFields, hash: z.string() });

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
export const macOf = (key: Buffer, r: Omit<AuditRecord, 'mac'>) => hmac(key, MAC_LABEL + canonical(r));
export const genesisOf = (key: Buffer, room: string) => hmac(key, GENESIS_LABEL + room);

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface Head {
  room: string;
  /** The last seq written; -1 for a trail with no record yet. */
  seq: number;
  mac: string;
  ts: number;
}
export const headSchema = z.object({
  room: z.string(),
  seq: z.number().int().min(-1),
  mac: z.string(),
  ts: z.number(),
  headMac: z.string(),
});
export const headMacOf = (key: Buffer, h: Head) =>
  hmac(key, HEAD_LABEL + canonical({ room: h.room, seq: h.seq, mac: h.mac, ts: h.ts }));

/** The hash of the unkeyed format (issue 5), kept only to check old trails. */
export function legacyHashOf(r: Omit<z.infer<typeof legacyRecordSchema>, 'hash'>): string {
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
