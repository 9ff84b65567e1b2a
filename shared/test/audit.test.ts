import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { AUDIT_ENV, auditKeyPath, resolveAuditKey } from '../src/audit-key.js';
import { AuditLog, type AuditLogger, type AuditLogOptions, AuditTrailBusyError } from '../src/audit-log.js';
import { type AuditEntry, auditHeadPath, auditLockPath, auditPath } from '../src/audit-record.js';
import { readAudit } from '../src/audit-verify.js';
import { ConfigError, readConfig } from '../src/config.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'audit-'));
const KEY = 'test-audit-key-0123456789abcdef-0123456789';
const OTHER_KEY = 'someone-elses-key-0123456789abcdef-01234567';
const quiet = () => ({ info: vi.fn(), warn: vi.fn(), error: vi.fn() }) satisfies AuditLogger;
const opts = () => ({ key: KEY, log: quiet() });
const entry = (i: number): AuditEntry => ({
  kind: 'tool.call',
  actor: 'reasoner',
  callId: `c${i}`,
  detail: { i },
});
/** The built package, for tests that need a second process. */
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function trail(dir: string, room: string, n: number, o: AuditLogOptions = { key: KEY }): void {
  const log = new AuditLog(dir, room, { log: quiet(), ...o });
  for (let i = 0; i < n; i++) log.append(entry(i));
  log.close();
}
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const setLines = (path: string, lines: string[]) => writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
const reasons = (out: { problems: { reason: string; seq?: number }[] }) =>
  out.problems.map((p) => [p.reason, p.seq]);

describe('AuditLog', () => {
  it('appends chained records that read back in order', async () => {
    const dir = fresh();
    const log = new AuditLog(dir, 'room/a b', opts());
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
    const out = await readAudit(dir, 'room/a b', { key: KEY });
    expect(out.records.map((r) => [r.seq, r.kind, r.actor])).toEqual([
      [0, 'escalation.request', 'reasoner-1'],
      [1, 'escalation.decision', 'op-1'],
    ]);
    expect(out.records[1]?.prev).toBe(out.records[0]?.mac);
    expect(out.verdict).toBe('intact');
    expect(out.problems).toEqual([]);
    expect(out.broken).toEqual([]);
    expect(out.unreadable).toEqual([]);
  });

  it('continues the chain of an earlier session of the same room', async () => {
    const dir = fresh();
    const first = new AuditLog(dir, 'r', opts());
    first.append({ kind: 'takeover', actor: 'op', detail: {} });
    first.close();
    const second = new AuditLog(dir, 'r', opts());
    second.append({ kind: 'handback', actor: 'op', detail: {} });
    second.close();
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.records.map((r) => r.seq)).toEqual([0, 1]);
    expect(out.verdict).toBe('intact');
  });

  it('reads a room with no trail as empty and intact, without needing a key', async () => {
    expect(await readAudit(fresh(), 'nobody', { env: {} })).toEqual({
      verdict: 'intact',
      records: [],
      problems: [],
      unreadable: [],
      broken: [],
    });
  });
});

