/**
 * The operator passcode guard with its default limits, on a fake clock: a limited client is refused
 * before its passcode is checked, the lockout grows, and a global budget stops a guesser with many
 * addresses.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_PASSCODE_LIMITS,
  PasscodeGuard,
  type PasscodeVerdict,
} from '../src/server/passcode-guard.js';

const RIGHT = 'correct horse battery';
const MINUTE = 60_000;

const reasons = (vs: PasscodeVerdict[]) =>
  vs.reduce<Record<string, number>>((m, v) => {
    const k = v.ok ? 'ok' : v.reason;
    m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});

async function guesses(guard: PasscodeGuard, client: string, n: number): Promise<PasscodeVerdict[]> {
  const out: PasscodeVerdict[] = [];
  for (let i = 0; i < n; i++) out.push(await guard.check(client, `guess-${i}`));
  return out;
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PasscodeGuard, per client', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_PASSCODE_LIMITS).toEqual({
      perClient: 5,
      global: 30,
      lockoutMs: MINUTE,
      maxLockoutMs: 60 * MINUTE,
    });
  });

  it('refuses a limited client before checking its passcode: the right one gets nothing', async () => {
    const guard = new PasscodeGuard(RIGHT);
    const first = await guesses(guard, '203.0.113.7', 5);
    expect(first.slice(0, 4)).toEqual(Array(4).fill({ ok: false, reason: 'wrong' }));
    expect(first[4]).toEqual({ ok: false, reason: 'wrong', lockedOutMs: MINUTE });

    const right = await guard.check('203.0.113.7', RIGHT);
    expect(right).toMatchObject({ ok: false, reason: 'client_locked' });
    expect(right.ok === false && right.reason === 'client_locked' && right.retryAfterMs).toBe(MINUTE);
    expect(reasons(await guesses(guard, '203.0.113.7', 1000))).toEqual({ client_locked: 1000 });
    // Another address is not affected, and the lockout ends.
    expect(await guard.check('203.0.113.8', RIGHT)).toEqual({ ok: true });
    vi.advanceTimersByTime(MINUTE - 1);
    expect(await guard.check('203.0.113.7', RIGHT)).toMatchObject({
      reason: 'client_locked',
      retryAfterMs: 1,
    });
    vi.advanceTimersByTime(1);
    expect(await guard.check('203.0.113.7', RIGHT)).toEqual({ ok: true });
  });

  it('doubles the lockout each time the same client spends its budget again, up to the maximum', async () => {
    const guard = new PasscodeGuard(RIGHT);
    const lockouts: number[] = [];
    for (let round = 0; round < 9; round++) {
      const v = (await guesses(guard, 'c', 5)).at(-1);
      lockouts.push(v && !v.ok && v.reason === 'wrong' ? (v.lockedOutMs ?? 0) : -1);
      const waitMs = lockouts.at(-1) ?? 0;
      vi.advanceTimersByTime(waitMs - 1);
      expect(await guard.check('c', RIGHT)).toMatchObject({ reason: 'client_locked' });
      vi.advanceTimersByTime(1);
    }
    expect(lockouts.map((ms) => ms / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // A day later the history is forgotten.
    vi.advanceTimersByTime(24 * 60 * MINUTE);
    expect((await guesses(guard, 'c', 5)).at(-1)).toEqual({
      ok: false,
      reason: 'wrong',
      lockedOutMs: MINUTE,
    });
  });

  it('counts wrong passcodes only: right ones in between use no budget', async () => {
    const guard = new PasscodeGuard(RIGHT);
    expect(reasons(await guesses(guard, 'op', 4))).toEqual({ wrong: 4 });
    for (let i = 0; i < 20; i++) expect(await guard.check('op', RIGHT)).toEqual({ ok: true });
    expect(await guard.check('op', 'typo')).toEqual({ ok: false, reason: 'wrong', lockedOutMs: MINUTE });
    expect(await guard.check('op', RIGHT)).toMatchObject({ reason: 'client_locked' });
  });

  it('lets no extra guess through when the guesses arrive concurrently', async () => {
    const guard = new PasscodeGuard(RIGHT);
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => guard.check('burst', i === 150 ? RIGHT : `g${i}`)),
    );
    expect(reasons(all)).toEqual({ wrong: 5, client_locked: 195 });
  });

  it('forgets a minute of wrong passcodes that did not spend the budget', async () => {
    const guard = new PasscodeGuard(RIGHT);
    await guesses(guard, 'slow', 4);
    vi.advanceTimersByTime(MINUTE);
    expect(reasons(await guesses(guard, 'slow', 4))).toEqual({ wrong: 4 });
    expect(await guard.check('slow', RIGHT)).toEqual({ ok: true });
  });
});

describe('PasscodeGuard, globally', () => {
  it('stops 50 addresses × 20 guesses after 30 wrong ones, and then refuses the right passcode from a fresh address', async () => {
    const guard = new PasscodeGuard(RIGHT);
    const all: PasscodeVerdict[] = [];
    for (let round = 0; round < 20; round++) {
      for (let a = 1; a <= 50; a++) all.push(await guard.check(`198.51.100.${a}`, `guess-${round}-${a}`));
    }
    expect(reasons(all)).toEqual({ wrong: 30, global_locked: 970 });
    const fresh = await guard.check('192.0.2.99', RIGHT);
    expect(fresh).toEqual({ ok: false, reason: 'global_locked', retryAfterMs: MINUTE });

    // The pause ends after the lockout; the next one is twice as long.
    vi.advanceTimersByTime(MINUTE);
    expect(await guard.check('192.0.2.99', RIGHT)).toEqual({ ok: true });
    const again: PasscodeVerdict[] = [];
    for (let a = 1; a <= 50; a++) again.push(await guard.check(`203.0.113.${a}`, 'nope'));
    expect(reasons(again)).toEqual({ wrong: 30, global_locked: 20 });
    expect(await guard.check('192.0.2.100', RIGHT)).toEqual({
      ok: false,
      reason: 'global_locked',
      retryAfterMs: 2 * MINUTE,
    });
  });

  it('takes its limits from the options', async () => {
    const guard = new PasscodeGuard(RIGHT, { perClient: 2, global: 3, lockoutMs: 1000, maxLockoutMs: 1500 });
    expect(reasons(await guesses(guard, 'a', 3))).toEqual({ wrong: 2, client_locked: 1 });
    expect(await guard.check('b', 'x')).toEqual({ ok: false, reason: 'wrong' });
    expect(await guard.check('c', RIGHT)).toMatchObject({ reason: 'global_locked', retryAfterMs: 1000 });
    vi.advanceTimersByTime(1000);
    expect(await guard.check('c', RIGHT)).toEqual({ ok: true });
  });
});
