/**
 * A per-source sliding window (issue 10): how many low-impact side effects (notes, action items)
 * the content of one participant may cause per minute. Memory stays bounded: a window holds at
 * most `perWindow` timestamps, empty windows are dropped, and beyond `maxSources` the source
 * seen least recently is forgotten (a forgotten source starts afresh, which only ever allows a
 * few more posts, never more authority).
 */

export interface RateLimitOptions {
  perWindow: number;
  windowMs?: number;
  maxSources?: number;
  now?: () => number;
}

export type RateDecision =
  | { ok: true; used: number }
  | { ok: false; used: number; retryInMs: number; refusedSoFar: number };

export class SourceRateLimiter {
  readonly perWindow: number;
  readonly windowMs: number;
  readonly #maxSources: number;
  readonly #now: () => number;
  /** Insertion order is recency order: a source is moved to the end whenever it is used. */
  readonly #windows = new Map<string, { times: number[]; refused: number }>();

  constructor(o: RateLimitOptions) {
    this.perWindow = o.perWindow;
    this.windowMs = o.windowMs ?? 60_000;
    this.#maxSources = o.maxSources ?? 1000;
    this.#now = o.now ?? Date.now;
  }

  /** Sources currently remembered. */
  get size(): number {
    return this.#windows.size;
  }

  /** Takes one slot for `source` if its window has room; the answer says how full it is. */
  take(source: string): RateDecision {
    const now = this.#now();
    const w = this.#windows.get(source) ?? { times: [], refused: 0 };
    this.#windows.delete(source);
    while (w.times.length > 0 && (w.times[0] as number) <= now - this.windowMs) w.times.shift();
    let decision: RateDecision;
    if (w.times.length < this.perWindow) {
      w.times.push(now);
      decision = { ok: true, used: w.times.length };
    } else {
      w.refused++;
      decision = {
        ok: false,
        used: w.times.length,
        retryInMs: (w.times[0] as number) + this.windowMs - now,
        refusedSoFar: w.refused,
      };
    }
    this.#windows.set(source, w);
    this.#evict(now);
    return decision;
  }

  #evict(now: number): void {
    // A lazy sweep from the least recently used: drop what is over the cap or has gone quiet, stop
    // at the first live one. The cap bounds memory whatever the sweep leaves.
    for (const [source, w] of this.#windows) {
      const expired = (w.times.at(-1) ?? Number.NEGATIVE_INFINITY) <= now - this.windowMs;
      if (this.#windows.size > this.#maxSources || expired) this.#windows.delete(source);
      else break;
    }
  }
}
