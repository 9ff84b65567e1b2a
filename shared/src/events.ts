/**
 * Crew event contracts (DESIGN.md, Contracts). Every event crossing the room on topic `crew.v1`
 * is an envelope whose payload is validated by the schema registered for its type.
 */
import { z } from 'zod';
import { RPC_REFUSALS } from './rpc.js';

export const CREW_TOPIC = 'crew.v1';
export const ENVELOPE_VERSION = 1;
/** One message stays under 14 KiB so it fits a single reliable data packet. */
export const MAX_EVENT_BYTES = 14 * 1024;

export const envelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  id: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  ts: z.number().int().nonnegative(),
  room: z.string().min(1).max(256),
  from: z.string().min(1).max(256),
  corr: z.string().min(1).max(128).optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

const speaker = z.object({ identity: z.string().min(1), name: z.string() });

/**
 * Provenance of an escalation (issue 10): the kind of content that led the crew to ask, and whose.
 * `speech`, `chat`, `ocr` (screen text), `vision` (local analysis of a camera) and `model` (a
 * model's description of a frame) carry what people said, wrote or showed: always untrusted.
 */
export const TRIGGER_KINDS = ['speech', 'chat', 'ocr', 'vision', 'model', 'operator', 'system'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
export const HUMAN_TRIGGER_KINDS = ['speech', 'chat', 'ocr', 'vision', 'model'] as const;
export const escalationTriggerSchema = z.object({
  kind: z.enum(TRIGGER_KINDS),
  /** Identity of the participant whose content it was. */
  from: z.string().min(1).max(256).optional(),
  /** Their display name when it happened (what the operator's card shows). */
  name: z.string().max(256).optional(),
  untrusted: z.boolean(),
});
export type EscalationTrigger = z.infer<typeof escalationTriggerSchema>;

/** External (MCP) tool descriptions are cut to this many characters, marker included. */
export const MAX_TOOL_DESCRIPTION_CHARS = 300;
export const escalationToolInfoSchema = z.object({
  description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS),
  /** The MCP server the tool comes from. */
  server: z.string().min(1).max(64).optional(),
  /** True when the tool has not run in this room yet: approving it lets it run by its impact. */
  firstUse: z.boolean().default(false),
});
export type EscalationToolInfo = z.infer<typeof escalationToolInfoSchema>;

export const payloadSchemas = {
  'crew.hello': z.object({
    agent: z.string().min(1),
    version: z.string().optional(),
  }),
  'crew.state': z.object({
    agent: z.string().min(1),
    state: z.enum(['starting', 'ready', 'busy', 'degraded', 'stopping']),
    /** Track sids the agent is actually subscribed to, as the room reports them. */
    subscriptions: z.array(z.string()).optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  /**
   * A crew member refused a crew RPC (issue 10): sent to the orchestrator, the room's one audit
   * writer, so refusals at every agent are on the audit trail.
   */
  'crew.refusal': z.object({
    method: z.string().min(1).max(64),
    caller: z.string().max(256),
    code: z.number().int(),
    reason: z.enum(RPC_REFUSALS),
    message: z.string().max(500),
    /** The start of the refused payload. */
    payload: z.string().max(300),
    /** Refusals of this caller counted at the member but not reported since the previous report. */
    suppressed: z.number().int().nonnegative().default(0),
  }),
  'transcript.segment': z.object({
    segmentId: z.string().min(1),
    speaker,
    trackId: z.string().min(1),
    text: z.string(),
    language: z.string().min(2),
    /** Seconds since the speaker's stream started. */
    startTime: z.number().nonnegative(),
    endTime: z.number().nonnegative(),
    confidence: z.number().min(0).max(1).optional(),
    final: z.boolean(),
    engine: z.string().min(1),
  }),
  'vision.observation': z.object({
    trackId: z.string().min(1),
    participant: z.string().min(1),
    source: z.enum(['camera', 'screen']),
    frameTs: z.number().nonnegative(),
    changeScore: z.number().min(0).max(1),
    summary: z.string(),
    fields: z.record(z.string(), z.unknown()).default({}),
  }),
  'reasoning.insight': z.object({
    kind: z.enum(['answer', 'note', 'alert', 'decision', 'summary']),
    text: z.string().min(1),
    refs: z.array(z.string()).default([]),
  }),
  'reasoning.action_item': z.object({
    owner: z.string().min(1),
    text: z.string().min(1),
    due: z.string().optional(),
    refs: z.array(z.string()).default([]),
  }),
  'tool.call': z.object({
    callId: z.string().min(1),
    tool: z.string().min(1),
    args: z.record(z.string(), z.unknown()),
  }),
  'tool.result': z.object({
    callId: z.string().min(1),
    tool: z.string().min(1),
    status: z.enum(['ok', 'error', 'rejected', 'dropped']),
    result: z.unknown().optional(),
    error: z.string().optional(),
  }),
  'escalation.request': z
    .object({
      escalationId: z.string().min(1),
      tool: z.string().min(1),
      args: z.record(z.string(), z.unknown()),
      reason: z.string().min(1),
      context: z.string(),
      recommended: z.enum(['approve', 'reject']),
      deadline: z.number().int().positive(),
      /** What led to it; absent from older senders (treated as unknown, never as trusted). */
      trigger: escalationTriggerSchema.optional(),
      /** The tool as it describes itself, shown to operators before an external tool first runs. */
      toolInfo: escalationToolInfoSchema.optional(),
    })
    .superRefine((p, ctx) => {
      if (!p.trigger) return;
      // People's content can never be vouched for by the sender, nor recommended for approval.
      if ((HUMAN_TRIGGER_KINDS as readonly string[]).includes(p.trigger.kind) && !p.trigger.untrusted)
        ctx.addIssue({
          code: 'custom',
          path: ['trigger', 'untrusted'],
          message: `a ${p.trigger.kind} trigger is untrusted content`,
        });
      if (p.trigger.untrusted && p.recommended !== 'reject')
        ctx.addIssue({
          code: 'custom',
          path: ['recommended'],
          message: 'an escalation triggered by untrusted content is recommended reject',
        });
    }),
  'escalation.update': z.object({
    escalationId: z.string().min(1),
    status: z.enum(['pending', 'offered', 'decided', 'expired']),
    operators: z.array(z.string()).default([]),
  }),
  'escalation.decision': z.object({
    escalationId: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
    args: z.record(z.string(), z.unknown()).optional(),
    note: z.string().optional(),
    decidedBy: z.string().min(1),
    fallback: z.boolean().default(false),
  }),
} as const;

export type CrewEventType = keyof typeof payloadSchemas;
export type CrewPayload<T extends CrewEventType> = z.infer<(typeof payloadSchemas)[T]>;
export type CrewEvent<T extends CrewEventType = CrewEventType> = {
  [K in T]: Omit<Envelope, 'type' | 'payload'> & { type: K; payload: CrewPayload<K> };
}[T];

export const CREW_EVENT_TYPES = Object.keys(payloadSchemas) as CrewEventType[];

/**
 * Types only AGENT participants may send. Humans take part through RPC (decisions) and LiveKit's
 * own topics (chat), never by injecting crew events, so today every crew type is agent-only.
 */
export const AGENT_ONLY_TYPES: ReadonlySet<CrewEventType> = new Set(CREW_EVENT_TYPES);

export function isCrewEventType(type: string): type is CrewEventType {
  return Object.hasOwn(payloadSchemas, type);
}
