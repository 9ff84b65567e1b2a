/** RPC method names (DESIGN.md, Contracts). All are prefixed `crew.`. */
export const RPC = {
  ping: 'crew.ping',
  escalationDecide: 'crew.escalation.decide',
  escalationTakeover: 'crew.escalation.takeover',
  escalationHandback: 'crew.escalation.handback',
  /** Per-room routing counters of the orchestrator. */
  controlStats: 'crew.control.stats',
  /** A page of the room's session transcript, from the transcriber. */
  transcriptGet: 'crew.transcript.get',
  /** Lower or raise the vision agent's sampling (load shedding), from operators or the crew. */
  controlVision: 'crew.control.vision',
} as const;
export type RpcMethod = (typeof RPC)[keyof typeof RPC];

/** Application error codes returned in RpcError (LiveKit reserves 1xxx). */
export const RPC_ERROR = {
  badRequest: 2400,
  permissionDenied: 2403,
  notFound: 2404,
  conflict: 2409,
  tooLarge: 2413,
  /** The handler failed for a reason of its own (logged); the caller may retry. */
  internal: 2500,
} as const;

/** Why a crew RPC was refused, as counted in stats and recorded in the audit trail. */
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
