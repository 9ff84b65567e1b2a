/**
 * Provenance of what the crew does (issue 10): which participant's content an action came from,
 * and what an operator is advised when that content asks for something with consequences.
 */
import type { EscalationTrigger } from '@roomcrew/shared';
import type { RoomInput } from './room-input.js';
import type { CallOrigin } from './tool-registry.js';

/** Words that try to instruct the crew rather than talk to people. */
const INJECTION = /\b(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt)\b/i;

export function kindOf(input: RoomInput): NonNullable<RoomInput['kind']> {
  if (input.kind) return input.kind;
  return input.source === 'transcript' ? 'speech' : input.source;
}

/** The escalation's trigger: every room input is people's content, so always untrusted. */
export function triggerOf(input: RoomInput | undefined): EscalationTrigger {
  if (!input) return { kind: 'system', untrusted: false };
  return {
    kind: kindOf(input),
    from: input.who.identity,
    name: (input.who.name || input.who.identity).slice(0, 256),
    untrusted: true,
  };
}

/** Whose budget a call from this input counts against. */
export function originOf(input: RoomInput | undefined): CallOrigin | undefined {
  return input ? { source: input.who.identity, untrusted: true } : undefined;
}

/**
 * What the operator's card recommends. Content from people is never recommended for approval,
 * whatever a brain (or the content itself) says; the brain is heard only for trusted triggers.
 */
export function recommendation(
  trigger: EscalationTrigger,
  input: RoomInput | undefined,
  brainSays?: 'approve' | 'reject',
): 'approve' | 'reject' {
  if (trigger.untrusted) return 'reject';
  if (input && INJECTION.test(input.text)) return 'reject';
  return brainSays ?? 'approve';
}
