/** Guarding and parsing crew RPCs the same way in every agent. */
import { type RemoteParticipant, type Room, RpcError } from '@livekit/rtc-node';
import type { z } from 'zod';
import { announcedParticipant, isAgent, isOperator } from './room-helpers.js';
import { RPC_ERROR } from './rpc.js';

/**
 * The caller, if it is an operator or a crew agent; otherwise a permission error. A caller the
 * room has not announced yet (its RPC overtook the announcement) is waited for briefly.
 */
export async function requireCrewCaller(
  room: Room,
  callerIdentity: string,
  what: string,
): Promise<RemoteParticipant> {
  const caller = await announcedParticipant(room, callerIdentity, 3000);
  if (!caller || !(isOperator(caller) || isAgent(caller))) {
    throw new RpcError(RPC_ERROR.permissionDenied, `only operators and crew agents may ${what}`);
  }
  return caller;
}

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
