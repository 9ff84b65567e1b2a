/** RPCs from the page to the orchestrator; a refusal comes back as a readable Error. */
import type { RPC } from '@roomcrew/shared/contracts';
import { type Room, RpcError } from 'livekit-client';
import { orchestratorOf } from './crew-room';

type Method = (typeof RPC)['escalationDecide' | 'escalationTakeover' | 'escalationHandback'];

export async function callOrchestrator(room: Room, method: Method, payload: unknown): Promise<unknown> {
  const orchestrator = orchestratorOf(room);
  if (!orchestrator) throw new Error('the crew orchestrator is not in the room');
  try {
    const answer = await room.localParticipant.performRpc({
      destinationIdentity: orchestrator.identity,
      method,
      payload: JSON.stringify(payload),
      responseTimeout: 10_000,
    });
    return answer ? JSON.parse(answer) : undefined;
  } catch (e) {
    if (e instanceof RpcError) throw new Error(e.message);
    throw e;
  }
}