describe('tampering is detected', () => {
  it('an edited record fails its MAC; a line torn by a crash is unreadable', async () => {
    const dir = fresh();
    const log = new AuditLog(dir, 'r', opts());
    log.append({ kind: 'tool.call', actor: 'reasoner', callId: 'c1', detail: { tool: 'post_note' } });
    log.append({ kind: 'tool.result', actor: 'reasoner', callId: 'c1', detail: { status: 'ok' } });
    log.close();
    const path = auditPath(dir, 'r');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"status":"ok"', '"status":"error"'));
    appendFileSync(path, '{"seq":2,"ts":');
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(out.broken).toEqual([1]);
    expect(out.unreadable).toEqual([3]);
    expect(reasons(out)).toEqual([
      ['bad_mac', 1],
      ['unreadable', undefined],
    ]);
    expect(out.problems[0]?.message).toContain('record #1 (line 2) fails its MAC');
  });

  it('a cut head: the first records removed', async () => {
    const dir = fresh();
    trail(dir, 'r', 4);
    const path = auditPath(dir, 'r');
    setLines(path, linesOf(path).slice(2));
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(reasons(out)).toEqual([['head_cut', 2]]);
    expect(out.problems[0]?.message).toBe('the trail starts at #2: #0..#1 are missing from its beginning');
  });

  it('a cut head renumbered from 0 fails every MAC', async () => {
    const dir = fresh();
    trail(dir, 'r', 3);
    const path = auditPath(dir, 'r');
    const rest = linesOf(path)
      .slice(1)
      .map((l, i) => JSON.stringify({ ...JSON.parse(l), seq: i }));
    setLines(path, rest);
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(out.problems.map((p) => p.reason)).toContain('bad_mac');
    expect(out.problems.map((p) => p.reason)).toContain('tail_cut'); // the head still says #2
  });

  it('a cut tail: the last records removed, or the whole file', async () => {
    const dir = fresh();
    trail(dir, 'r', 5);
    const path = auditPath(dir, 'r');
    const all = linesOf(path);
    setLines(path, all.slice(0, 3));
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(reasons(out)).toEqual([['tail_cut', 4]]);
    expect(out.problems[0]?.message).toBe(
      'the trail ends at #2 but its head says #4 was written: #3..#4 are missing from its end',
    );

    unlinkSync(path);
    const gone = await readAudit(dir, 'r', { key: KEY });
    expect(reasons(gone)).toEqual([['tail_cut', 4]]);
  });

  it('a cut tail with the head file removed too', async () => {
    const dir = fresh();
    trail(dir, 'r', 3);
    const path = auditPath(dir, 'r');
    setLines(path, linesOf(path).slice(0, 2));
    unlinkSync(auditHeadPath(dir, 'r'));
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(reasons(out)).toEqual([['tail_cut', undefined]]);
    expect(out.problems[0]?.message).toContain('head file');
  });

  it('a gap: a record removed from the middle', async () => {
    const dir = fresh();
    trail(dir, 'r', 4);
    const path = auditPath(dir, 'r');
    const all = linesOf(path);
    setLines(path, [all[0], all[1], all[3]] as string[]);
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(reasons(out)).toEqual([['gap', 3]]);
    expect(out.problems[0]?.message).toBe('#2 are missing before #3 (line 3)');
  });

  it('a broken link: a record of another chain (a fork) spliced in, valid MAC and seq', async () => {
    const a = fresh();
    const b = fresh();
    trail(a, 'r', 3);
    const other = new AuditLog(b, 'r', opts());
    for (let i = 0; i < 3; i++) other.append({ ...entry(i), detail: { forked: i } });
    other.close();
    const path = auditPath(a, 'r');
    setLines(path, [...linesOf(path).slice(0, 2), linesOf(auditPath(b, 'r'))[2] as string]);
    const out = await readAudit(a, 'r', { key: KEY });
    expect(reasons(out)).toEqual([
      ['broken_link', 2],
      ['tail_cut', 2],
    ]);
    expect(out.problems[0]?.message).toBe('record #2 (line 3) does not link to the record before it');
  });

  it('a record edited and the rest re-chained with plain SHA-256 fails every MAC from there', async () => {
    const dir = fresh();
    trail(dir, 'r', 3);
    const path = auditPath(dir, 'r');
    const records = linesOf(path).map((l) => JSON.parse(l));
    records[1].detail = { i: 99 };
    for (let i = 1; i < records.length; i++) {
      const { mac: _mac, ...rest } = records[i];
      rest.prev = records[i - 1].mac;
      records[i] = { ...rest, mac: createHash('sha256').update(JSON.stringify(rest)).digest('hex') };
    }
    setLines(
      path,
      records.map((r) => JSON.stringify(r)),
    );
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.broken).toEqual([1, 2]);
    expect(reasons(out)).toEqual([
      ['bad_mac', 1],
      ['bad_mac', 2],
    ]);
  });

  it('a trail rewritten with another key, head included, fails every MAC', async () => {
    const dir = fresh();
    trail(dir, 'r', 2);
    const forged = fresh();
    trail(forged, 'r', 2, { key: OTHER_KEY });
    cpSync(auditPath(forged, 'r'), auditPath(dir, 'r'));
    cpSync(auditHeadPath(forged, 'r'), auditHeadPath(dir, 'r'));
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(reasons(out)).toEqual([
      ['bad_mac', 0],
      ['bad_mac', 1],
      ['bad_mac', undefined],
    ]);
    expect(out.problems[2]?.message).toContain('the head file');
    expect((await readAudit(dir, 'r', { key: OTHER_KEY })).verdict).toBe('intact');
  });

  it('records stripped of their MACs are not taken for an old unkeyed trail', async () => {
    const dir = fresh();
    trail(dir, 'r', 2);
    const path = auditPath(dir, 'r');
    setLines(path, legacyLines('r', 2));
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.verdict).toBe('damaged');
    expect(out.problems.map((p) => p.reason)).toEqual(['unreadable', 'unreadable', 'tail_cut']);
  });

  it('a writer reopening a damaged trail continues it without hiding the damage', async () => {
    const dir = fresh();
    trail(dir, 'r', 5);
    const path = auditPath(dir, 'r');
    setLines(path, linesOf(path).slice(0, 3));
    const log = quiet();
    const writer = new AuditLog(dir, 'r', { key: KEY, log });
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ continuesAt: 5 }),
      expect.stringContaining('damaged'),
    );
    const next = writer.append(entry(9));
    writer.close();
    expect(next.seq).toBe(6); // #5 records the damage; the cut numbers are never reused
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.records.map((r) => r.seq)).toEqual([0, 1, 2, 5, 6]);
    expect(out.records[3]?.kind).toBe('audit.damaged');
    expect(reasons(out)).toEqual([
      ['gap', 5],
      ['tail_cut', 4],
    ]);
    expect(out.problems[1]?.recordedAt).toBe(5);

    // A deleted head cannot be re-created silently either.
    unlinkSync(auditHeadPath(dir, 'r'));
    trail(dir, 'r', 1);
    const after = await readAudit(dir, 'r', { key: KEY });
    expect(after.verdict).toBe('damaged');
    expect(after.problems.some((p) => p.reason === 'tail_cut' && p.message.includes('head file'))).toBe(true);
  });

  it('an old unkeyed trail is reported as legacy, and a writer moves it aside', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'audit'));
    setLines(auditPath(dir, 'r'), legacyLines('r', 2));
    const out = await readAudit(dir, 'r', { env: {} });
    expect(out.verdict).toBe('legacy');
    expect(out.records.map((r) => r.seq)).toEqual([0, 1]);
    expect(out.problems).toEqual([]);

    trail(dir, 'r', 1);
    expect(readdirSync(join(dir, 'audit')).some((f) => /^r\.unkeyed-\d+\.jsonl$/.test(f))).toBe(true);
    const now = await readAudit(dir, 'r', { key: KEY });
    expect(now.verdict).toBe('intact');
    expect(now.records.map((r) => r.seq)).toEqual([0]);
  });
});

