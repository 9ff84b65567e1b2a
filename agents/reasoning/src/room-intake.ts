/**
 * What the reasoner takes in: routed transcript finals, vision observations and people's chat,
 * turned into room inputs that say whose content they are (the source the per-minute budget and
 * escalation provenance use).
 */
import type { Room, TextStreamReader } from '@livekit/rtc-node';
import type { CrewEvent, Logger } from '@roomcrew/shared';
import { announcedParticipant, isAgent } from '@roomcrew/shared/room';
import { readChatMessage } from './chat-limits.js';
import type { RoomInput } from './room-input.js';

export type NewInput = Omit<RoomInput, 'ts' | 'addressed'>;

/** A crew event as an input, or undefined when it is not one (interim, empty, other types). */
export function inputFromEvent(event: CrewEvent, room: Room): NewInput | undefined {
  switch (event.type) {
    case 'transcript.segment': {
      const p = event.payload;
      if (!p.final || !p.text.trim()) return undefined;
      return { source: 'transcript', kind: 'speech', who: p.speaker, text: p.text, ref: event.id };
    }
    case 'vision.observation': {
      const p = event.payload;
      // A screen's words when it was read (OCR), else what the vision agent says it saw.
      const ocr = (p.fields.ocr as { text?: unknown } | undefined)?.text;
      const who = room.remoteParticipants.get(p.participant);
      const read = typeof ocr === 'string' && ocr.trim() !== '';
      const text = read ? (ocr as string).trim() : p.summary;
      if (!text.trim()) return undefined;
      return {
        source: 'vision',
        // Not read from the screen: a cloud model's description, or the local analysers' words.
        kind: read ? 'ocr' : p.fields.provider && p.fields.provider !== 'local' ? 'model' : 'vision',
        who: { identity: p.participant, name: who?.name || p.participant },
        text,
        ref: event.id,
      };
    }
    default:
      return undefined;
  }
}

/** A person's chat message as an input; the crew's own messages and unreadable ones are not. */
export async function chatInput(
  room: Room,
  reader: TextStreamReader,
  identity: string,
  log: Logger,
): Promise<NewInput | undefined> {
  // A message can arrive before the room has announced its sender to us: wait for that while
  // reading (unread chunks would pile up meanwhile), and read only up to the caps.
  const [p, text] = await Promise.all([
    announcedParticipant(room, identity),
    readChatMessage(room, reader, identity, log),
  ]);
  if (text === undefined || !p || isAgent(p) || !text.trim()) return undefined;
  return {
    source: 'chat',
    kind: 'chat',
    who: { identity, name: p.name || identity },
    text,
    ref: reader.info.streamId,
  };
}
