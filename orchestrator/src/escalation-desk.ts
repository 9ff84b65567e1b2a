/**
 * The escalation desk (issue 5): high-impact tool calls and "I need a human" requests from crew
 * agents wait here for a human operator in the room. The desk offers each request to every
 * operator present (and to operators who join later), takes the first valid decision, applies the
 * configured fallback at the deadline, and writes every step to the audit trail before telling
 * anyone about it.
 */
import { type RemoteParticipant, type Room, RpcError } from '@livekit/rtc-node';
import {
  type AuditLog,
  type CrewEvent,
  type DecideRequest,
  type DecideResponse,
  type EscalationFallback,
  LK_TOPIC_CHAT,
  type Logger,
  RPC_ERROR,
} from '@roomcrew/shared';
import { type CrewChannel, isOperator } from '@roomcrew/shared/room';

type Status = 'pending' | 'offered' | 'decided' | 'expired';

interface Escalation {
  request: CrewEvent<'escalation.request'>;
  status: Status;
  offeredTo: Set<string>;
  decidedBy?: string;
  timer?: NodeJS.Timeout;
}

export interface DeskOptions {
  room: Room;
  channel: CrewChannel;
  audit: AuditLog;
  log: Logger;
  fallback: EscalationFallback;
  /** Open escalations kept per room; more are refused (a runaway agent cannot fill memory). */
  maxOpen?: number;
  /** Decided escalations remembered to answer late decisions with "already decided". */
  maxDecided?: number;
}

export class EscalationDesk {
  readonly #open = new Map<string, Escalation>();
  readonly #closed = new Map<string, Escalation>();
  readonly #maxOpen: number;
  readonly #maxDecided: number;

  constructor(private readonly o: DeskOptions) {
    this.#maxOpen = o.maxOpen ?? 50;
    this.#maxDecided = o.maxDecided ?? 500;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** A crew agent asks for a human decision. */
  async request(event: CrewEvent<'escalation.request'>): Promise<void> {
    const { escalationId, deadline, tool } = event.payload;
    const known = this.#open.get(escalationId) ?? this.#closed.get(escalationId);
    if (known) {
      this.o.log.warn({ escalationId, from: event.from }, 'escalation id reused; ignored');
      return;
    }
    const refuse = (why: string) => {
      this.o.audit.append({
        kind: 'escalation.refused',
        actor: event.from,
        escalationId,
        detail: { reason: why, tool },
      });
      this.o.log.warn({ escalationId, from: event.from, tool }, `escalation refused: ${why}`);
      const closed: Escalation = { request: event, status: 'expired', offeredTo: new Set() };
      this.#remember(closed);
      // A request the desk cannot take is rejected whatever the fallback: nobody saw it.
      return this.#tell(closed, 'reject', 'crew-orchestrator', true);
    };
    this.o.audit.append({
      kind: 'escalation.request',
      actor: event.from,
      escalationId,
      detail: { ...event.payload, eventId: event.id },
    });
    if (deadline <= Date.now()) return refuse('its deadline has already passed');
    if (this.#open.size >= this.#maxOpen) return refuse(`${this.#maxOpen} escalations are already open`);

    const esc: Escalation = { request: event, status: 'pending', offeredTo: new Set() };
    this.#open.set(escalationId, esc);
    esc.timer = setTimeout(() => void this.#expire(esc), Math.max(0, deadline - Date.now()));
    esc.timer.unref?.();
    await this.#offer(esc, this.#operators());
    if (esc.status === 'pending') {
      this.o.log.info({ escalationId, tool }, 'escalation pending: no operator in the room yet');
      await this.#update(esc);
    }
  }

  /** An operator joined (or became one): offer every open escalation not offered to them yet. */
  async operatorArrived(p: RemoteParticipant): Promise<void> {
    if (!isOperator(p)) return;
    for (const esc of this.#open.values()) {
      if (!esc.offeredTo.has(p.identity)) await this.#offer(esc, [p]);
    }
  }

  /**
   * RPC `crew.escalation.decide`, from a caller the authority confirmed as an operator. Throws an
   * RpcError for an unknown or already decided escalation (the RPC server audits refusals).
   */
  async decide(caller: RemoteParticipant, req: DecideRequest): Promise<DecideResponse> {
    const callerIdentity = caller.identity;
    const done = this.#closed.get(req.escalationId);
    if (done) {
      const by = done.decidedBy ?? 'the deadline';
      throw new RpcError(RPC_ERROR.conflict, `escalation ${req.escalationId} was already decided by ${by}`);
    }
    const esc = this.#open.get(req.escalationId);
    if (!esc) throw new RpcError(RPC_ERROR.notFound, `no open escalation ${req.escalationId} in this room`);
    // First valid decision wins: the escalation leaves the open set before anything is awaited.
    this.#close(esc, 'decided', callerIdentity);
    this.o.audit.append({
      kind: 'escalation.decision',
      actor: callerIdentity,
      escalationId: req.escalationId,
      detail: {
        decision: req.decision,
        tool: esc.request.payload.tool,
        args: req.args ?? esc.request.payload.args,
        edited: req.args !== undefined,
        note: req.note,
      },
    });
    await this.#tell(esc, req.decision, callerIdentity, false, req.args, req.note);
    return {
      escalationId: req.escalationId,
      decision: req.decision,
      decidedBy: callerIdentity,
      at: Date.now(),
    };
  }

  /** Everything open and recently closed, for operators' pages and stats. */
  snapshot(): { open: unknown[]; closed: number } {
    return {
      open: [...this.#open.values()].map((e) => ({
        escalationId: e.request.payload.escalationId,
        tool: e.request.payload.tool,
        from: e.request.from,
        status: e.status,
        deadline: e.request.payload.deadline,
        trigger: e.request.payload.trigger,
      })),
      closed: this.#closed.size,
    };
  }

  stop(): void {
    for (const esc of this.#open.values()) clearTimeout(esc.timer);
  }

  async #offer(esc: Escalation, operators: RemoteParticipant[]): Promise<void> {
    const fresh = operators.filter((p) => !esc.offeredTo.has(p.identity));
    if (fresh.length === 0 || esc.status === 'decided' || esc.status === 'expired') return;
    const to = fresh.map((p) => p.identity);
    this.o.audit.append({
      kind: 'escalation.offer',
      actor: 'crew-orchestrator',
      escalationId: esc.request.payload.escalationId,
      // Operators are offered the request as sent, provenance included: the trail says so too.
      detail: { operators: to, trigger: esc.request.payload.trigger, toolInfo: esc.request.payload.toolInfo },
    });
    for (const id of to) esc.offeredTo.add(id);
    esc.status = 'offered';
    try {
      await this.o.channel.publish(esc.request, to);
    } catch (e) {
      this.o.log.error({ err: e, to }, 'offering an escalation failed');
    }
    await this.#update(esc);
  }

  async #expire(esc: Escalation): Promise<void> {
    if (!this.#open.has(esc.request.payload.escalationId)) return;
    this.#close(esc, 'expired');
    const { escalationId, tool, trigger } = esc.request.payload;
    // Nobody approves what people's content asked for by default: an approve fallback applies only
    // to escalations a trusted source raised (anyone can arrange for no operator to be present).
    const applied = this.o.fallback === 'approve' && trigger && !trigger.untrusted ? 'approve' : 'reject';
    this.o.audit.append({
      kind: 'escalation.fallback',
      actor: 'crew-orchestrator',
      escalationId,
      detail: { applied, configured: this.o.fallback, tool, offeredTo: [...esc.offeredTo] },
    });
    this.o.log.warn({ escalationId, tool, fallback: applied }, 'escalation deadline passed');
    await this.#tell(esc, applied, 'crew-orchestrator', true);
    const verb = applied === 'approve' ? 'approved' : 'rejected';
    await this.#chat(
      `No operator decided on "${tool}" (escalation ${escalationId}) before its deadline: ${verb} by default.`,
    );
  }

