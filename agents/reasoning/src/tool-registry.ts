/**
 * The tool registry (issue 5): every tool has an argument schema, an impact level and the agent
 * roles allowed to call it. Authority is decided here, from the caller's role, and never from
 * anything said in the room: a model or a rule can ask for any tool, the registry decides whether
 * it runs, asks a human first (high impact), or is refused.
 *
 * Issue 10 adds two limits that content cannot talk its way around: low-impact side effects
 * (notes, action items) caused by one participant's content are capped per minute, and an
 * external (MCP) tool is shown to an operator before it first runs in the room.
 */
import { MAX_TOOL_ARGS_BYTES } from '@roomcrew/shared';
import { z } from 'zod';
import { SourceRateLimiter } from './source-rate-limit.js';

export type Impact = 'low' | 'high';

/** What a running tool can do in the room. */
export interface ToolHost {
  /** Posts to the room chat (`lk.chat`) as the reasoner. */
  chat(text: string): Promise<void>;
  insight(kind: 'answer' | 'note' | 'alert' | 'decision' | 'summary', text: string): Promise<void>;
  actionItem(item: { owner: string; text: string; due?: string }): Promise<void>;
  signal: AbortSignal;
}

export interface ToolSpec {
  name: string;
  description: string;
  impact: Impact;
  /** Agent names allowed to call it. */
  roles: readonly string[];
  /** JSON Schema of the arguments, as given to a model. */
  jsonSchema: Record<string, unknown>;
  /** Checks arguments; returns them cleaned, or a message saying what is wrong. */
  validate(args: unknown): { ok: true; args: Record<string, unknown> } | { ok: false; error: string };
  run(args: Record<string, unknown>, host: ToolHost): Promise<unknown>;
  /** A low-impact side effect counted against the per-source budget when content causes it. */
  limitPerSource?: boolean;
  /** Set for tools of an MCP server: they are shown to an operator before their first run. */
  mcp?: { server: string };
}

/** Whose content a call comes from (a speaker, a chat sender, whoever showed a screen). */
export interface CallOrigin {
  source: string;
  /** People's content: speech, chat, screens, descriptions of frames. */
  untrusted: boolean;
}

export type RefuseCode = 'unknown_tool' | 'not_allowed' | 'bad_args' | 'too_large' | 'rate_limited';

export type ToolPlan =
  | { kind: 'run'; tool: ToolSpec; args: Record<string, unknown> }
  /** `firstUse`: an MCP tool not yet approved in this room, whatever its impact. */
  | { kind: 'escalate'; tool: ToolSpec; args: Record<string, unknown>; firstUse: boolean }
  | { kind: 'refuse'; code: RefuseCode; error: string; limit?: RateLimited };

/** Why a call was refused for its source's budget (logged and reported with the refusal). */
export interface RateLimited {
  source: string;
  perMinute: number;
  /** Calls of this source refused since its window was last empty. */
  refusedSoFar: number;
  retryInMs: number;
}

export interface RegistryOptions {
  /** Low-impact side effects one source's content may cause per minute (default 6). */
  untrustedActionsPerMinute?: number;
  /** Sources remembered by the rate limit at most (default 1000). */
  maxSources?: number;
  now?: () => number;
}

/** A tool whose arguments are a zod object. */
export function zodTool<S extends z.ZodObject>(spec: {
  name: string;
  description: string;
  impact: Impact;
  roles: readonly string[];
  parameters: S;
  limitPerSource?: boolean;
  run(args: z.infer<S>, host: ToolHost): Promise<unknown>;
}): ToolSpec {
  return {
    name: spec.name,
    description: spec.description,
    impact: spec.impact,
    roles: spec.roles,
    ...(spec.limitPerSource ? { limitPerSource: true } : {}),
    jsonSchema: z.toJSONSchema(spec.parameters) as Record<string, unknown>,
    validate(args) {
      const parsed = spec.parameters.safeParse(args);
      if (parsed.success) return { ok: true, args: parsed.data as Record<string, unknown> };
      const issue = parsed.error.issues[0];
      return { ok: false, error: `${issue?.path.join('.') || '(arguments)'}: ${issue?.message}` };
    },
    run: (args, host) => spec.run(args as z.infer<S>, host),
  };
}

