/** Real @livekit/rtc-node participants joining as a person, an operator or an agent. */
import { type RemoteParticipant, Room, RoomEvent } from '@livekit/rtc-node';
import type { ServerTarget } from '@roomcrew/cli';
import {
  agentToken,
  CREW_TOPIC,
  type CrewEvent,
  LK_TOPIC_TRANSCRIPTION,
  operatorToken,
  parseCrewEvent,
  participantToken,
} from '@roomcrew/shared';

export type Role = 'participant' | 'operator' | 'agent';

export async function join(
  t: ServerTarget,
  room: string,
  identity: string,
  role: Role = 'participant',
  name?: string,
): Promise<Room> {
  const mint = role === 'operator' ? operatorToken : role === 'agent' ? agentToken : participantToken;
  const token = await mint(t, { room, identity, ...(name ? { name } : {}) });
  const r = new Room();
  await r.connect(t.url, token, { autoSubscribe: false, dynacast: false });
  return r;
}

export interface ReceivedTranscription {
  sender: string;
  text: string;
  attributes: Record<string, string>;
  at: number;
}

/** Collects `lk.transcription` text streams as they arrive. */
export function collectTranscriptions(room: Room): ReceivedTranscription[] {
  const got: ReceivedTranscription[] = [];
  room.registerTextStreamHandler(LK_TOPIC_TRANSCRIPTION, async (reader, participant) => {
    const text = await reader.readAll();
    const attributes = reader.info.attributes ?? {};
    got.push({ sender: participant.identity, text, attributes, at: Date.now() });
  });
  return got;
}

export interface ReceivedCrewEvent {
  event: CrewEvent;
  via: string;
  at: number;
}

/** Collects crew events delivered to this participant (parsed, not otherwise validated). */
export function collectCrewEvents(room: Room): ReceivedCrewEvent[] {
  const got: ReceivedCrewEvent[] = [];
  room.on(RoomEvent.DataReceived, (payload, participant?: RemoteParticipant, _k?, topic?: string) => {
    if (topic !== CREW_TOPIC) return;
    const r = parseCrewEvent(payload);
    if (r.ok) got.push({ event: r.value, via: participant?.identity ?? '', at: Date.now() });
  });
  return got;
}
