/**
 * Takeover (issue 5): an operator takes the crew over; the reasoner stops speaking and acting and
 * keeps listening until handback. The holder is decided here, in memory, synchronously between
 * the check and the change (issue 10: two operators at the same moment → exactly one holder), and
 * then published as the orchestrator's own participant attribute `crew.takeover`, which everyone
 * can read and only the orchestrator can write.
 */
import { type RemoteParticipant, type Room, RpcError } from '@livekit/rtc-node';
import {
  AGENT_NAMES,
  ATTR_TAKEOVER,
  type AuditLog,
  type Logger,
  RPC_ERROR,
  type TakeoverRequest,
  type TakeoverState,
} from '@roomcrew/shared';

export class CrewTakeover {
  #holder: TakeoverState | undefined;
  /** Attribute writes in order, each publishing the holder as it is when it runs. */
  #publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly room: Room,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  get holder(): TakeoverState | undefined {
    return this.#holder;
  }

  /** RPC `crew.escalation.takeover`, from a caller the authority confirmed as an operator. */
  async take(caller: RemoteParticipant, { reason }: TakeoverRequest): Promise<TakeoverState> {
    const current = this.#holder;
    if (current && current.operator !== caller.identity) {
      throw new RpcError(RPC_ERROR.conflict, `${current.name || current.operator} has already taken over`);
    }
    if (current) return current; // the same operator again: nothing changes
    // No await between the check above and this assignment: the first caller wins.
    const state: TakeoverState = {
      operator: caller.identity,
      name: caller.name ?? '',
      since: Date.now(),
      reason,
    };
    this.#holder = state;
    this.audit.append({ kind: 'takeover', actor: caller.identity, detail: { reason } });
    this.log.info({ operator: caller.identity, reason }, 'operator took over the crew');
    await this.#publish();
    return state;
  }

  /** RPC `crew.escalation.handback`. */
  async handback(caller: RemoteParticipant, { reason }: TakeoverRequest): Promise<{ handedBack: boolean }> {
    const current = this.#holder;
    if (!current) return { handedBack: false };
    // Another operator may hand back only once the holder has left (the crew must not stay mute).
    if (current.operator !== caller.identity && this.room.remoteParticipants.has(current.operator)) {
      throw new RpcError(RPC_ERROR.conflict, `${current.name || current.operator} holds the crew`);
    }
    this.#holder = undefined;
    this.audit.append({
      kind: 'handback',
      actor: caller.identity,
      detail: { reason, from: current.operator },
    });
    this.log.info({ operator: caller.identity }, 'crew handed back');
    await this.#publish();
    return { handedBack: true };
  }

  /**
   * The holder left the room or lost the operator role: hand back on their behalf so the crew is
   * not silenced for good.
   */
  async release(identity: string, why: string): Promise<void> {
    if (this.#holder?.operator !== identity) return;
    this.#holder = undefined;
    this.audit.append({
      kind: 'handback',
      actor: AGENT_NAMES.orchestrator,
      detail: { reason: why, from: identity },
    });
    this.log.warn({ operator: identity }, `crew handed back: ${why}`);
    await this.#publish();
  }

  #publish(): Promise<void> {
    const run = this.#publishing.then(async () => {
      const me = this.room.localParticipant;
      if (!me) return;
      try {
        await me.setAttributes({ [ATTR_TAKEOVER]: this.#holder ? JSON.stringify(this.#holder) : '' });
      } catch (e) {
        this.log.error(
          { err: e },
          'publishing the takeover attribute failed; the crew keeps the decided holder',
        );
      }
    });
    this.#publishing = run;
    return run;
  }
}
