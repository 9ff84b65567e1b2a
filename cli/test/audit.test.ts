/**
 * `roomcrew audit` (the built CLI, as users run it): exit 0 and the records for an intact trail;
 * exit 3 naming what is wrong and where for a tampered one; exit 2 without a usable key.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditPath } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { writeStandupTrail } from '../../tests/support/audit-trail.js';
import { runProgram } from '../../tests/support/run.js';

const KEY = 'cli-test-audit-key-0123456789abcdef-012345';
const quiet = { info() {}, warn() {}, error() {} };

const run = (args: string[], env: Record<string, string>) => runProgram('cli', args, env);

/** A room with three records: a request, an approval, the tool's result. */
function standup(env: NodeJS.ProcessEnv): string {
  const data = mkdtempSync(join(tmpdir(), 'cli-audit-'));
  writeStandupTrail(data, { env, log: quiet });
  return data;
}

const editLines = (data: string, edit: (lines: string[]) => string[]) => {
  const path = auditPath(data, 'standup');
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  writeFileSync(
    path,
    edit(lines)
      .map((l) => `${l}\n`)
      .join(''),
  );
};

describe('roomcrew audit', () => {
  it('prints an intact trail and exits 0 (key from CREW_AUDIT_KEY, or the key file when unset)', async () => {
    const keyed = standup({ CREW_AUDIT_KEY: KEY });
    const ok = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: keyed, CREW_AUDIT_KEY: KEY });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/#1 escalation\.decision by op-1 \[esc-1\] {2}\{"decision":"approve"\}/);
    expect(ok.stderr).toBe('');

    const filed = standup({});
    const alsoOk = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: filed });
    expect(alsoOk.code).toBe(0);
    expect(alsoOk.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('exits 3 and names an edited record', async () => {
    const data = standup({});
    const path = auditPath(data, 'standup');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"approve"', '"reject"'));
    const r = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: data });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('{"decision":"reject"}'); // still shown, so the operator sees what changed
    expect(r.stderr).toContain(`the audit trail of room "standup" is NOT intact (${path}): 1 problem(s)`);
    expect(r.stderr).toContain(
      'bad_mac at #1: record #1 (line 2) fails its MAC: it was edited, or written without the key',
    );
  });

  it('exits 3 for a cut tail, a cut head, a gap, or a trail deleted under its head', async () => {
    const tail = standup({});
    editLines(tail, (l) => l.slice(0, 2));
    const t = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: tail });
    expect(t.code).toBe(3);
    expect(t.stderr).toContain('tail_cut at #2: the trail ends at #1 but its head says #2 was written');

    const head = standup({});
    editLines(head, (l) => l.slice(1));
    const h = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: head });
    expect(h.code).toBe(3);
    expect(h.stderr).toContain('head_cut at #1: the trail starts at #1: #0 are missing from its beginning');

    const gap = standup({});
    editLines(gap, (l) => [l[0], l[2]] as string[]);
    const g = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: gap });
    expect(g.code).toBe(3);
    expect(g.stderr).toContain('gap at #2: #1 are missing before #2 (line 2)');

    const gone = standup({});
    unlinkSync(auditPath(gone, 'standup'));
    const d = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: gone });
    expect(d.code).toBe(3);
    expect(d.stderr).toContain('tail_cut at #2: the trail has no record but its head says #2 was written');
  });

  it('exits 3 when checked with another key; 2 without a key or with a short one', async () => {
    const data = standup({ CREW_AUDIT_KEY: KEY });
    const wrong = await run(['audit', '--room', 'standup'], {
      CREW_DATA_DIR: data,
      CREW_AUDIT_KEY: 'x'.repeat(40),
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('bad_mac at #0');

    const none = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: data });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('CREW_AUDIT_KEY is not set and there is no key file');

    const short = await run(['audit', '--room', 'standup'], { CREW_DATA_DIR: data, CREW_AUDIT_KEY: 'short' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain(
      'CREW_AUDIT_KEY="short" is invalid: expected a secret of at least 32 characters',
    );
  });

  it('reports an old unkeyed trail as legacy (exit 3), and a missing one as before (exit 1)', async () => {
    const data = mkdtempSync(join(tmpdir(), 'cli-audit-'));
    mkdirSync(join(data, 'audit'));
    const r = {
      seq: 0,
      ts: 1_700_000_000_000,
      room: 'old',
      kind: 'takeover',
      actor: 'op',
      detail: {},
      prev: '0'.repeat(64),
    };
    const hash = createHash('sha256')
      .update(JSON.stringify([r.seq, r.ts, r.room, r.kind, r.actor, null, null, r.detail, r.prev]))
      .digest('hex');
    writeFileSync(auditPath(data, 'old'), `${JSON.stringify({ ...r, hash })}\n`);
    const legacy = await run(['audit', '--room', 'old'], { CREW_DATA_DIR: data });
    expect(legacy.code).toBe(3);
    expect(legacy.stdout).toContain('#0 takeover by op');
    expect(legacy.stderr).toContain('is an unkeyed legacy trail');

    const missing = await run(['audit', '--room', 'nobody'], { CREW_DATA_DIR: data });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no audit trail for room "nobody"');
    rmSync(data, { recursive: true });
  });
});