  #close(esc: Escalation, status: 'decided' | 'expired', by?: string): void {
    clearTimeout(esc.timer);
    esc.status = status;
    esc.decidedBy = by;
    this.#open.delete(esc.request.payload.escalationId);
    this.#remember(esc);
  }

  #remember(esc: Escalation): void {
    this.#closed.set(esc.request.payload.escalationId, esc);
    if (this.#closed.size > this.#maxDecided) {
      const oldest = this.#closed.keys().next().value;
      if (oldest !== undefined) this.#closed.delete(oldest);
    }
  }

  /** The decision goes to the requesting agent and every operator; then the status update. */
  async #tell(
    esc: Escalation,
    decision: 'approve' | 'reject',
    decidedBy: string,
    fallback: boolean,
    args?: Record<string, unknown>,
    note?: string,
  ): Promise<void> {
    const to = [esc.request.from, ...this.#operators().map((p) => p.identity)];
    try {
      await this.o.channel.send(
        'escalation.decision',
        { escalationId: esc.request.payload.escalationId, decision, decidedBy, fallback, args, note },
        [...new Set(to)],
        esc.request.id,
      );
    } catch (e) {
      this.o.log.error(
        { err: e, escalationId: esc.request.payload.escalationId },
        'sending a decision failed',
      );
    }
    await this.#update(esc);
  }

  async #update(esc: Escalation): Promise<void> {
    const operators = this.#operators().map((p) => p.identity);
    try {
      await this.o.channel.send(
        'escalation.update',
        { escalationId: esc.request.payload.escalationId, status: esc.status, operators: [...esc.offeredTo] },
        [...new Set([esc.request.from, ...operators])],
        esc.request.id,
      );
    } catch (e) {
      this.o.log.error({ err: e }, 'sending an escalation update failed');
    }
  }

  async #chat(text: string): Promise<void> {
    try {
      await this.o.room.localParticipant?.sendText(text, { topic: LK_TOPIC_CHAT });
    } catch (e) {
      this.o.log.error({ err: e }, 'posting to the room chat failed');
    }
  }

  #operators(): RemoteParticipant[] {
    return [...this.o.room.remoteParticipants.values()].filter(isOperator);
  }
}
