/**
 * Takeover (issue 5): an operator takes the crew over; the reasoner stops speaking and acting and
 * keeps listening until handback. The state is the orchestrator's own participant attribute
 * `crew.takeover`, which everyone in the room can read and only the orchestrator can write.
 */
import { type Room, RpcError } from '@livekit/rtc-node';
import {
  ATTR_TAKEOVER,
  type AuditLog,
  type Logger,
  parseTakeover,
  RPC_ERROR,
  type TakeoverState,
  takeoverRequestSchema,
} from '@roomcrew/shared';
import { announcedParticipant, isOperator, parseRpcPayload } from '@roomcrew/shared/room';

export class CrewTakeover {
  constructor(
    private readonly room: Room,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  get holder(): TakeoverState | undefined {
    return parseTakeover(this.room.localParticipant?.attributes[ATTR_TAKEOVER]);
  }

  async take(callerIdentity: string, payload: string): Promise<TakeoverState> {
    const caller = await this.#operator(callerIdentity, 'take over the crew', payload);
    const { reason } = this.#parse(callerIdentity, payload);
    const current = this.holder;
    if (current && current.operator !== callerIdentity) {
      this.#refuse(
        callerIdentity,
        RPC_ERROR.conflict,
        `${current.name || current.operator} has already taken over`,
      );
    }
    if (current) return current; // the same operator again: nothing changes
    const state: TakeoverState = {
      operator: caller.identity,
      name: caller.name ?? '',
      since: Date.now(),
      reason,
    };
    this.audit.append({ kind: 'takeover', actor: caller.identity, detail: { reason } });
    await this.#set(JSON.stringify(state));
    this.log.info({ operator: caller.identity, reason }, 'operator took over the crew');
    return state;
  }

  async handback(callerIdentity: string, payload: string): Promise<{ handedBack: boolean }> {
    await this.#operator(callerIdentity, 'hand the crew back', payload);
    const { reason } = this.#parse(callerIdentity, payload);
    const current = this.holder;
    if (!current) return { handedBack: false };
    // Another operator may hand back only once the holder has left (the crew must not stay mute).
    if (current.operator !== callerIdentity && this.room.remoteParticipants.has(current.operator)) {
      this.#refuse(callerIdentity, RPC_ERROR.conflict, `${current.name || current.operator} holds the crew`);
    }
    this.audit.append({
      kind: 'handback',
      actor: callerIdentity,
      detail: { reason, from: current.operator },
    });
    await this.#set('');
    this.log.info({ operator: callerIdentity }, 'crew handed back');
    return { handedBack: true };
  }

  /** The holder left the room: hand back on their behalf so the crew is not silenced for good. */
  async participantLeft(identity: string): Promise<void> {
    if (this.holder?.operator !== identity) return;
    this.audit.append({
      kind: 'handback',
      actor: 'crew-orchestrator',
      detail: { reason: 'the operator who took over left the room', from: identity },
    });
    await this.#set('');
    this.log.warn({ operator: identity }, 'operator left during takeover; crew handed back');
  }

  async #set(value: string): Promise<void> {
    const me = this.room.localParticipant;
    if (!me) throw new RpcError(RPC_ERROR.conflict, 'the orchestrator is not connected');
    await me.setAttributes({ [ATTR_TAKEOVER]: value });
  }

  async #operator(callerIdentity: string, what: string, payload: string) {
    const caller = await announcedParticipant(this.room, callerIdentity, 3000);
    if (!caller || !isOperator(caller)) {
      this.#refuse(callerIdentity, RPC_ERROR.permissionDenied, `only operators may ${what}`, payload);
    }
    return caller as NonNullable<typeof caller>;
  }

  #parse(callerIdentity: string, payload: string) {
    try {
      return parseRpcPayload(takeoverRequestSchema, payload);
    } catch (e) {
      return this.#refuse(callerIdentity, RPC_ERROR.badRequest, (e as RpcError).message, payload);
    }
  }

  #refuse(callerIdentity: string, code: number, message: string, payload?: string): never {
    this.audit.append({
      kind: 'rpc.refused',
      actor: callerIdentity,
      detail: { code, reason: message, payload: payload?.slice(0, 300) },
    });
    this.log.warn({ caller: callerIdentity, code }, `takeover request refused: ${message}`);
    throw new RpcError(code, message);
  }
}
