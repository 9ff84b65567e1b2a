/**
 * Everything the page hears in a room besides media: captions (`lk.transcription`), the crew's
 * events (`crew.v1`), chat (`lk.chat`), escalations and the crew's state. Crew events are only
 * taken from agent participants, for this room, once per id, and only when they parse.
 */
import {
  AGENT_NAMES,
  ATTR_AGENT_NAME,
  CREW_TOPIC,
  type CrewEvent,
  type CrewPayload,
  LK_ATTR_SEGMENT_ID,
  LK_ATTR_TRANSCRIPTION_FINAL,
  LK_TOPIC_CHAT,
  LK_TOPIC_TRANSCRIPTION,
  MAX_CHAT_MESSAGE_BYTES,
  parseCrewEvent,
  readTextBounded,
} from '@roomcrew/shared/contracts';
import { type Participant, type RemoteParticipant, type Room, RoomEvent } from 'livekit-client';
import { useEffect, useState } from 'react';

/** A caption longer than this stops growing on the page (an utterance is at most 30 s). */
const MAX_CAPTION_CHARS = 4000;

export interface Caption {
  id: string;
  identity: string;
  name: string;
  text: string;
  final: boolean;
  at: number;
}

export interface ChatMessage {
  id: string;
  identity: string;
  name: string;
  text: string;
  at: number;
  mine: boolean;
  agent: boolean;
}

export type FeedEvent = CrewEvent<
  'vision.observation' | 'reasoning.insight' | 'reasoning.action_item' | 'tool.result'
>;

export interface Escalation {
  request: CrewEvent<'escalation.request'>;
  status: CrewPayload<'escalation.update'>['status'];
  decision?: CrewPayload<'escalation.decision'> & { at: number };
}

export interface CrewRoomState {
  captions: Caption[];
  feed: FeedEvent[];
  chat: ChatMessage[];
  escalations: Escalation[];
  /** Every decision seen (also for requests raised before this page joined), oldest first. */
  decisions: (CrewPayload<'escalation.decision'> & { at: number; tool?: string })[];
  /** Latest crew.state per agent name (routed to operators). */
  agentStates: Record<string, CrewPayload<'crew.state'> & { at: number }>;
}

const MAX_CAPTIONS = 60;
const MAX_FEED = 200;
const MAX_CHAT = 200;

const AGENT_LABELS: Record<string, string> = {
  [AGENT_NAMES.orchestrator]: 'Orchestrator',
  [AGENT_NAMES.transcriber]: 'Transcriber',
  [AGENT_NAMES.vision]: 'Vision',
  [AGENT_NAMES.reasoner]: 'Reasoner',
};

export function agentLabel(agentName: string | undefined): string {
  if (!agentName) return 'Agent';
  return AGENT_LABELS[agentName] ?? agentName.replace(/^crew-/, '').replace(/^./, (c) => c.toUpperCase());
}

export function agentNameOf(p: Participant): string | undefined {
  return p.isAgent ? p.attributes[ATTR_AGENT_NAME] : undefined;
}

export function displayName(room: Room, identity: string): string {
  const p =
    identity === room.localParticipant.identity
      ? room.localParticipant
      : room.getParticipantByIdentity(identity);
  if (!p) return identity;
  const agent = agentNameOf(p);
  return agent ? agentLabel(agent) : p.name || p.identity;
}

export function orchestratorOf(room: Room): RemoteParticipant | undefined {
  return [...room.remoteParticipants.values()].find((p) => agentNameOf(p) === AGENT_NAMES.orchestrator);
}

const FEED_TYPES = new Set([
  'vision.observation',
  'reasoning.insight',
  'reasoning.action_item',
  'tool.result',
]);

