/**
 * Whether an operator has taken over the crew: the orchestrator's `crew.takeover` attribute, which
 * only the orchestrator can write, so the reasoner trusts it.
 */
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { AGENT_NAMES, ATTR_TAKEOVER, type Logger, parseTakeover, type TakeoverState } from '@roomcrew/shared';
import { agentNameOf } from '@roomcrew/shared/room';

export class TakeoverWatch {
  #state?: TakeoverState;

  constructor(
    private readonly room: Room,
    private readonly log: Logger,
    /** Called when an operator takes over (the reasoner stops speaking at once). */
    private readonly onTaken: () => void,
  ) {}

  get state(): TakeoverState | undefined {
    return this.#state;
  }

  /** Reads the attribute now and on every change; returns the function that stops watching. */
  start(): () => void {
    const onAttributes = (_changed: Record<string, string>, p: { identity: string }) => {
      const rp = this.room.remoteParticipants.get(p.identity);
      if (rp && agentNameOf(rp) === AGENT_NAMES.orchestrator) this.#read(rp);
    };
    this.room.on(RoomEvent.ParticipantAttributesChanged, onAttributes);
    for (const p of this.room.remoteParticipants.values()) {
      if (agentNameOf(p) === AGENT_NAMES.orchestrator) this.#read(p);
    }
    return () => this.room.off(RoomEvent.ParticipantAttributesChanged, onAttributes);
  }

  #read(orchestrator: RemoteParticipant): void {
    const state = parseTakeover(orchestrator.attributes[ATTR_TAKEOVER]);
    const was = this.#state;
    this.#state = state;
    if (state && !was) {
      this.onTaken();
      this.log.info({ operator: state.operator }, 'operator took over: listening only');
    } else if (!state && was) {
      this.log.info({ operator: was.operator }, 'crew handed back: acting again');
    }
  }
}
