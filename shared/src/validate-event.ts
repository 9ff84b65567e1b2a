/**
 * Receiver-side acceptance of crew events (DESIGN.md, Contracts): an event is accepted only if it
 * parses, `from` is the identity the SFU reports for the sender (or the sender is the room's
 * orchestrator relaying an event it already validated), agent-only types come from an AGENT
 * participant, it names this room, and its id is new.
 */
import type { CrewEvent } from './events.js';
import { AGENT_ONLY_TYPES } from './events.js';
import { type CrewEventErrorCode, parseCrewEvent } from './parse-event.js';
import { err, ok, type Result } from './result.js';

export type RejectReason =
  | CrewEventErrorCode
  | 'forged_from'
  | 'not_agent'
  | 'wrong_room'
  | 'duplicate_id'
  /** The packet arrived without a sender (the room has not announced it yet): it cannot be checked. */
  | 'unknown_sender';

export interface Rejection {
  reason: RejectReason;
  message: string;
}

export interface EventSender {
  /** Identity as reported by the SFU for the packet's sender. */
  identity: string;
  /** True when the SFU reports the participant kind AGENT. */
  isAgent: boolean;
  /** True when the sender is the room's orchestrator, which relays validated events. */
  isRelay?: boolean;
}

/** Remembers the most recent ids only, so memory stays bounded however long the room lives. */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(private readonly capacity = 10_000) {}

  /** Returns false when the id was already seen. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value as string;
      this.#ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#ids.size;
  }
}

export class CrewEventValidator {
  readonly #seen: RecentIds;

  constructor(
    private readonly room: string,
    rememberIds = 10_000,
  ) {
    this.#seen = new RecentIds(rememberIds);
  }

  accept(raw: Uint8Array | string, sender: EventSender): Result<CrewEvent, Rejection> {
    const parsed = parseCrewEvent(raw);
    if (!parsed.ok) return err({ reason: parsed.error.code, message: parsed.error.message });
    const event = parsed.value;
    if (event.from !== sender.identity && !(sender.isRelay && sender.isAgent)) {
      return err({
        reason: 'forged_from',
        message: `event says it is from "${event.from}" but was sent by "${sender.identity}"`,
      });
    }
    if (AGENT_ONLY_TYPES.has(event.type) && !sender.isAgent) {
      return err({
        reason: 'not_agent',
        message: `${event.type} may only be sent by agent participants; "${sender.identity}" is not one`,
      });
    }
    if (event.room !== this.room) {
      return err({
        reason: 'wrong_room',
        message: `event names room "${event.room}" but arrived in "${this.room}"`,
      });
    }
    if (!this.#seen.add(event.id)) {
      return err({ reason: 'duplicate_id', message: `event id ${event.id} was already received` });
    }
    return ok(event);
  }
}
