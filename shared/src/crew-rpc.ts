/**
 * Crew RPCs served the same way in every agent: a byte cap checked before anything else, the
 * caller checked by the room's authority, the payload parsed strictly, and every outcome counted
 * by method and every refusal by reason (issue 10). Handlers get a checked caller and a parsed
 * request; a handler's own refusals are RpcErrors and are counted the same way.
 */
import { type RemoteParticipant, type Room, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import type { z } from 'zod';
import type { Allowed, CrewAuthority } from './crew-authority.js';
import { MAX_RPC_PAYLOAD_BYTES } from './limits.js';
import type { Logger } from './logger.js';
import { RPC_ERROR } from './rpc.js';

/** The payload as JSON of the schema (empty means `{}`); otherwise a bad-request error. */
export function parseRpcPayload<S extends z.ZodType>(schema: S, payload: string): z.infer<S> {
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

export const RPC_REFUSALS = [
  'permission',
  'bad_request',
  'too_large',
  'not_found',
  'conflict',
  'failed',
] as const;
export type RpcRefusal = (typeof RPC_REFUSALS)[number];

export function refusalOf(code: number): RpcRefusal {
  switch (code) {
    case RPC_ERROR.permissionDenied:
      return 'permission';
    case RPC_ERROR.badRequest:
      return 'bad_request';
    case RPC_ERROR.tooLarge:
      return 'too_large';
    case RPC_ERROR.notFound:
      return 'not_found';
    case RPC_ERROR.conflict:
      return 'conflict';
    default:
      return 'failed';
  }
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
}

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
    this.log.warn(
      { method, caller: data.callerIdentity, code, reason },
      `crew RPC refused: ${error.message}`,
    );
    try {
      this.onRefused?.({
        method,
        caller: data.callerIdentity,
        code,
        reason,
        message: error.message,
        payload: data.payload.slice(0, 300),
      });
    } catch (e) {
      this.log.error({ err: e, method }, 'recording a refused crew RPC failed');
    }
  }

  stats(): RpcStats {
    return structuredClone(this.#stats);
  }
}
