/**
 * Who receives which crew event. Destinations are agent names (resolved to the identities present
 * in the room), operators (humans with the server-granted operator role) and people (every human,
 * for the crew feed the console shows). Agents not in the room yet simply receive nothing; the
 * sender never receives its own event back.
 */
import type { CrewEventType } from '@roomcrew/shared';

export type Subscriber = { agent: string } | { operators: true } | { people: true };

const reasoner = { agent: 'crew-reasoner' } as const;
const operators = { operators: true } as const;
/** Every human in the room (operators included): the crew feed people see in the console. */
const people = { people: true } as const;

export const ROUTES: Readonly<Record<CrewEventType, readonly Subscriber[]>> = {
  'crew.hello': [operators],
  'crew.state': [operators],
  // The orchestrator writes these to the audit trail itself.
  'crew.refusal': [],
  'transcript.segment': [reasoner, operators],
  'vision.observation': [reasoner, people],
  'reasoning.insight': [people],
  'reasoning.action_item': [people],
  'tool.call': [operators],
  'tool.result': [people],
  // The escalation desk offers requests to operators itself (and to operators who join later).
  'escalation.request': [],
  // Only the orchestrator decides; the router refuses these from anyone else.
  'escalation.update': [],
  'escalation.decision': [],
};

/** Types only the orchestrator originates; sent by anyone else they are refused, not routed. */
export const ORCHESTRATOR_ONLY: ReadonlySet<CrewEventType> = new Set([
  'escalation.update',
  'escalation.decision',
]);
