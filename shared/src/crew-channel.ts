/**
 * The crew's coordination channel over a LiveKit room: reliable data packets on topic `crew.v1`.
 * Incoming packets go through the validator; rejected ones are reported, never thrown.
 */
import { EventEmitter } from 'node:events';
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { AGENT_NAMES } from './crew.js';
import { CREW_TOPIC, type CrewEvent, type CrewEventType, type CrewPayload } from './events.js';
import { LogBudget } from './limits.js';
import type { Logger } from './logger.js';
import { createCrewEvent, encodeCrewEvent } from './parse-event.js';
import { agentNameOf, isAgent } from './room-helpers.js';
import { RPC } from './rpc.js';
import { CrewEventValidator, type Rejection } from './validate-event.js';

export interface RejectedPacket extends Rejection {
  sender: string;
}

interface ChannelEvents {
  event: [CrewEvent, RemoteParticipant];
  rejected: [RejectedPacket];
}

export class CrewChannel extends EventEmitter<ChannelEvents> {
  readonly #validator: CrewEventValidator;
  /** A sender flooding bad packets gets every one counted but only some logged. */
  readonly #logBudget = new LogBudget();
  readonly #onData: (
    payload: Uint8Array,
    participant?: RemoteParticipant,
    kind?: unknown,
    topic?: string,
  ) => void;

  constructor(
    readonly room: Room,
    private readonly log: Logger,
  ) {
    super();
    this.#validator = new CrewEventValidator(room.name ?? '');
    this.#onData = (payload, participant, _kind, topic) => {
      if (topic !== CREW_TOPIC) return;
      if (!participant) {
        // Server-originated packets carry no crew events; neither do packets from someone we
        // have not been told about yet.
        this.#refuse('', {
          reason: 'unknown_sender',
          message: `crew packet of ${payload.byteLength} bytes from an unknown sender dropped`,
        });
        return;
      }
      const result = this.#validator.accept(payload, {
        identity: participant.identity,
        isAgent: isAgent(participant),
        isRelay: agentNameOf(participant) === AGENT_NAMES.orchestrator,
      });
      if (result.ok) this.emit('event', result.value, participant);
      else this.#refuse(participant.identity, result.error);
    };
    room.on(RoomEvent.DataReceived, this.#onData);
  }

  /** Counted by whoever listens to `rejected`; logged with the sender, at most so often per sender. */
  #refuse(sender: string, rejection: Rejection): void {
    const budget = this.#logBudget.take(sender);
    if (budget.log) {
      this.log.warn(
        {
          sender,
          reason: rejection.reason,
          ...(budget.suppressed ? { suppressedBefore: budget.suppressed } : {}),
        },
        `crew event rejected: ${rejection.message}`,
      );
    }
    this.emit('rejected', { ...rejection, sender });
  }

  get identity(): string {
    return this.room.localParticipant?.identity ?? '';
  }

  /** The orchestrator of this room, if one is present. */
  orchestratorIdentity(): string | undefined {
    for (const p of this.room.remoteParticipants.values()) {
      if (agentNameOf(p) === AGENT_NAMES.orchestrator) return p.identity;
    }
    return undefined;
  }

  /**
   * Waits until the orchestrator answers a ping over RPC, which it does only once the room has
   * announced this participant to it: packets that arrive before that carry no sender and are
   * dropped. Returns the orchestrator's identity, or undefined if none answered in time.
   */
  async reachOrchestrator(timeoutMs = 30_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wait = 100;
    while (Date.now() < deadline) {
      const orchestrator = this.orchestratorIdentity();
      if (orchestrator && this.room.localParticipant) {
        try {
          await this.room.localParticipant.performRpc({
            destinationIdentity: orchestrator,
            method: RPC.ping,
            payload: '',
            responseTimeout: 2000,
          });
          return orchestrator;
        } catch (e) {
          this.log.debug({ err: e, orchestrator }, 'orchestrator not reachable yet');
        }
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 2000);
    }
    return undefined;
  }

  async send<T extends CrewEventType>(
    type: T,
    payload: CrewPayload<T>,
    to: string[],
    corr?: string,
  ): Promise<CrewEvent<T>> {
    const event = createCrewEvent(type, payload, {
      room: this.room.name ?? '',
      from: this.identity,
      corr,
    });
    await this.publish(event as CrewEvent, to);
    return event;
  }

  /** Sends an event to the room's orchestrator; returns undefined when none is present. */
  async sendToOrchestrator<T extends CrewEventType>(
    type: T,
    payload: CrewPayload<T>,
    corr?: string,
  ): Promise<CrewEvent<T> | undefined> {
    const orchestrator = this.orchestratorIdentity();
    if (!orchestrator) return undefined;
    return this.send(type, payload, [orchestrator], corr);
  }

  /** Publishes an already-built event (the orchestrator relays validated events this way). */
  async publish(event: CrewEvent, to: string[]): Promise<void> {
    if (to.length === 0) return;
    const local = this.room.localParticipant;
    if (!local) throw new Error('cannot send crew events before the room is connected');
    await local.publishData(encodeCrewEvent(event), {
      reliable: true,
      topic: CREW_TOPIC,
      destination_identities: to,
    });
  }

  close(): void {
    this.room.off(RoomEvent.DataReceived, this.#onData);
    this.removeAllListeners();
  }
}
