/** The console server's pure parts: rate limiting, operator sessions, passcodes, TTLs. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/server/rate-limit.js';
import { ttlMs } from '../src/server/server.js';
import { passcodeMatches, SessionSigner } from '../src/server/sessions.js';

describe('RateLimiter', () => {
  it("allows a minute's worth at once, then refills continuously, per key", () => {
    const rl = new RateLimiter(3);
    const t = 1_000_000;
    expect([1, 2, 3].map(() => rl.take('a', t).ok)).toEqual([true, true, true]);
    const denied = rl.take('a', t);
    expect(denied).toEqual({ ok: false, retryAfterMs: 20_000 });
    expect(rl.take('b', t).ok).toBe(true);
    expect(rl.take('a', t + 19_999).ok).toBe(false);
    expect(rl.take('a', t + 20_000 + 19_999).ok).toBe(true);
  });

  it('forgets full buckets, so memory stays bounded', () => {
    const rl = new RateLimiter(60, 100);
    for (let i = 0; i < 100; i++) rl.take(`k${i}`, 0);
    expect(rl.size).toBe(100);
    rl.take('late', 120_000); // at capacity: the sweep drops the refilled buckets first
    expect(rl.size).toBe(1);
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
    expect(ttlMs('90s')).toBe(90_000);
    expect(ttlMs('15m')).toBe(900_000);
    expect(ttlMs('2h')).toBe(7_200_000);
    expect(() => ttlMs('15 minutes')).toThrow(/bad TTL/);
  });
});
