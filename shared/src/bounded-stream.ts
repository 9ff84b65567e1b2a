/**
 * Reading an incoming LiveKit text or byte stream with a cap (issue 10): chunks are counted as
 * they arrive and reading stops at the first one past the cap, or when the stream takes too long,
 * so a sender can never make us hold more than the cap plus one chunk. `readAll()` would buffer
 * whatever the sender sends. Works on rtc-node's TextStreamReader / ByteStreamReader (and any
 * async iterable of chunks); no rtc-node import, so it is testable without a room.
 */
import { STREAM_READ_TIMEOUT_MS, utf8ByteLength } from './limits.js';
import { err, ok, type Result } from './result.js';

export interface StreamLike<C> extends AsyncIterable<C> {
  /** rtc-node readers carry the size the sender declared in the stream header, if any. */
  readonly info?: { totalSize?: number };
  /** rtc-node readers release their subscription here; used when a stream is refused unread. */
  close?(): Promise<void>;
}

export type StreamRefusal = 'too_large' | 'timeout' | 'failed';

export interface BoundedReadError {
  reason: StreamRefusal;
  /** Bytes received before reading stopped. */
  bytes: number;
  message: string;
}

export interface BoundedReadOptions {
  maxBytes: number;
  /** Whole-stream deadline (default STREAM_READ_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Reads a text stream whole if it stays within `maxBytes` UTF-8 bytes; never throws. */
export async function readTextBounded(
  stream: StreamLike<string>,
  opts: BoundedReadOptions,
): Promise<Result<string, BoundedReadError>> {
  const r = await readBounded(stream, utf8ByteLength, opts);
  return r.ok ? ok(r.value.join('')) : r;
}

/** Reads a byte stream whole if it stays within `maxBytes`; never throws. */
export async function readBytesBounded(
  stream: StreamLike<Uint8Array>,
  opts: BoundedReadOptions,
): Promise<Result<Uint8Array, BoundedReadError>> {
  const r = await readBounded(stream, (c) => c.byteLength, opts);
  if (!r.ok) return r;
  const out = new Uint8Array(r.value.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of r.value) {
    out.set(c, at);
    at += c.byteLength;
  }
  return ok(out);
}

async function readBounded<C>(
  stream: StreamLike<C>,
  sizeOf: (chunk: C) => number,
  opts: BoundedReadOptions,
): Promise<Result<C[], BoundedReadError>> {
  const { maxBytes } = opts;
  const declared = stream.info?.totalSize;
  if (declared !== undefined && declared > maxBytes) {
    // Refused on the sender's own word, before a byte is read.
    await closeQuietly(stream);
    return err({
      reason: 'too_large',
      bytes: 0,
      message: `stream declares ${declared} bytes, over the ${maxBytes}-byte limit`,
    });
  }
  const timeoutMs = opts.timeoutMs ?? STREAM_READ_TIMEOUT_MS;
  const chunks: C[] = [];
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let it: AsyncIterator<C> | undefined;
  let finished = false;
  let stalled = false;
  try {
    it = stream[Symbol.asyncIterator]();
    for (;;) {
      const pending = it.next();
      const next = await Promise.race([pending, timedOut]);
      if (next === 'timeout') {
        pending.catch(() => undefined); // closing below ends it; its outcome no longer matters
        stalled = true;
        return err({
          reason: 'timeout',
          bytes,
          message: `stream not complete after ${timeoutMs} ms (${bytes} bytes so far)`,
        });
      }
      if (next.done) {
        finished = true;
        return ok(chunks);
      }
      bytes += sizeOf(next.value);
      if (bytes > maxBytes) {
        return err({
          reason: 'too_large',
          bytes,
          message: `stream passed the ${maxBytes}-byte limit (${bytes} bytes read); reading stopped`,
        });
      }
      chunks.push(next.value);
    }
  } catch (e) {
    finished = true; // a stream that errored has ended; nothing left to release
    return err({ reason: 'failed', bytes, message: `stream could not be read: ${(e as Error).message}` });
  } finally {
    clearTimeout(timer);
    if (!finished) {
      // Stopped early: stop receiving (rtc-node cancels the read in flight and unsubscribes). A
      // stalled stream is not waited for: some iterators finish a pending read before returning.
      const closing = Promise.resolve(it?.return ? it.return() : closeQuietly(stream)).catch(() => undefined);
      if (!stalled) await closing;
    }
  }
}

async function closeQuietly(stream: StreamLike<unknown>): Promise<void> {
  try {
    await stream.close?.();
  } catch {
    // already closed or ended: nothing to release
  }
}