export function useCrewRoom(room: Room): CrewRoomState & { sendChat(text: string): Promise<void> } {
  const [state, setState] = useState<CrewRoomState>({
    captions: [],
    feed: [],
    chat: [],
    escalations: [],
    decisions: [],
    agentStates: {},
  });

  useEffect(() => {
    const seen = new Set<string>();
    const upsertCaption = (c: Caption) =>
      setState((s) => {
        const rest = s.captions.filter((x) => x.id !== c.id);
        return { ...s, captions: [...rest, c].slice(-MAX_CAPTIONS) };
      });

    room.registerTextStreamHandler(LK_TOPIC_TRANSCRIPTION, async (reader, from) => {
      const attrs = reader.info.attributes ?? {};
      const id = attrs[LK_ATTR_SEGMENT_ID] ?? reader.info.id;
      const final = attrs[LK_ATTR_TRANSCRIPTION_FINAL] === 'true';
      const name = displayName(room, from.identity);
      let text = '';
      for await (const chunk of reader) {
        text += chunk;
        if (text.length > MAX_CAPTION_CHARS) break;
        if (!final) upsertCaption({ id, identity: from.identity, name, text, final, at: Date.now() });
      }
      upsertCaption({ id, identity: from.identity, name, text, final, at: Date.now() });
    });

    room.registerTextStreamHandler(LK_TOPIC_CHAT, async (reader, from) => {
      // Read with the crew's chat cap: a huge message is dropped, not buffered and rendered.
      const chunks = { [Symbol.asyncIterator]: () => reader[Symbol.asyncIterator]() };
      const read = await readTextBounded(chunks, { maxBytes: MAX_CHAT_MESSAGE_BYTES });
      if (!read.ok) {
        console.warn(`chat message from ${from.identity} dropped: ${read.error.message}`);
        return;
      }
      const text = read.value;
      const p = room.getParticipantByIdentity(from.identity);
      const msg: ChatMessage = {
        id: reader.info.id,
        identity: from.identity,
        name: displayName(room, from.identity),
        text,
        at: reader.info.timestamp || Date.now(),
        mine: false,
        agent: Boolean(p?.isAgent),
      };
      setState((s) => ({ ...s, chat: [...s.chat, msg].slice(-MAX_CHAT) }));
    });

    const onData = (
      payload: Uint8Array,
      participant?: RemoteParticipant,
      _kind?: unknown,
      topic?: string,
    ) => {
      if (topic !== CREW_TOPIC || !participant?.isAgent) return;
      const parsed = parseCrewEvent(payload);
      if (!parsed.ok) {
        console.warn(`crew event from ${participant.identity} dropped: ${parsed.error.message}`);
        return;
      }
      const event = parsed.value;
      if (event.room !== room.name || seen.has(event.id)) return;
      seen.add(event.id);
      setState((s) => applyEvent(s, event));
    };
    room.on(RoomEvent.DataReceived, onData);
    return () => {
      room.off(RoomEvent.DataReceived, onData);
      room.unregisterTextStreamHandler(LK_TOPIC_TRANSCRIPTION);
      room.unregisterTextStreamHandler(LK_TOPIC_CHAT);
    };
  }, [room]);

  const sendChat = async (text: string) => {
    const info = await room.localParticipant.sendText(text, { topic: LK_TOPIC_CHAT });
    const me = room.localParticipant;
    const msg: ChatMessage = {
      id: info.id,
      identity: me.identity,
      name: me.name || me.identity,
      text,
      at: Date.now(),
      mine: true,
      agent: false,
    };
    setState((s) => ({ ...s, chat: [...s.chat, msg].slice(-MAX_CHAT) }));
  };

  return { ...state, sendChat };
}

function applyEvent(s: CrewRoomState, event: CrewEvent): CrewRoomState {
  if (FEED_TYPES.has(event.type)) return { ...s, feed: [...s.feed, event as FeedEvent].slice(-MAX_FEED) };
  switch (event.type) {
    case 'crew.state':
      return {
        ...s,
        agentStates: { ...s.agentStates, [event.payload.agent]: { ...event.payload, at: event.ts } },
      };
    case 'escalation.request':
      if (s.escalations.some((e) => e.request.payload.escalationId === event.payload.escalationId)) return s;
      return { ...s, escalations: [...s.escalations, { request: event, status: 'offered' }] };
    case 'escalation.update':
      return {
        ...s,
        escalations: s.escalations.map((e) =>
          e.request.payload.escalationId === event.payload.escalationId && !e.decision
            ? { ...e, status: event.payload.status }
            : e,
        ),
      };
    case 'escalation.decision': {
      const tool = s.escalations.find((e) => e.request.payload.escalationId === event.payload.escalationId)
        ?.request.payload.tool;
      return {
        ...s,
        decisions: [...s.decisions, { ...event.payload, at: event.ts, ...(tool ? { tool } : {}) }],
        escalations: s.escalations.map((e) =>
          e.request.payload.escalationId === event.payload.escalationId
            ? { ...e, status: 'decided', decision: { ...event.payload, at: event.ts } }
            : e,
        ),
      };
    }
    default:
      return s;
  }
}
