/** Who is who in a room, as the SFU and the server-granted attributes say. */
import { ParticipantKind } from '@livekit/rtc-node';
import { ATTR_AGENT_NAME, ATTR_ROLE, ATTR_SINCE, ROLE_OPERATOR } from './crew.js';

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

function since(p: ParticipantLike): number {
  const n = Number(p.attributes[ATTR_SINCE]);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * One copy of each crew agent per room: when two are present, the later one (by the time its job
 * was accepted, then by identity) yields. Every copy applies the same rule, so exactly one stays.
 */
export function shouldYieldTo(me: ParticipantLike, others: Iterable<ParticipantLike>): string | undefined {
  const name = agentNameOf(me);
  if (!name) return undefined;
  for (const other of others) {
    if (other.identity === me.identity || agentNameOf(other) !== name) continue;
    const [a, b] = [since(other), since(me)];
    if (a < b || (a === b && other.identity < me.identity)) return other.identity;
  }
  return undefined;
}
