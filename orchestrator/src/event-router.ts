/**
 * Receives crew events (already validated by the channel), relays each one to the identities its
 * routing-table entry resolves to, and keeps per-room counters of what was routed and rejected.
 */
import type { Room } from '@livekit/rtc-node';
import type { CrewEvent, CrewEventType, Logger, RejectReason } from '@roomcrew/shared';
import { agentNameOf, type CrewChannel, isAgent, isOperator } from '@roomcrew/shared/room';
import { ORCHESTRATOR_ONLY, ROUTES } from './routing-table.js';

export interface RoutingStats {
  room: string;
  since: number;
  received: number;
  routed: Partial<Record<CrewEventType, number>>;
  /** Events accepted but with nobody to deliver them to right now. */
  unrouted: number;
  rejected: Partial<Record<RejectReason | 'orchestrator_only', number>>;
  relayFailures: number;
}

export class EventRouter {
  readonly #stats: RoutingStats;
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
      routed: {},
      unrouted: 0,
      rejected: {},
      relayFailures: 0,
    };
    channel.on('event', (event) => void this.route(event));
    channel.on('rejected', (r) => {
      this.#stats.rejected[r.reason] = (this.#stats.rejected[r.reason] ?? 0) + 1;
    });
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

  async route(event: CrewEvent): Promise<void> {
    this.#stats.received++;
    if (ORCHESTRATOR_ONLY.has(event.type)) {
      this.#stats.rejected.orchestrator_only = (this.#stats.rejected.orchestrator_only ?? 0) + 1;
      this.log.warn(
        { type: event.type, id: event.id, sender: event.from },
        'crew event rejected: only the orchestrator sends this type',
      );
      return;
    }
    this.onAccepted?.(event);
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

  stats(): RoutingStats {
    return structuredClone(this.#stats);
  }
}
