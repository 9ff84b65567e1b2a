/**
 * Token buckets per client key: `perMinute` requests, refilled continuously. Memory stays bounded:
 * buckets that have refilled completely carry no information and are dropped on the next sweep.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 50_000,
  ) {
    this.#refillPerMs = perMinute / 60_000;
  }

  /** Takes one token for `key`; when none is left, says how long until one is (ms). */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const b = this.#buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.#refillPerMs);
    b.at = now;
    if (!this.#buckets.has(key)) {
      if (this.#buckets.size >= this.maxKeys) this.sweep(now);
      this.#buckets.set(key, b);
    }
    if (b.tokens < 1) return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / this.#refillPerMs) };
    b.tokens -= 1;
    return { ok: true };
  }

  sweep(now = Date.now()): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#refillPerMs >= this.perMinute) this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
