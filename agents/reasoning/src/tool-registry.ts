/**
 * The tool registry (issue 5): every tool has an argument schema, an impact level and the agent
 * roles allowed to call it. Authority is decided here, from the caller's role, and never from
 * anything said in the room: a model or a rule can ask for any tool, the registry decides whether
 * it runs, asks a human first (high impact), or is refused.
 */
import { MAX_TOOL_ARGS_BYTES } from '@roomcrew/shared';
import { z } from 'zod';

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
}

export type ToolPlan =
  | { kind: 'run'; tool: ToolSpec; args: Record<string, unknown> }
  | { kind: 'escalate'; tool: ToolSpec; args: Record<string, unknown> }
  | { kind: 'refuse'; code: 'unknown_tool' | 'not_allowed' | 'bad_args' | 'too_large'; error: string };

/** A tool whose arguments are a zod object. */
export function zodTool<S extends z.ZodObject>(spec: {
  name: string;
  description: string;
  impact: Impact;
  roles: readonly string[];
  parameters: S;
  run(args: z.infer<S>, host: ToolHost): Promise<unknown>;
}): ToolSpec {
  return {
    name: spec.name,
    description: spec.description,
    impact: spec.impact,
    roles: spec.roles,
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

  /** Decides what happens to a call; nothing runs here. */
  plan(role: string, name: string, rawArgs: unknown): ToolPlan {
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
    return { kind: tool.impact === 'high' ? 'escalate' : 'run', tool, args: checked.args };
  }
}
