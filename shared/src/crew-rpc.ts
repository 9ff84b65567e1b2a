/**
 * Crew RPCs served the same way in every agent: a byte cap checked before anything else, the
 * caller checked by the room's authority, the payload parsed strictly, and every outcome counted
 * by method and every refusal by reason (issue 10). Handlers get a checked caller and a parsed
 * request; a handler's own refusals are RpcErrors and are counted the same way.
 */
import { type RemoteParticipant, type Room, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import type { z } from 'zod';
import type { Allowed, CrewAuthority } from './crew-authority.js';
import type { CrewChannel } from './crew-channel.js';
import { jsonDepthExceeds, LogBudget, MAX_JSON_DEPTH, MAX_RPC_PAYLOAD_BYTES } from './limits.js';
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
  /** Refusals of this caller counted but not reported since the last one reported. */
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

export class CrewRpcServer {
  readonly #stats: RpcStats = { accepted: {}, refused: {}, refusedByMethod: {} };
  readonly #reports = new LogBudget(REFUSALS_REPORTED_PER_MINUTE, 60_000);

  constructor(
    private readonly room: Room,
    private readonly authority: CrewAuthority,
    private readonly log: Logger,
    /** Called after each refusal is counted (the orchestrator writes it to the audit trail). */
    private readonly onRefused?: (r: RpcRefused) => void,
  ) {}

  register<S extends z.ZodType>(method: string, spec: CrewRpcSpec<S>, handler: CrewRpcHandler<S>): void {
    const me = this.room.localParticipant;
    if (!me) throw new Error('crew RPCs need a connected room');
    me.registerRpcMethod(method, async (data) => {
      try {
        // LiveKit caps RPC payloads itself; the crew's cap is lower, checked before any parsing.
        if (Buffer.byteLength(data.payload, 'utf8') > MAX_RPC_PAYLOAD_BYTES) {
          throw new RpcError(RPC_ERROR.tooLarge, `payload exceeds ${MAX_RPC_PAYLOAD_BYTES} bytes`);
        }
        const caller =
          spec.allowed === 'anyone'
            ? undefined
            : await this.authority.require(data.callerIdentity, spec.allowed, spec.what);
        const request = parseRpcPayload(spec.schema, data.payload);
        const answer = JSON.stringify(await handler(request, caller, data));
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
    // One budget for the warn line and the report: a flood of refused calls is counted in full
    // but becomes neither a flood of logs nor of audit records.
    const budget = this.#reports.take(data.callerIdentity);
    if (!budget.log) return;
    this.log.warn(
      { method, caller: data.callerIdentity, code, reason, suppressed: budget.suppressed },
      `crew RPC refused: ${error.message}`,
    );
    if (!this.onRefused) return;
    const suppressed = budget.suppressed;
    try {
      this.onRefused({
        method,
        caller: data.callerIdentity,
        code,
        reason,
        message: error.message.slice(0, 500),
        payload: data.payload.slice(0, 300),
        suppressed,
      });
    } catch (e) {
      this.log.error({ err: e, method }, 'recording a refused crew RPC failed');
    }
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
    channel.sendToOrchestrator('crew.refusal', r).then(
      (sent) => {
        if (!sent) log.warn({ method: r.method, caller: r.caller }, 'no orchestrator to audit a refused RPC');
      },
      (e) => log.error({ err: e, method: r.method }, 'reporting a refused RPC to the orchestrator failed'),
    );
  };
}
