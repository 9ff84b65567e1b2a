/** The crew: agent names (explicit dispatch) and the attributes that identify roles in a room. */
import { z } from 'zod';
import { err, ok, type Result } from './result.js';

export const AGENT_NAMES = {
  orchestrator: 'crew-orchestrator',
  transcriber: 'crew-transcriber',
  vision: 'crew-vision',
  reasoner: 'crew-reasoner',
} as const;
export type CrewAgentName = (typeof AGENT_NAMES)[keyof typeof AGENT_NAMES];

/** Agents the orchestrator can dispatch on a crew request (it is itself always present). */
export const CREW_MEMBERS = [AGENT_NAMES.transcriber, AGENT_NAMES.vision, AGENT_NAMES.reasoner] as const;
export type CrewMember = (typeof CREW_MEMBERS)[number];
/** The crew when a dispatch names none: captions, what is on screen, and the reasoner. */
export const DEFAULT_CREW: CrewMember[] = [AGENT_NAMES.transcriber, AGENT_NAMES.vision, AGENT_NAMES.reasoner];

/** Set on agent participants by agents-js from the worker's agentName. */
export const ATTR_AGENT_NAME = 'lk.agent.name';
/** Server-granted role attribute (operator tokens). */
export const ATTR_ROLE = 'crew.role';
export const ROLE_OPERATOR = 'operator';

/** Job metadata of a crew-orchestrator dispatch: which members to bring, and room settings. */
export const crewJobMetadataSchema = z.object({
  crew: z.array(z.enum(CREW_MEMBERS)).default([...DEFAULT_CREW]),
  language: z.string().min(2).max(16).optional(),
  /** Participants whose cameras the vision agent always watches (within its track cap). */
  watch: z.array(z.string().min(1)).max(32).optional(),
});
export type CrewJobMetadata = z.infer<typeof crewJobMetadataSchema>;

/** Job metadata of a member dispatch (set by the orchestrator). */
export const memberJobMetadataSchema = z.object({
  language: z.string().min(2).max(16).optional(),
  watch: z.array(z.string().min(1)).max(32).optional(),
  orchestrator: z.string().optional(),
});
export type MemberJobMetadata = z.infer<typeof memberJobMetadataSchema>;

/** The job metadata of a member's dispatch, from the crew's (whoever dispatches the member). */
export function memberMetadataOf(crew: CrewJobMetadata, orchestrator?: string): string {
  const meta: MemberJobMetadata = {
    ...(crew.language ? { language: crew.language } : {}),
    ...(crew.watch ? { watch: crew.watch } : {}),
    ...(orchestrator ? { orchestrator } : {}),
  };
  return JSON.stringify(meta);
}

/** Empty metadata means defaults; anything else must be valid JSON of the schema. */
export function parseJobMetadata<S extends z.ZodType>(
  schema: S,
  raw: string | undefined,
): Result<z.infer<S>, string> {
  let json: unknown = {};
  if (raw && raw.trim() !== '') {
    try {
      json = JSON.parse(raw);
    } catch {
      return err(`job metadata is not JSON: ${raw.slice(0, 200)}`);
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return err(
      `bad job metadata: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return ok(parsed.data);
}

/** Server timestamps (dispatch and job states) come in ns, ms or s; normalize to ms. */
export function toMs(t: bigint | number | undefined): number {
  const n = Number(t ?? 0);
  if (n > 1e17) return n / 1e6;
  if (n > 1e14) return n / 1e3;
  if (n > 1e11) return n;
  return n * 1000;
}
