/** The console server's pure parts: the API rate limit, operator sessions, passcodes, durations. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { durationMs } from '../src/server/config.js';
import { ApiRateLimiter } from '../src/server/rate-limit.js';
import { passcodeMatches, SessionSigner } from '../src/server/sessions.js';

describe('ApiRateLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("allows a minute's worth per client, then refuses until that minute ends", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const rl = new ApiRateLimiter(3);
    expect(await Promise.all([1, 2, 3].map(() => rl.take('a')))).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    vi.advanceTimersByTime(20_000);
    expect(await rl.take('a')).toEqual({ ok: false, retryAfterMs: 40_000 });
    expect(await rl.take('b')).toEqual({ ok: true });
    vi.advanceTimersByTime(39_999);
    expect((await rl.take('a')).ok).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await rl.take('a')).toEqual({ ok: true });
  });
});

describe('SessionSigner', () => {
  it('verifies its own unexpired sessions only', () => {
    const signer = new SessionSigner();
    const s = { room: 'r', identity: 'op-1', exp: Date.now() + 60_000 };
    const token = signer.sign(s);
    expect(signer.verify(token)).toEqual(s);
    expect(signer.verify(token, s.exp + 1)).toBeUndefined();
    expect(new SessionSigner().verify(token)).toBeUndefined();
    const [body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...s, room: 'other' })).toString('base64url');
    expect(signer.verify(`${forged}.${mac}`)).toBeUndefined();
    expect(signer.verify(`${body}.`)).toBeUndefined();
    expect(signer.verify('garbage')).toBeUndefined();
  });

  it('compares passcodes exactly', () => {
    expect(passcodeMatches('correct horse', 'correct horse')).toBe(true);
    expect(passcodeMatches('correct horse', 'correct hors')).toBe(false);
    expect(passcodeMatches('correct horse', '')).toBe(false);
  });

  it('reads token lifetimes and refuses bad ones', () => {
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('2h')).toBe(7_200_000);
    expect(() => durationMs('15 minutes')).toThrow(/bad duration/);
  });
});
