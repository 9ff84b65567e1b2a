import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from '../src/source-rate-limit.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('SourceRateLimiter', () => {
  it('allows N per sliding minute per source, and each source has its own window', () => {
    const c = clock();
    const l = new SourceRateLimiter({ perWindow: 3, now: c.now });
    // Three posts 20 s apart fill the window.
    for (const _ of [1, 2, 3]) {
      expect(l.take('mallory').ok).toBe(true);
      c.advance(20_000);
    }
    c.advance(-10_000); // t = 50 s
    const refused = l.take('mallory');
    expect(refused).toMatchObject({ ok: false, used: 3, refusedSoFar: 1, retryInMs: 10_000 });
    expect(l.take('mallory')).toMatchObject({ ok: false, refusedSoFar: 2 });
    // Someone else is not held back by Mallory.
    expect(l.take('bob').ok).toBe(true);
    // Sliding, not fixed: at 60 s only the first post has left the window.
    c.advance(10_000);
    expect(l.take('mallory')).toMatchObject({ ok: true, used: 3 });
    expect(l.take('mallory').ok).toBe(false);
  });

  it('forgets sources that went quiet, and never remembers more than maxSources', () => {
    const c = clock();
    const l = new SourceRateLimiter({ perWindow: 2, maxSources: 50, now: c.now });
    for (let i = 0; i < 10_000; i++) {
      l.take(`p-${i}`);
      expect(l.size).toBeLessThanOrEqual(50);
    }
    expect(l.size).toBe(50);
    // The most recent sources are the ones kept: p-9999 is still limited, p-0 starts afresh.
    l.take('p-9999');
    expect(l.take('p-9999').ok).toBe(false);
    expect(l.take('p-0')).toMatchObject({ ok: true, used: 1 });
    // A minute of quiet: the next use sweeps every window that emptied.
    c.advance(61_000);
    l.take('someone-new');
    expect(l.size).toBe(1);
  });

  it('keeps at most N timestamps per source however hard it is flooded', () => {
    const c = clock();
    const l = new SourceRateLimiter({ perWindow: 6, now: c.now });
    let ok = 0;
    for (let i = 0; i < 100_000; i++) {
      if (l.take('flooder').ok) ok++;
      c.advance(1);
    }
    // 100 s of flooding: 6 in the first minute, 6 more once the first window slid past.
    expect(ok).toBe(12);
    expect(l.size).toBe(1);
  });
});
