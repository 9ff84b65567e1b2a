/**
 * Receives crew events (already validated by the channel), relays each one to the identities its
 * routing-table entry resolves to, and keeps per-room counters of what was routed and rejected.
 */
import type { Room } from '@livekit/rtc-node';
import {
  type CrewEvent,
  type CrewEventType,
  LogBudget,
  type Logger,
  type RejectReason,
} from '@roomcrew/shared';
import { agentNameOf, type CrewChannel, isAgent, isOperator } from '@roomcrew/shared/room';
import { ORCHESTRATOR_ONLY, ROUTES } from './routing-table.js';

/** Senders counted one by one in `bySender`; later ones are summed under `(others)`. */
const MAX_TRACKED_SENDERS = 200;
/** Senders listed one by one in a stats answer. */
const SENDERS_IN_STATS = 40;

export interface SenderCounts {
  accepted: number;
  rejected: number;
}

export interface RoutingStats {
  room: string;
  since: number;
  /** Events that passed the channel's validation (including orchestrator-only ones refused next). */
  received: number;
  /** Events accepted and handed on (routed or, with nobody to route to, unrouted). */
  accepted: number;
  routed: Partial<Record<CrewEventType, number>>;
  /** Events accepted but with nobody to deliver them to right now. */
  unrouted: number;
  rejected: Partial<Record<RejectReason | 'orchestrator_only', number>>;
  /** Per sender identity (`(unknown)`: packets that came without one). */
  bySender: Record<string, SenderCounts>;
  relayFailures: number;
}

export class EventRouter {
  readonly #stats: Omit<RoutingStats, 'bySender'>;
  readonly #bySender = new Map<string, SenderCounts>();
  /** A sender flooding refused types gets every one counted but only some logged. */
  readonly #logBudget = new LogBudget();
  /** Hook for the orchestrator's own handling of an accepted event (crew state, etc.). */
  onAccepted?: (event: CrewEvent) => void;

  constructor(
    private readonly room: Room,
    private readonly channel: CrewChannel,
    private readonly log: Logger,
  ) {
    this.#stats = {
      room: room.name ?? '',
      since: Date.now(),
      received: 0,
      accepted: 0,
      routed: {},
      unrouted: 0,
      rejected: {},
      relayFailures: 0,
    };
    channel.on('event', (event, sender) => void this.route(event, sender.identity));
    channel.on('rejected', (r) => {
      this.#stats.rejected[r.reason] = (this.#stats.rejected[r.reason] ?? 0) + 1;
      this.#sender(r.sender || '(unknown)').rejected++;
    });
  }

  /** A Map, not an object: an identity may be `__proto__`. */
  #sender(identity: string): SenderCounts {
    const by = this.#bySender;
    const key = by.has(identity) || by.size < MAX_TRACKED_SENDERS ? identity : '(others)';
    let c = by.get(key);
    if (!c) {
      c = { accepted: 0, rejected: 0 };
      by.set(key, c);
    }
    return c;
  }

  /** Identities an event of this type goes to now, without its sender. */
  destinations(type: CrewEventType, sender: string): string[] {
    const subs = ROUTES[type];
    const out: string[] = [];
    for (const p of this.room.remoteParticipants.values()) {
      if (p.identity === sender) continue;
      const name = agentNameOf(p);
      const wanted = subs.some((s) => {
        if ('operators' in s) return isOperator(p);
        if ('people' in s) return !isAgent(p);
        return s.agent === name;
      });
      if (wanted) out.push(p.identity);
    }
    return out;
  }

  /** `sender`: the identity the SFU reported (differs from `event.from` for relayed events). */
  async route(event: CrewEvent, sender = event.from): Promise<void> {
    this.#stats.received++;
    if (ORCHESTRATOR_ONLY.has(event.type)) {
      this.#stats.rejected.orchestrator_only = (this.#stats.rejected.orchestrator_only ?? 0) + 1;
      this.#sender(sender).rejected++;
      const budget = this.#logBudget.take(sender);
      if (budget.log) {
        this.log.warn(
          {
            type: event.type,
            id: event.id,
            sender,
            ...(budget.suppressed ? { suppressedBefore: budget.suppressed } : {}),
          },
          'crew event rejected: only the orchestrator sends this type',
        );
      }
      return;
    }
    this.#stats.accepted++;
    this.#sender(sender).accepted++;
    try {
      this.onAccepted?.(event);
    } catch (e) {
      // The orchestrator's own handling failing must not stop the event, nor escape as an
      // unhandled rejection.
      this.log.error({ err: e, type: event.type, id: event.id }, 'handling an accepted event failed');
    }
    const to = this.destinations(event.type, event.from);
    if (to.length === 0) {
      this.#stats.unrouted++;
      this.log.debug({ type: event.type, id: event.id }, 'no subscriber present for event');
      return;
    }
    try {
      await this.channel.publish(event, to);
      this.#stats.routed[event.type] = (this.#stats.routed[event.type] ?? 0) + 1;
    } catch (e) {
      this.#stats.relayFailures++;
      this.log.error({ err: e, type: event.type, id: event.id, to }, 'relaying event failed');
    }
  }

  /**
   * The counters; `bySender` lists the senders with the most events (the rest summed under
   * `(others)`), so the answer to `crew.control.stats` stays within LiveKit's RPC size limit.
   */
  stats(): RoutingStats {
    const senders = [...this.#bySender].sort(
      ([, a], [, b]) => b.accepted + b.rejected - a.accepted - a.rejected,
    );
    const bySender = new Map(senders.slice(0, SENDERS_IN_STATS).map(([k, c]) => [k, { ...c }]));
    for (const [, c] of senders.slice(SENDERS_IN_STATS)) {
      const others = bySender.get('(others)') ?? { accepted: 0, rejected: 0 };
      others.accepted += c.accepted;
      others.rejected += c.rejected;
      bySender.set('(others)', others);
    }
    return { ...structuredClone(this.#stats), bySender: Object.fromEntries(bySender) };
  }
}
