/**
 * The general API limit: `perMinute` requests per client address in each minute, counted by
 * rate-limiter-flexible in this process's memory (entries expire with their minute, so memory stays
 * bounded by the clients of the last minute).
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

export class ApiRateLimiter {
  readonly #limiter: RateLimiterMemory;

  constructor(perMinute: number) {
    this.#limiter = new RateLimiterMemory({ keyPrefix: 'api', points: perMinute, duration: 60 });
  }

  /** Counts one request from `client`; refused with the time until its minute ends. */
  async take(client: string): Promise<Admission> {
    try {
      await this.#limiter.consume(client);
      return { ok: true };
    } catch (e) {
      if (e instanceof RateLimiterRes) return { ok: false, retryAfterMs: e.msBeforeNext };
      throw e;
    }
  }
}
