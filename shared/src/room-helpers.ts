/** Who is who in a room, as the SFU and the server-granted attributes say. */
import { ParticipantKind } from '@livekit/rtc-node';
import { ATTR_AGENT_NAME, ATTR_ROLE, ROLE_OPERATOR } from './crew.js';

interface ParticipantLike {
  identity: string;
  kind: ParticipantKind;
  attributes: Record<string, string>;
}

export function isAgent(p: { kind: ParticipantKind }): boolean {
  return p.kind === ParticipantKind.AGENT;
}

/** The agentName of an agent participant (set by its worker at job accept), else undefined. */
export function agentNameOf(p: ParticipantLike): string | undefined {
  return isAgent(p) ? p.attributes[ATTR_AGENT_NAME] : undefined;
}

/** Operators are humans whose token carries the server-granted role attribute. */
export function isOperator(p: ParticipantLike): boolean {
  return !isAgent(p) && p.attributes[ATTR_ROLE] === ROLE_OPERATOR;
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
