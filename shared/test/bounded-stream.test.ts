import { describe, expect, it } from 'vitest';
import { readBytesBounded, readTextBounded, type StreamLike } from '../src/bounded-stream.js';

/** A stream like rtc-node's readers: chunks on demand, a record of how far it was read, close(). */
function fakeStream<C>(
  chunks: C[],
  opts: { totalSize?: number; stallAfter?: number; failAfter?: number } = {},
): StreamLike<C> & { pulled: number; closed: boolean; returned: boolean } {
  const s = {
    pulled: 0,
    closed: false,
    returned: false,
    ...(opts.totalSize !== undefined ? { info: { totalSize: opts.totalSize } } : {}),
    async close() {
      s.closed = true;
    },
    [Symbol.asyncIterator](): AsyncIterator<C> {
      return {
        next: async () => {
          if (opts.failAfter !== undefined && s.pulled >= opts.failAfter)
            throw new Error('stream terminated');
          if (opts.stallAfter !== undefined && s.pulled >= opts.stallAfter)
            return new Promise(() => undefined);
          if (s.pulled >= chunks.length) return { done: true, value: undefined };
          return { done: false, value: chunks[s.pulled++] as C };
        },
        return: async () => {
          s.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return s;
}

describe('readTextBounded', () => {
  it('reads a stream within the cap whole', async () => {
    const s = fakeStream(['hello ', 'there']);
    expect(await readTextBounded(s, { maxBytes: 11 })).toEqual({ ok: true, value: 'hello there' });
    expect(s.returned).toBe(false); // ended on its own
  });

  it('stops reading at the first chunk past the cap and stops the stream', async () => {
    const chunks = Array.from({ length: 1000 }, () => 'x'.repeat(1000));
    const s = fakeStream(chunks);
    const r = await readTextBounded(s, { maxBytes: 4500 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large', bytes: 5000 } });
    expect(s.pulled).toBe(5); // never the other 995 chunks
    expect(s.returned).toBe(true);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const r = await readTextBounded(fakeStream(['€€€€']), { maxBytes: 11 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large', bytes: 12 } });
    expect(await readTextBounded(fakeStream(['€€€€']), { maxBytes: 12 })).toEqual({
      ok: true,
      value: '€€€€',
    });
  });

  it('refuses a stream whose declared size is over the cap without reading it', async () => {
    const s = fakeStream(['tiny'], { totalSize: 10_000_000 });
    const r = await readTextBounded(s, { maxBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large', bytes: 0 } });
    expect(s.pulled).toBe(0);
    expect(s.closed).toBe(true);
  });

  it('does not trust a declared size under the cap', async () => {
    const s = fakeStream(['x'.repeat(600), 'x'.repeat(600)], { totalSize: 10 });
    const r = await readTextBounded(s, { maxBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large' } });
  });

  it('gives up on a stalled stream at the deadline', async () => {
    const s = fakeStream(['a', 'b', 'c'], { stallAfter: 2 });
    const started = Date.now();
    const r = await readTextBounded(s, { maxBytes: 1000, timeoutMs: 100 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'timeout', bytes: 2 } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.returned).toBe(true);
  });

  it('reports a stream that fails, without throwing', async () => {
    const r = await readTextBounded(fakeStream(['a', 'b'], { failAfter: 1 }), { maxBytes: 1000 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'failed', bytes: 1 } });
  });

  it('reads an empty stream as empty text', async () => {
    expect(await readTextBounded(fakeStream<string>([]), { maxBytes: 0 })).toEqual({ ok: true, value: '' });
  });
});

describe('readBytesBounded', () => {
  it('joins the chunks within the cap', async () => {
    const r = await readBytesBounded(fakeStream([Uint8Array.of(1, 2), Uint8Array.of(3)]), { maxBytes: 3 });
    expect(r).toEqual({ ok: true, value: Uint8Array.of(1, 2, 3) });
  });

  it('stops past the cap', async () => {
    const s = fakeStream([new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)]);
    const r = await readBytesBounded(s, { maxBytes: 15 });
    expect(r).toMatchObject({ ok: false, error: { reason: 'too_large', bytes: 20 } });
    expect(s.pulled).toBe(2);
  });
});
