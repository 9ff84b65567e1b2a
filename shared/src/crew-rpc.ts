/**
 * Crew RPCs served the same way in every agent: a byte cap checked before anything else, the
 * caller checked by the room's authority, the payload parsed strictly, and every outcome counted
 * by method and every refusal by reason (issue 10). Handlers get a checked caller and a parsed
 * request; a handler's own refusals are RpcErrors and are counted the same way.
 */
import {
  type RemoteParticipant,
  type Room,
  RoomEvent,
  RpcError,
  type RpcInvocationData,
} from '@livekit/rtc-node';
import type { z } from 'zod';
import type { Allowed, CrewAuthority } from './crew-authority.js';
import type { CrewChannel } from './crew-channel.js';
import {
  jsonDepthExceeds,
  LIVEKIT_MAX_RPC_PAYLOAD_BYTES,
  LogBudget,
  MAX_JSON_DEPTH,
  MAX_RPC_PAYLOAD_BYTES,
} from './limits.js';
import type { Logger } from './logger.js';
import { RPC_ERROR, type RpcRefusal, refusalOf } from './rpc.js';

/** The payload as JSON of the schema (empty means `{}`); otherwise a bad-request error. */
export function parseRpcPayload<S extends z.ZodType>(schema: S, payload: string): z.infer<S> {
  // Deep nesting fits in a few KiB and parses, but overflows JSON.stringify when audited.
  if (jsonDepthExceeds(payload)) {
    throw new RpcError(RPC_ERROR.badRequest, `payload nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let body: unknown;
  try {
    body = payload.trim() ? JSON.parse(payload) : {};
  } catch {
    throw new RpcError(RPC_ERROR.badRequest, 'payload must be JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RpcError(
      RPC_ERROR.badRequest,
      `bad request: ${issue?.path.join('.') || '(root)'} ${issue?.message}`,
    );
  }
  return parsed.data;
}

export interface RpcStats {
  accepted: Record<string, number>;
  refused: Partial<Record<RpcRefusal, number>>;
  refusedByMethod: Record<string, number>;
}

export interface RpcRefused {
  method: string;
  caller: string;
  code: number;
  reason: RpcRefusal;
  message: string;
  /** The start of the payload, for the audit trail. */
  payload: string;
  /** Other refusals of this caller that this record stands for (counted, not reported one by one). */
  suppressed: number;
}

/**
 * Refusals reported (audited) per caller and minute; beyond it they are only counted, so a caller
 * flooding refused RPCs cannot flood the audit trail. The next report carries how many were skipped.
 */
export const REFUSALS_REPORTED_PER_MINUTE = 30;

export interface CrewRpcSpec<S extends z.ZodType> {
  /** Who may call it; `anyone` for RPCs any participant may call (their payload is still checked). */
  allowed: Allowed | 'anyone';
  /** "read crew stats": completes "only operators may …". */
  what: string;
  schema: S;
}

export type CrewRpcHandler<S extends z.ZodType> = (
  request: z.infer<S>,
  caller: RemoteParticipant | undefined,
  data: RpcInvocationData,
) => Promise<unknown>;

/** Callers whose unreported refusals are remembered; beyond it they are reported at once. */
const MAX_UNREPORTED_CALLERS = 1000;

export class CrewRpcServer {
  readonly #stats: RpcStats = { accepted: {}, refused: {}, refusedByMethod: {} };
  readonly #reports = new LogBudget(REFUSALS_REPORTED_PER_MINUTE, 60_000);
  /** Refusals over the report budget, per caller, with the last of them: reported in one record later. */
  readonly #unreported = new Map<string, { count: number; last: RpcRefused }>();
  readonly #flushTimer: NodeJS.Timeout;
  readonly #onLeave = (p: { identity: string }) => this.#flush(p.identity);

  constructor(
    private readonly room: Room,
    private readonly authority: CrewAuthority,
    private readonly log: Logger,
    /** Called after each refusal is counted (the orchestrator writes it to the audit trail). */
    private readonly onRefused?: (r: RpcRefused) => void,
  ) {
    // Refusals over the budget still reach the trail, as one record per caller: when the caller
    // leaves, every minute, and when the agent stops.
    room.on(RoomEvent.ParticipantDisconnected, this.#onLeave);
    this.#flushTimer = setInterval(() => this.#flushAll(), 60_000);
    this.#flushTimer.unref?.();
  }

  register<S extends z.ZodType>(method: string, spec: CrewRpcSpec<S>, handler: CrewRpcHandler<S>): void {
    const me = this.room.localParticipant;
    if (!me) throw new Error('crew RPCs need a connected room');
    me.registerRpcMethod(method, async (data) => {
      try {
        // Who calls first (a caller who may not call is refused as such, whatever it sent), then
        // the crew's byte cap, then the payload.
        const caller =
          spec.allowed === 'anyone'
            ? undefined
            : await this.authority.require(data.callerIdentity, spec.allowed, spec.what);
        if (Buffer.byteLength(data.payload, 'utf8') > MAX_RPC_PAYLOAD_BYTES) {
          throw new RpcError(RPC_ERROR.tooLarge, `payload exceeds ${MAX_RPC_PAYLOAD_BYTES} bytes`);
        }
        const request = parseRpcPayload(spec.schema, data.payload);
        const answer = JSON.stringify(await handler(request, caller, data));
        if (Buffer.byteLength(answer, 'utf8') > LIVEKIT_MAX_RPC_PAYLOAD_BYTES) {
          this.log.error(
            { method, bytes: Buffer.byteLength(answer, 'utf8') },
            'crew RPC answer too large to send',
          );
          throw new RpcError(RPC_ERROR.internal, 'the answer is too large to send; ask for less');
        }
        this.#stats.accepted[method] = (this.#stats.accepted[method] ?? 0) + 1;
        return answer;
      } catch (e) {
        const error =
          e instanceof RpcError
            ? e
            : new RpcError(RPC_ERROR.internal, 'the crew could not answer; try again shortly');
        if (!(e instanceof RpcError)) {
          this.log.error({ err: e, method, caller: data.callerIdentity }, 'crew RPC handler failed');
        }
        this.#refused(method, data, error);
        throw error;
      }
    });
  }

  #refused(method: string, data: RpcInvocationData, error: RpcError): void {
    const code = error.code as number;
    const reason = refusalOf(code);
    this.#stats.refused[reason] = (this.#stats.refused[reason] ?? 0) + 1;
    this.#stats.refusedByMethod[method] = (this.#stats.refusedByMethod[method] ?? 0) + 1;
    const refusal: RpcRefused = {
      method,
      caller: data.callerIdentity,
      code,
      reason,
      message: error.message.slice(0, 500),
      payload: data.payload.slice(0, 300),
      suppressed: 0,
    };
    // One budget for the warn line and the report: a flood of refused calls is counted in full
    // but becomes neither a flood of logs nor of audit records.
    if (!this.#reports.take(data.callerIdentity).log) {
      const held = this.#unreported.get(data.callerIdentity);
      if (held) {
        held.count++;
        held.last = refusal;
      } else {
        if (this.#unreported.size >= MAX_UNREPORTED_CALLERS) this.#flushAll();
        this.#unreported.set(data.callerIdentity, { count: 1, last: refusal });
      }
      return;
    }
    const held = this.#unreported.get(data.callerIdentity);
    this.#unreported.delete(data.callerIdentity);
    this.log.warn(
      { method, caller: data.callerIdentity, code, reason, suppressed: held?.count ?? 0 },
      `crew RPC refused: ${error.message}`,
    );
    this.#report({ ...refusal, suppressed: held?.count ?? 0 });
  }

  #report(r: RpcRefused): void {
    try {
      this.onRefused?.(r);
    } catch (e) {
      this.log.error({ err: e, method: r.method }, 'recording a refused crew RPC failed');
    }
  }

  /** Reports a caller's refusals held over the budget as one record (the last of them, with the count). */
  #flush(caller: string): void {
    const held = this.#unreported.get(caller);
    if (!held) return;
    this.#unreported.delete(caller);
    this.log.warn(
      { method: held.last.method, caller, suppressed: held.count },
      `crew RPC refusals over the report budget: ${held.count}`,
    );
    // `suppressed` counts the refusals this record stands for besides itself.
    this.#report({ ...held.last, suppressed: held.count - 1 });
  }

  #flushAll(): void {
    for (const caller of [...this.#unreported.keys()]) this.#flush(caller);
  }

  /** Reports what is held and stops listening (at job shutdown). */
  close(): void {
    this.room.off(RoomEvent.ParticipantDisconnected, this.#onLeave);
    clearInterval(this.#flushTimer);
    this.#flushAll();
  }

  stats(): RpcStats {
    return structuredClone(this.#stats);
  }
}

/**
 * For crew members: reports each refusal to the orchestrator as a `crew.refusal` event, which it
 * writes to the room's audit trail (one writer per room).
 */
export function refusalReporter(channel: CrewChannel, log: Logger): (r: RpcRefused) => void {
  return (r) => {
    // Identities are not bounded by LiveKit; the contract is.
    channel.sendToOrchestrator('crew.refusal', { ...r, caller: r.caller.slice(0, 256) }).then(
      (sent) => {
        if (!sent) log.warn({ method: r.method, caller: r.caller }, 'no orchestrator to audit a refused RPC');
      },
      (e) => log.error({ err: e, method: r.method }, 'reporting a refused RPC to the orchestrator failed'),
    );
  };
}
