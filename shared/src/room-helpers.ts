/** Who is who in a room, as the SFU says (operators: crew-authority.ts). */
import { ParticipantKind, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { ATTR_AGENT_NAME } from './crew.js';

interface ParticipantLike {
  identity: string;
  kind: ParticipantKind;
  attributes: Record<string, string>;
}

/** Crew agents are participants of kind AGENT, which the SFU sets from the token. */
export function isAgent(p: { kind: ParticipantKind }): boolean {
  return p.kind === ParticipantKind.AGENT;
}

/** The agentName of an agent participant (set by its worker at job accept), else undefined. */
export function agentNameOf(p: ParticipantLike): string | undefined {
  return isAgent(p) ? p.attributes[ATTR_AGENT_NAME] : undefined;
}

/** Other participants that are the same crew agent as `me`. */
export function copiesOf(me: ParticipantLike, others: Iterable<ParticipantLike>): ParticipantLike[] {
  const name = agentNameOf(me);
  if (!name) return [];
  return [...others].filter((o) => o.identity !== me.identity && agentNameOf(o) === name);
}

/**
 * Of two copies of an agent that joined at the same moment (neither saw the other on joining),
 * the one with the smaller identity stays. Both sides apply the same rule, so exactly one stays.
 */
export function losesTieTo(me: ParticipantLike, other: ParticipantLike): boolean {
  return other.identity < me.identity;
}

/**
 * The participant with this identity, waiting up to `timeoutMs` for the room to announce it: an
 * RPC or a text stream can arrive from someone the room has not told us about yet.
 */
export function announcedParticipant(
  room: Room,
  identity: string,
  timeoutMs = 5000,
): Promise<RemoteParticipant | undefined> {
  const known = room.remoteParticipants.get(identity);
  if (known) return Promise.resolve(known);
  return new Promise((resolve) => {
    const done = (p: RemoteParticipant | undefined) => {
      clearTimeout(timer);
      room.off(RoomEvent.ParticipantConnected, onJoin);
      resolve(p);
    };
    const onJoin = (p: RemoteParticipant) => {
      if (p.identity === identity) done(p);
    };
    const timer = setTimeout(() => done(room.remoteParticipants.get(identity)), timeoutMs);
    room.on(RoomEvent.ParticipantConnected, onJoin);
  });
}