export class ToolRegistry {
  readonly #tools = new Map<string, ToolSpec>();
  readonly #limiter: SourceRateLimiter;
  /** MCP tools an operator has approved once in this room (a registry serves one room). */
  readonly #vetted = new Set<string>();

  constructor(o: RegistryOptions = {}) {
    this.#limiter = new SourceRateLimiter({
      perWindow: o.untrustedActionsPerMinute ?? 6,
      windowMs: 60_000,
      maxSources: o.maxSources ?? 1000,
      now: o.now,
    });
  }

  register(tool: ToolSpec): void {
    if (this.#tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.#tools.set(tool.name, tool);
  }

  get(name: string): ToolSpec | undefined {
    return this.#tools.get(name);
  }

  /** Tools a role may call (what a model is shown). */
  allowed(role: string): ToolSpec[] {
    return [...this.#tools.values()].filter((t) => t.roles.includes(role));
  }

  /**
   * Takes a slot of the per-minute budget of the source whose content causes a post (`what`: a
   * tool, or an insight a brain wants posted); undefined when it may go ahead. Trusted origins
   * (operators, the crew itself) are not counted.
   */
  admit(origin: CallOrigin | undefined, what: string): Extract<ToolPlan, { kind: 'refuse' }> | undefined {
    if (!origin?.untrusted) return undefined;
    const slot = this.#limiter.take(origin.source);
    if (slot.ok) return undefined;
    return {
      kind: 'refuse',
      code: 'rate_limited',
      error: `${origin.source} already caused ${slot.used} notes or action items in the last minute (at most ${this.#limiter.perWindow}); ${what} not posted`,
      limit: {
        source: origin.source,
        perMinute: this.#limiter.perWindow,
        refusedSoFar: slot.refusedSoFar,
        retryInMs: slot.retryInMs,
      },
    };
  }

  /** Sources the per-minute budget currently remembers (bounded). */
  get limitedSources(): number {
    return this.#limiter.size;
  }

  /** An operator approved this MCP tool once: from now on it runs by its impact in this room. */
  vet(name: string): void {
    if (this.#tools.get(name)?.mcp) this.#vetted.add(name);
  }

  vetted(name: string): boolean {
    return this.#vetted.has(name);
  }

  /**
   * Decides what happens to a call; nothing runs here. A call that would run and is a counted
   * side effect of untrusted content takes a slot of its source's budget (refused when none is left).
   */
  plan(role: string, name: string, rawArgs: unknown, origin?: CallOrigin): ToolPlan {
    const tool = this.#tools.get(name);
    if (!tool) return { kind: 'refuse', code: 'unknown_tool', error: `there is no tool named ${name}` };
    if (!tool.roles.includes(role)) {
      return { kind: 'refuse', code: 'not_allowed', error: `${role} may not call ${name}` };
    }
    const size = new TextEncoder().encode(JSON.stringify(rawArgs ?? {})).length;
    if (size > MAX_TOOL_ARGS_BYTES) {
      return {
        kind: 'refuse',
        code: 'too_large',
        error: `arguments are ${size} bytes; at most ${MAX_TOOL_ARGS_BYTES}`,
      };
    }
    const checked = tool.validate(rawArgs ?? {});
    if (!checked.ok)
      return { kind: 'refuse', code: 'bad_args', error: `bad arguments for ${name}: ${checked.error}` };
    const firstUse = tool.mcp !== undefined && !this.#vetted.has(name);
    if (tool.impact === 'high' || firstUse) return { kind: 'escalate', tool, args: checked.args, firstUse };
    if (tool.limitPerSource) {
      const refused = this.admit(origin, name);
      if (refused) return refused;
    }
    return { kind: 'run', tool, args: checked.args };
  }
}
