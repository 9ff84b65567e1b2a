/**
 * Escalations the reasoner is waiting on: each resolves with the orchestrator's decision, or with
 * nothing once its deadline (plus a grace for a slow orchestrator) has passed, so a lost decision
 * never holds a call forever.
 */
import type { CrewPayload } from '@roomcrew/shared';

export type Decision = CrewPayload<'escalation.decision'>;

export class DecisionWaits {
  readonly #waiting = new Map<
    string,
    { resolve: (d: Decision | undefined) => void; timer: NodeJS.Timeout }
  >();

  get size(): number {
    return this.#waiting.size;
  }

  /** Starts waiting for `escalationId`; resolves undefined after `ms`. */
  wait(escalationId: string, ms: number): Promise<Decision | undefined> {
    return new Promise<Decision | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(escalationId);
        resolve(undefined);
      }, ms);
      this.#waiting.set(escalationId, { resolve, timer });
    });
  }

  /** Stops waiting without an answer (the request could not be sent). */
  forget(escalationId: string): void {
    const w = this.#waiting.get(escalationId);
    if (w) clearTimeout(w.timer);
    this.#waiting.delete(escalationId);
  }

  /** Hands a decision to its waiter; false when nobody waits for it. */
  resolve(decision: Decision): boolean {
    const waiter = this.#waiting.get(decision.escalationId);
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    this.#waiting.delete(decision.escalationId);
    waiter.resolve(decision);
    return true;
  }

  /** Every waiter ends without an answer (the job is closing). */
  clear(): void {
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.resolve(undefined);
      this.#waiting.delete(id);
    }
  }
}
