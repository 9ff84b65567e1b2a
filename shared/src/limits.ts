/**
 * Caps on every input path (issue 10): what exceeds one is refused, counted and logged, and never
 * buffered whole first. One place for all of them, so the README's Limits table and the code agree.
 * Browser-safe (no node-only imports).
 */
import { MAX_EVENT_BYTES } from './events.js';

/** A crew event on `crew.v1` (one reliable data packet); its byte length is checked before decoding. */
export const MAX_CREW_EVENT_BYTES = MAX_EVENT_BYTES;

/**
 * Nesting of objects and arrays in a crew event or RPC payload. Real ones nest a few levels;
 * thousands (which fit in a few KiB) parse fine but overflow the stack of JSON.stringify when the
 * event is relayed or audited, so they are refused before parsing.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * A crew RPC payload; checked before the payload is parsed. LiveKit documents 15 KiB as its own
 * limit, but nothing on the receiving side enforces it: rtc-node 0.13.35 sent 30 KiB payloads and
 * they reached the handler (measured by the fuzz test), so this cap is the one that holds.
 */
export const MAX_RPC_PAYLOAD_BYTES = 8 * 1024;

/**
 * LiveKit's documented RPC payload limit (a caller's SDK may refuse bigger payloads with RpcError
 * 1402, `REQUEST_PAYLOAD_TOO_LARGE`; rtc-node 0.13.35 does not).
 */
export const LIVEKIT_MAX_RPC_PAYLOAD_BYTES = 15 * 1024;

/** One chat message (`lk.chat`) as the reasoner takes it in, in characters… */
export const MAX_CHAT_MESSAGE_CHARS = 4000;
/** …and in UTF-8 bytes on the wire (4000 characters of up to 4 bytes): reading stops there. */
export const MAX_CHAT_MESSAGE_BYTES = 16_000;

/** Any other incoming text stream: reading stops at this many UTF-8 bytes. */
export const MAX_TEXT_STREAM_BYTES = 64 * 1024;

/** Any incoming byte stream (no agent registers a byte-stream handler today; LiveKit drops those). */
export const MAX_BYTE_STREAM_BYTES = 1024 * 1024;

/** How long one incoming stream may take to arrive whole: a stalled sender does not hold a reader. */
export const STREAM_READ_TIMEOUT_MS = 30_000;

/**
 * Incoming streams read at once per sender on one topic; more are closed unread. A burst of
 * messages sent one after another has several arriving at once on a busy machine (4 refused real
 * messages in a test), and 16 × the chat cap is still a small bound.
 */
export const MAX_STREAMS_PER_SENDER = 16;

/**
 * Audio kept for one utterance (replayed to the next engine when one fails). At this length the
 * utterance is finalised and the speech goes on as a new one, so memory stays bounded while
 * someone talks without pausing (or plays music). Whisper reads 30 s windows anyway.
 */
export const MAX_UTTERANCE_SECONDS = 30;

/** Every cap by name, for logs and the stats answer. */
export const LIMITS = {
  crewEventBytes: MAX_CREW_EVENT_BYTES,
  jsonDepth: MAX_JSON_DEPTH,
  rpcPayloadBytes: MAX_RPC_PAYLOAD_BYTES,
  chatMessageChars: MAX_CHAT_MESSAGE_CHARS,
  chatMessageBytes: MAX_CHAT_MESSAGE_BYTES,
  textStreamBytes: MAX_TEXT_STREAM_BYTES,
  byteStreamBytes: MAX_BYTE_STREAM_BYTES,
  streamReadTimeoutMs: STREAM_READ_TIMEOUT_MS,
  streamsPerSender: MAX_STREAMS_PER_SENDER,
  utteranceSeconds: MAX_UTTERANCE_SECONDS,
} as const;

/** UTF-8 length of a string without encoding it (lone surrogates count 3, as TextEncoder writes U+FFFD). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** True when the string's UTF-8 form is over `max` bytes; cheap for the common short case. */
export function exceedsUtf8Bytes(s: string, max: number): boolean {
  if (s.length > max) return true; // every UTF-16 unit is at least one byte
  if (s.length * 3 <= max) return false; // and at most three
  return utf8ByteLength(s) > max;
}

/**
 * True when JSON text nests objects/arrays deeper than `max`: one pass over the text, brackets in
 * strings ignored, nothing allocated. Says nothing about whether the text is valid JSON.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Refusal counters by reason, for an agent's metrics. */
export class RefusalCounts {
  readonly #counts = new Map<string, number>();

  /** Counts one refusal and returns how many of this reason there have been. */
  count(reason: string): number {
    const n = (this.#counts.get(reason) ?? 0) + 1;
    this.#counts.set(reason, n);
    return n;
  }

  get total(): number {
    let t = 0;
    for (const n of this.#counts.values()) t += n;
    return t;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/**
 * Bounds the warn lines one sender can cause: the first `perWindow` refusals of a window are
 * logged one by one, the rest only counted and reported in one line when the window ends (a
 * flood of bad input must not become a flood of logs). Memory stays bounded: at most `maxKeys`
 * senders are tracked, the oldest forgotten first.
 */
export class LogBudget {
  readonly #windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly maxKeys = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether to log this one, and how many were suppressed for this key in the window that just
   * ended (to be reported in that line).
   */
  take(key: string): { log: boolean; suppressed: number } {
    const t = this.now();
    let w = this.#windows.get(key);
    let suppressed = 0;
    if (!w || t - w.start >= this.windowMs) {
      suppressed = w?.suppressed ?? 0;
      this.#windows.delete(key);
      w = { start: t, logged: 0, suppressed: 0 };
      this.#windows.set(key, w);
      if (this.#windows.size > this.maxKeys) {
        const oldest = this.#windows.keys().next().value as string;
        this.#windows.delete(oldest);
      }
    }
    if (w.logged < this.perWindow) {
      w.logged++;
      return { log: true, suppressed };
    }
    w.suppressed++;
    return { log: false, suppressed };
  }
}
