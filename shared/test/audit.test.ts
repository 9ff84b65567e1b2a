import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditPath, readAudit } from '../src/audit.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'audit-'));

describe('AuditLog', () => {
  it('appends chained records that read back in order', async () => {
    const dir = fresh();
    const log = new AuditLog(dir, 'room/a b');
    log.append({
      kind: 'escalation.request',
      actor: 'reasoner-1',
      escalationId: 'e1',
      detail: { tool: 'send_webhook' },
    });
    log.append({
      kind: 'escalation.decision',
      actor: 'op-1',
      escalationId: 'e1',
      detail: { decision: 'approve' },
    });
    log.close();
    const out = await readAudit(dir, 'room/a b');
    expect(out.records.map((r) => [r.seq, r.kind, r.actor])).toEqual([
      [0, 'escalation.request', 'reasoner-1'],
      [1, 'escalation.decision', 'op-1'],
    ]);
    expect(out.records[1]?.prev).toBe(out.records[0]?.hash);
    expect(out.broken).toEqual([]);
    expect(out.unreadable).toEqual([]);
  });

  it('continues the chain of an earlier session of the same room', async () => {
    const dir = fresh();
    const first = new AuditLog(dir, 'r');
    first.append({ kind: 'takeover', actor: 'op', detail: {} });
    first.close();
    const second = new AuditLog(dir, 'r');
    second.append({ kind: 'handback', actor: 'op', detail: {} });
    second.close();
    const out = await readAudit(dir, 'r');
    expect(out.records.map((r) => r.seq)).toEqual([0, 1]);
    expect(out.broken).toEqual([]);
  });

  it('detects an edited record and skips a line torn by a crash', async () => {
    const dir = fresh();
    const log = new AuditLog(dir, 'r');
    log.append({ kind: 'tool.call', actor: 'reasoner', callId: 'c1', detail: { tool: 'post_note' } });
    log.append({ kind: 'tool.result', actor: 'reasoner', callId: 'c1', detail: { status: 'ok' } });
    log.close();
    const path = auditPath(dir, 'r');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"status":"ok"', '"status":"error"'));
    appendFileSync(path, '{"seq":2,"ts":');
    const out = await readAudit(dir, 'r');
    expect(out.broken).toEqual([1]);
    expect(out.unreadable).toEqual([3]);
  });

  it('reads a room with no trail as empty', async () => {
    expect(await readAudit(fresh(), 'nobody')).toEqual({ records: [], unreadable: [], broken: [] });
  });
});
