/**
 * Who receives which crew event. Destinations are agent names (resolved to the identities present
 * in the room) and operators (humans with the server-granted operator role). Agents not in the
 * room yet simply receive nothing; the sender never receives its own event back.
 */
import type { CrewEventType } from '@roomcrew/shared';

export type Subscriber = { agent: string } | { operators: true };

const reasoner = { agent: 'crew-reasoner' } as const;
const operators = { operators: true } as const;

export const ROUTES: Readonly<Record<CrewEventType, readonly Subscriber[]>> = {
  'crew.hello': [operators],
  'crew.state': [operators],
  'transcript.segment': [reasoner, operators],
  'vision.observation': [reasoner, operators],
  'reasoning.insight': [operators],
  'reasoning.action_item': [operators],
  'tool.call': [operators],
  'tool.result': [operators],
  'escalation.request': [operators],
  'escalation.update': [reasoner, operators],
  'escalation.decision': [reasoner, operators],
};
