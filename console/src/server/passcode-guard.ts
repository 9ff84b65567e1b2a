/**
 * The operator passcode check, limited per client and globally so that it cannot be brute-forced.
 *
 * Every attempt first reserves one guess from its client's budget and one from the global budget
 * (both per minute); an attempt that cannot reserve one is refused before the passcode is looked
 * at, so a limited client gets nothing even with the right passcode, and concurrent requests cannot
 * slip extra guesses past the count. A right passcode hands its reservation back: only wrong ones
 * count. The wrong guess that spends a budget starts a lockout, which doubles each time the same
 * budget is spent again within a day (up to a maximum). The global budget is what stops a guesser
 * with many addresses: when it is spent, operator sign-in pauses for everyone; participant tokens
 * never pass through here.
 */

import type { Logger } from '@roomcrew/shared';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimitKey } from './client-address.js';
import { passcodeMatches } from './sessions.js';

export interface PasscodeLimits {
  /** Wrong passcodes one client may send in a minute; the last of them locks it out. */
  perClient: number;
  /** Wrong passcodes all clients together may send in a minute before sign-in pauses for all. */
  global: number;
  /** The first lockout (client or global); each further one within a day doubles it. */
  lockoutMs: number;
  /** The longest a lockout grows to. */
  maxLockoutMs: number;
}

export const DEFAULT_PASSCODE_LIMITS: PasscodeLimits = {
  perClient: 5,
  global: 30,
  lockoutMs: 60_000,
  maxLockoutMs: 3_600_000,
};

export type PasscodeVerdict =
  | { ok: true }
  /** A wrong passcode; `lockedOutMs` when this guess spent a budget and started a lockout. */
  | { ok: false; reason: 'wrong'; lockedOutMs?: number }
  /** Refused unchecked: this client, or everyone, is locked out for `retryAfterMs`. */
  | { ok: false; reason: 'client_locked' | 'global_locked'; retryAfterMs: number };

const WINDOW_S = 60;
const LOCKOUT_MEMORY_S = 24 * 3600;
const GLOBAL = 'all';

export class PasscodeGuard {
  readonly limits: PasscodeLimits;
  readonly #passcode: string;
  readonly #perClient: RateLimiterMemory;
  readonly #global: RateLimiterMemory;
  /** How many lockouts each budget (a client's, or GLOBAL) has had in the last day. */
  readonly #lockouts: RateLimiterMemory;
  readonly #log: Logger | undefined;

  constructor(passcode: string, limits: Partial<PasscodeLimits> = {}, log?: Logger) {
    this.limits = { ...DEFAULT_PASSCODE_LIMITS, ...limits };
    this.#passcode = passcode;
    this.#log = log;
    this.#perClient = new RateLimiterMemory({
      keyPrefix: 'pass-client',
      points: this.limits.perClient,
      duration: WINDOW_S,
    });
    this.#global = new RateLimiterMemory({
      keyPrefix: 'pass-global',
      points: this.limits.global,
      duration: WINDOW_S,
    });
    this.#lockouts = new RateLimiterMemory({
      keyPrefix: 'pass-lockouts',
      points: Number.MAX_SAFE_INTEGER,
      duration: LOCKOUT_MEMORY_S,
    });
  }

  async check(address: string, given: string): Promise<PasscodeVerdict> {
    const client = rateLimitKey(address);
    // While sign-in is paused for everyone, refuse without touching the client's budget (a flood
    // from many addresses then leaves no per-address state behind).
    const paused = await this.#global.get(GLOBAL);
    if (paused && paused.consumedPoints >= this.limits.global) {
      return { ok: false, reason: 'global_locked', retryAfterMs: paused.msBeforeNext };
    }
    const mine = await reserve(this.#perClient, client);
    if (mine instanceof Refusal) {
      return { ok: false, reason: 'client_locked', retryAfterMs: mine.retryAfterMs };
    }
    const all = await reserve(this.#global, GLOBAL);
    if (all instanceof Refusal) {
      await this.#perClient.reward(client);
      return { ok: false, reason: 'global_locked', retryAfterMs: all.retryAfterMs };
    }

    if (passcodeMatches(this.#passcode, given)) {
      await this.#perClient.reward(client);
      await this.#global.reward(GLOBAL);
      return { ok: true };
    }
    let lockedOutMs: number | undefined;
    if (mine.remainingPoints === 0) {
      lockedOutMs = await this.#lockOut(this.#perClient, client);
      this.#log?.warn({ client, lockoutMs: lockedOutMs }, 'operator sign-in locked for this client');
    }
    if (all.remainingPoints === 0) {
      const ms = await this.#lockOut(this.#global, GLOBAL);
      this.#log?.warn(
        { client, lockoutMs: ms, perMinute: this.limits.global },
        'operator sign-in paused for everyone: too many wrong passcodes',
      );
    }
    return lockedOutMs === undefined
      ? { ok: false, reason: 'wrong' }
      : { ok: false, reason: 'wrong', lockedOutMs };
  }

  /** Blocks `key` for its next lockout: the base doubled for each earlier one today, capped. */
  async #lockOut(limiter: RateLimiterMemory, key: string): Promise<number> {
    const history = await this.#lockouts.penalty(`${limiter.keyPrefix}:${key}`);
    const doublings = Math.min(history.consumedPoints - 1, 30);
    const ms = Math.min(this.limits.lockoutMs * 2 ** doublings, this.limits.maxLockoutMs);
    await limiter.block(key, ms / 1000);
    return ms;
  }
}

class Refusal {
  constructor(readonly retryAfterMs: number) {}
}

async function reserve(limiter: RateLimiterMemory, key: string): Promise<RateLimiterRes | Refusal> {
  try {
    return await limiter.consume(key);
  } catch (e) {
    if (e instanceof RateLimiterRes) return new Refusal(e.msBeforeNext);
    throw e;
  }
}
