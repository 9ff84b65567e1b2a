/**
 * Human-in-the-loop contracts (DESIGN.md, Contracts and Trust): the RPC payloads operators send
 * to the orchestrator, the orchestrator's answers, and the attribute that shows who took over.
 */
import { z } from 'zod';

/** Arguments of a tool call, serialized, may not exceed this (they travel in one crew event). */
export const MAX_TOOL_ARGS_BYTES = 4 * 1024;
export const MAX_NOTE_CHARS = 500;

const toolArgs = z
  .record(z.string(), z.unknown())
  .refine((a) => new TextEncoder().encode(JSON.stringify(a)).length <= MAX_TOOL_ARGS_BYTES, {
    message: `arguments exceed ${MAX_TOOL_ARGS_BYTES} bytes`,
  });

/** `crew.escalation.decide`: approve (optionally with edited arguments) or reject, with a note. */
export const decideRequestSchema = z
  .object({
    escalationId: z.string().min(1).max(128),
    decision: z.enum(['approve', 'reject']),
    args: toolArgs.optional(),
    note: z.string().max(MAX_NOTE_CHARS).optional(),
  })
  // Unknown fields are refused: a forged `decidedBy` or `operator` must not pass as ignored.
  .strict();
export type DecideRequest = z.infer<typeof decideRequestSchema>;

export const decideResponseSchema = z.object({
  escalationId: z.string(),
  decision: z.enum(['approve', 'reject']),
  decidedBy: z.string(),
  at: z.number(),
});
export type DecideResponse = z.infer<typeof decideResponseSchema>;

/** `crew.escalation.takeover` / `crew.escalation.handback`. */
export const takeoverRequestSchema = z.object({ reason: z.string().max(MAX_NOTE_CHARS).optional() }).strict();
export type TakeoverRequest = z.infer<typeof takeoverRequestSchema>;

/**
 * Set by the orchestrator on its own participant while an operator has taken over the crew:
 * JSON of `takeoverStateSchema`, or empty when nobody has. Every participant can read it; only
 * the orchestrator can write it, so the reasoner trusts it.
 */
export const ATTR_TAKEOVER = 'crew.takeover';
export const takeoverStateSchema = z.object({
  operator: z.string().min(1),
  name: z.string(),
  since: z.number(),
  reason: z.string().optional(),
});
export type TakeoverState = z.infer<typeof takeoverStateSchema>;

/** The takeover attribute's value, or undefined when no operator holds the crew (or it is garbage). */
export function parseTakeover(value: string | undefined): TakeoverState | undefined {
  if (!value) return undefined;
  try {
    const parsed = takeoverStateSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What happens to an escalation nobody decided before its deadline. */
export const ESCALATION_FALLBACKS = ['reject', 'approve'] as const;
export type EscalationFallback = (typeof ESCALATION_FALLBACKS)[number];
