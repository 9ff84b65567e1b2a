/** Talking to the crew as a person: the room chat, and the orchestrator's escalation RPCs. */
import { type Room, RpcError } from '@livekit/rtc-node';
import { AGENT_NAMES, ATTR_AGENT_NAME, type CrewEvent, LK_TOPIC_CHAT, RPC } from '@roomcrew/shared';
import type { ReceivedCrewEvent } from './room-client.js';
import { waitFor } from './wait.js';

export interface ChatMessage {
  from: string;
  text: string;
  at: number;
}

/** Collects `lk.chat` messages as they arrive. */
export function collectChat(room: Room): ChatMessage[] {
  const got: ChatMessage[] = [];
  room.registerTextStreamHandler(LK_TOPIC_CHAT, async (reader, participant) => {
    got.push({ from: participant.identity, text: await reader.readAll(), at: Date.now() });
  });
  return got;
}

export async function chat(room: Room, text: string): Promise<void> {
  await room.localParticipant?.sendText(text, { topic: LK_TOPIC_CHAT });
}

export function identityOf(room: Room, agentName: string): string | undefined {
  for (const p of room.remoteParticipants.values())
    if (p.attributes[ATTR_AGENT_NAME] === agentName) return p.identity;
  return undefined;
}

/** Calls an escalation RPC on the orchestrator; resolves to the answer or the RpcError. */
export async function callOrchestrator(
  room: Room,
  method: (typeof RPC)[keyof typeof RPC],
  payload: unknown,
): Promise<{ ok: true; value: unknown } | { ok: false; code: number; message: string }> {
  const orchestrator = await waitFor(() => identityOf(room, AGENT_NAMES.orchestrator), 'the orchestrator');
  try {
    const out = await room.localParticipant?.performRpc({
      destinationIdentity: orchestrator,
      method,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      responseTimeout: 10_000,
    });
    return { ok: true, value: JSON.parse(out ?? 'null') };
  } catch (e) {
    if (e instanceof RpcError) return { ok: false, code: Number(e.code), message: e.message };
    throw e;
  }
}

export const decide = (room: Room, body: Record<string, unknown>) =>
  callOrchestrator(room, RPC.escalationDecide, body);

/** The next crew event of a type (optionally matching) among those collected. */
export function waitForEvent<T extends CrewEvent['type']>(
  events: ReceivedCrewEvent[],
  type: T,
  match: (e: Extract<CrewEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<Extract<CrewEvent, { type: T }>> {
  return waitFor(
    () =>
      events
        .map((r) => r.event)
        .find((e): e is Extract<CrewEvent, { type: T }> => e.type === type && match(e as never)),
    `a ${type} event`,
    timeoutMs,
  );
}
