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
  'transcript.segment': [reasoner, operators],
  'vision.observation': [reasoner, people],
  'reasoning.insight': [people],
  'reasoning.action_item': [people],
  'tool.call': [operators],
  'tool.result': [people],
  'escalation.request': [operators],
  'escalation.update': [reasoner, operators],
  'escalation.decision': [reasoner, operators],
};