describe('one writer per room', () => {
  it('refuses a second writer while the first is open; the chain does not fork', async () => {
    const dir = fresh();
    const first = new AuditLog(dir, 'r', opts());
    first.append(entry(0));
    expect(() => new AuditLog(dir, 'r', opts())).toThrow(AuditTrailBusyError);
    expect(() => new AuditLog(dir, 'r', opts())).toThrow(
      new RegExp(`held by pid ${process.pid} on host .* \\(lock file .*r\\.lock\\)`),
    );
    first.append(entry(1));
    first.close();
    expect(existsSync(auditLockPath(dir, 'r'))).toBe(false);
    trail(dir, 'r', 1);
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(out.verdict).toBe('intact');
  });

  it('open() waits for the other writer to close, or gives up saying what to do', async () => {
    const dir = fresh();
    const first = new AuditLog(dir, 'r', opts());
    first.append(entry(0));
    const log = quiet();
    await expect(AuditLog.open(dir, 'r', { key: KEY, log, waitMs: 300, retryMs: 50 })).rejects.toThrow(
      /did not let go within 300 ms\. Two writers would fork the chain, so this one stops\. If no process \d+ runs on host .* any more, delete .*r\.lock/,
    );
    expect(log.warn).toHaveBeenCalled();
    expect(log.error).toHaveBeenCalled();

    const stop = new AbortController();
    const waiting = AuditLog.open(dir, 'r', {
      key: KEY,
      log: quiet(),
      waitMs: 5000,
      retryMs: 50,
      signal: stop.signal,
    });
    stop.abort(new Error('the job is shutting down'));
    await expect(waiting).rejects.toThrow('the job is shutting down');

    setTimeout(() => first.close(), 300);
    const second = await AuditLog.open(dir, 'r', { key: KEY, log: quiet(), waitMs: 5000, retryMs: 50 });
    second.append(entry(1));
    second.close();
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.records.map((r) => r.seq)).toEqual([0, 1]);
    expect(out.verdict).toBe('intact');
  });

  it('takes over a stale lock (its process is gone), never a live one or one from another host', async () => {
    const dir = fresh();
    trail(dir, 'r', 1);
    const lock = auditLockPath(dir, 'r');
    const holder = (pid: number, host = hostname()) =>
      writeFileSync(lock, JSON.stringify({ pid, host, since: new Date().toISOString(), token: 't' }));

    const sleeper = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    holder(sleeper.pid as number);
    expect(() => new AuditLog(dir, 'r', opts())).toThrow(`held by pid ${sleeper.pid}`);
    await killed(sleeper);
    const log = quiet();
    const writer = new AuditLog(dir, 'r', { key: KEY, log });
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ stale: expect.objectContaining({ pid: sleeper.pid }) }),
      'took over the audit trail from a writer whose process is gone',
    );
    writer.append(entry(1));
    writer.close();

    holder(deadPid(), 'some-other-host');
    expect(() => new AuditLog(dir, 'r', opts())).toThrow('on host some-other-host');
    unlinkSync(lock);
    expect((await readAudit(dir, 'r', { key: KEY })).records.map((r) => r.seq)).toEqual([0, 1]);
  });

  it('another process: refused while it lives, taken over once it is killed, released on exit', async () => {
    const dir = fresh();
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { AuditLog } = await import(${JSON.stringify(DIST)});
       const log = { info() {}, warn() {}, error() {} };
       const a = new AuditLog(process.argv[1], 'r', { key: ${JSON.stringify(KEY)}, log });
       a.append({ kind: 'takeover', actor: 'op', detail: {} });
       console.log('ready');
       setInterval(() => {}, 1000);`,
      dir,
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(() => new AuditLog(dir, 'r', opts())).toThrow(`held by pid ${child.pid}`);
    await killed(child, 'SIGKILL');
    trail(dir, 'r', 1);
    const out = await readAudit(dir, 'r', { key: KEY });
    expect(out.records.map((r) => [r.seq, r.kind])).toEqual([
      [0, 'takeover'],
      [1, 'tool.call'],
    ]);
    expect(out.verdict).toBe('intact');

    const exits = spawnSync(process.execPath, [
      '--input-type=module',
      '-e',
      `const { AuditLog } = await import(${JSON.stringify(DIST)});
       new AuditLog(process.argv[1], 'r', { key: ${JSON.stringify(KEY)}, log: { info() {}, warn() {}, error() {} } });
       process.exit(0);`,
      dir,
    ]);
    expect(exits.status).toBe(0);
    expect(existsSync(auditLockPath(dir, 'r'))).toBe(false);
  });
});

describe('the audit key', () => {
  it('without CREW_AUDIT_KEY: a key file made once, mode 0600, beside the data, and a warning', async () => {
    const dir = fresh();
    const log = quiet();
    const writer = new AuditLog(dir, 'r', { env: {}, log });
    writer.append(entry(0));
    writer.close();
    const path = auditKeyPath(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = readFileSync(path, 'utf8');
    expect(key.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ keyFile: path, created: true }),
      expect.stringContaining('set CREW_AUDIT_KEY in production'),
    );
    expect(resolveAuditKey(dir, { env: {}, create: true })).toMatchObject({ source: 'file', created: false });
    trail(dir, 'r', 0, { env: {} });
    expect(readFileSync(path, 'utf8')).toBe(key);
    expect((await readAudit(dir, 'r', { env: {} })).verdict).toBe('intact');
    expect((await readAudit(dir, 'r', { env: { CREW_AUDIT_KEY: OTHER_KEY } })).verdict).toBe('damaged');
  });

  it('processes racing to make the key file agree on one key', async () => {
    const dir = fresh();
    const script = `const { resolveAuditKey } = await import(${JSON.stringify(DIST)});
      process.stdout.write(resolveAuditKey(process.argv[1], { env: {}, create: true }).secret.toString());`;
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<string>((resolve) => {
            const c = spawn(process.execPath, ['--input-type=module', '-e', script, dir]);
            let out = '';
            c.stdout.on('data', (d) => {
              out += d;
            });
            c.on('exit', () => resolve(out));
          }),
      ),
    );
    expect(new Set(runs).size).toBe(1);
    expect(runs[0]).toBe(readFileSync(auditKeyPath(dir), 'utf8').trim());
    expect(readdirSync(join(dir, 'keys'))).toEqual(['audit.key']);
  });

  it('a reader never makes a key: a keyed trail without its key is a configuration error', async () => {
    const dir = fresh();
    trail(dir, 'r', 1, { env: {} });
    rmSync(join(dir, 'keys'), { recursive: true });
    await expect(readAudit(dir, 'r', { env: {} })).rejects.toThrow(ConfigError);
    await expect(readAudit(dir, 'r', { env: {} })).rejects.toThrow(/CREW_AUDIT_KEY is not set/);
    expect(existsSync(auditKeyPath(dir))).toBe(false);
  });

  it('CREW_AUDIT_KEY shorter than 32 characters is a configuration error; unset falls back to the key file', () => {
    expect(() => readConfig(AUDIT_ENV, { CREW_AUDIT_KEY: 'short' })).toThrow(ConfigError);
    expect(() => readConfig(AUDIT_ENV, { CREW_AUDIT_KEY: 'short' })).toThrow(
      'CREW_AUDIT_KEY="short" is invalid: expected a secret of at least 32 characters',
    );
    expect(readConfig(AUDIT_ENV, {}).CREW_AUDIT_KEY).toBeUndefined();
    expect(() => new AuditLog(fresh(), 'r', { key: 'short', log: quiet() })).toThrow(ConfigError);
    expect(
      () => new AuditLog(fresh(), 'r', { env: { CREW_AUDIT_KEY: 'x'.repeat(31) }, log: quiet() }),
    ).toThrow(ConfigError);
  });
});

/** Records in the unkeyed format of issue 5 (a plain SHA-256 chain). */
function legacyLines(room: string, n: number): string[] {
  let prev = '0'.repeat(64);
  const out: string[] = [];
  for (let seq = 0; seq < n; seq++) {
    const r = { seq, ts: 1_700_000_000_000 + seq, room, kind: 'takeover', actor: 'op', detail: {}, prev };
    const hash = createHash('sha256')
      .update(JSON.stringify([r.seq, r.ts, r.room, r.kind, r.actor, null, null, r.detail, r.prev]))
      .digest('hex');
    out.push(JSON.stringify({ ...r, hash }));
    prev = hash;
  }
  return out;
}

function killed(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid;
}
