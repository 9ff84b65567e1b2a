/**
 * External tools from MCP servers (issue 5). Each configured server is started over stdio; only
 * the tools on its allow-list are registered, under `<server>__<tool>`, with the impact level the
 * configuration gives (high ones go through an operator like any other). The server's own
 * input schema is shown to the model; the server validates the arguments it receives.
 *
 * A server writes its own tool descriptions, and they reach both the model and operators: they are
 * cut to MAX_TOOL_DESCRIPTION_CHARS, and each tool is shown to an operator (with its description
 * and server) before it first runs in a room (issue 10).
 */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Logger } from '@roomcrew/shared';
import { AGENT_NAMES, MAX_TOOL_DESCRIPTION_CHARS } from '@roomcrew/shared';
import { z } from 'zod';
import type { ToolRegistry, ToolSpec } from './tool-registry.js';

export const mcpConfigSchema = z.object({
  servers: z
    .array(
      z.object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/, 'letters, digits, _ and - only'),
        command: z.string().min(1),
        args: z.array(z.string()).default([]),
        env: z.record(z.string(), z.string()).default({}),
        /** Tools of this server the crew may use; everything else it offers is ignored. */
        allow: z.array(z.string().min(1)).min(1),
        impact: z.enum(['low', 'high']).default('high'),
        /** Per-tool impact overriding the server's. */
        toolImpact: z.record(z.string(), z.enum(['low', 'high'])).default({}),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      }),
    )
    .max(16),
});
export type McpConfig = z.infer<typeof mcpConfigSchema>;

export function readMcpConfig(path: string): McpConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`CREW_MCP_SERVERS ${path} cannot be read as JSON: ${(e as Error).message}`);
  }
  const parsed = mcpConfigSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`CREW_MCP_SERVERS ${path}: ${i?.path.join('.')}: ${i?.message}`);
  }
  return parsed.data;
}

export const TRUNCATED_MARKER = ' […truncated]';

/** A tool description no longer than `max` characters; a cut one ends with the marker. */
export function clipDescription(text: string, max = MAX_TOOL_DESCRIPTION_CHARS): string {
  const flat = text.trim();
  if (flat.length <= max) return flat;
  return `${flat.slice(0, max - TRUNCATED_MARKER.length).trimEnd()}${TRUNCATED_MARKER}`;
}

/** Text in a tool's input schema (property descriptions, titles) reaches the model too. */
const MAX_SCHEMA_TEXT_CHARS = 120;
/** A tool whose input schema is bigger than this is not registered. */
export const MAX_TOOL_SCHEMA_BYTES = 8 * 1024;

/**
 * The input schema with every `description` and `title` clipped: the description cap must not be
 * bypassed through the schema, which operators do not see but the model reads.
 */
export function clipSchemaText(schema: unknown, depth = 0): unknown {
  if (depth > 32 || schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((v) => clipSchemaText(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] =
      (k === 'description' || k === 'title') && typeof v === 'string'
        ? clipDescription(v, MAX_SCHEMA_TEXT_CHARS)
        : clipSchemaText(v, depth + 1);
  }
  return out;
}

export class McpTools {
  readonly #clients: Client[] = [];

  /** Connects every server and registers its allowed tools; a server that fails is logged and skipped. */
  async connect(cfg: McpConfig, registry: ToolRegistry, log: Logger): Promise<string[]> {
    const registered: string[] = [];
    for (const server of cfg.servers) {
      const client = new Client({ name: 'roomcrew-reasoner', version: '0.1.0' });
      try {
        await client.connect(
          new StdioClientTransport({
            command: server.command,
            args: server.args,
            env: { PATH: process.env.PATH ?? '', ...server.env },
            stderr: 'pipe',
          }),
        );
        const { tools } = await client.listTools(undefined, { timeout: server.timeoutMs });
        this.#clients.push(client);
        for (const t of tools) {
          if (!server.allow.includes(t.name)) continue;
          const impact = server.toolImpact[t.name] ?? server.impact;
          const jsonSchema = clipSchemaText(t.inputSchema) as Record<string, unknown>;
          if (JSON.stringify(jsonSchema).length > MAX_TOOL_SCHEMA_BYTES) {
            log.warn(
              { server: server.name, tool: t.name },
              `MCP tool not registered: its input schema exceeds ${MAX_TOOL_SCHEMA_BYTES} bytes`,
            );
            continue;
          }
          const description = clipDescription(t.description || `${t.name} from MCP server ${server.name}`);
          if (description.length < (t.description?.trim().length ?? 0))
            log.warn(
              { server: server.name, tool: t.name, chars: t.description?.length },
              'MCP tool description truncated',
            );
          const spec: ToolSpec = {
            name: `${server.name}__${t.name}`,
            description,
            impact,
            roles: [AGENT_NAMES.reasoner],
            mcp: { server: server.name },
            // A low-impact external tool is a side effect like a note: same per-source budget.
            limitPerSource: impact === 'low',
            jsonSchema,
            validate: (args) =>
              args && typeof args === 'object' && !Array.isArray(args)
                ? { ok: true, args: args as Record<string, unknown> }
                : { ok: false, error: 'arguments must be an object' },
            run: async (args, host) => {
              const res = await client.callTool({ name: t.name, arguments: args }, undefined, {
                timeout: server.timeoutMs,
                signal: host.signal,
              });
              const text = Array.isArray(res.content)
                ? res.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n')
                : '';
              if (res.isError) throw new Error(`${t.name} failed: ${text.slice(0, 300)}`);
              return { text: text.slice(0, 2000) };
            },
          };
          registry.register(spec);
          registered.push(spec.name);
        }
        const missing = server.allow.filter((a) => !tools.some((t) => t.name === a));
        if (missing.length)
          log.warn({ server: server.name, missing }, 'allowed MCP tools the server does not offer');
      } catch (e) {
        log.error(
          { err: e, server: server.name },
          `MCP server ${server.name} could not be used; its tools are unavailable`,
        );
        await client.close().catch(() => undefined);
      }
    }
    return registered;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close().catch(() => undefined)));
  }
}
