import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NAMES, createLogger } from '@roomcrew/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { McpTools, mcpConfigSchema, readMcpConfig } from '../src/mcp-tools.js';
import { ToolRegistry } from '../src/tool-registry.js';

const server = fileURLToPath(new URL('./fixtures/notes-mcp-server.mjs', import.meta.url));
const log = createLogger({ agent: 'test', room: 'r', job: 'j' });
const tools = new McpTools();
afterAll(() => tools.close());

const host = {
  chat: async () => undefined,
  insight: async () => undefined,
  actionItem: async () => undefined,
  signal: new AbortController().signal,
};

describe('MCP tools', () => {
  it('registers only allowed tools of a real MCP server, with their impact, and calls them', async () => {
    const registry = new ToolRegistry();
    const cfg = mcpConfigSchema.parse({
      servers: [
        {
          name: 'notes',
          command: process.execPath,
          args: [server],
          allow: ['add_note', 'list_notes', 'fail', 'not_offered'],
          impact: 'low',
          toolImpact: { add_note: 'high' },
        },
        { name: 'broken', command: '/nonexistent/mcp-server', allow: ['x'] },
      ],
    });
    const names = await tools.connect(cfg, registry, log);
    expect(names.sort()).toEqual(['notes__add_note', 'notes__fail', 'notes__list_notes']);
    expect(registry.get('notes__delete_all')).toBeUndefined();
    const role = AGENT_NAMES.reasoner;
    expect(registry.plan(role, 'notes__add_note', { text: 'hi' }).kind).toBe('escalate');
    expect(registry.plan(role, 'notes__list_notes', {}).kind).toBe('run');
    await registry.get('notes__add_note')?.run({ text: 'remember the milk' }, host);
    expect(await registry.get('notes__list_notes')?.run({}, host)).toEqual({ text: 'remember the milk' });
    await expect(registry.get('notes__fail')?.run({}, host)).rejects.toThrow(/the notebook is locked/);
  });

  it('reports a bad configuration file clearly', () => {
    const p = join(mkdtempSync(join(tmpdir(), 'mcp-')), 'mcp.json');
    writeFileSync(p, JSON.stringify({ servers: [{ name: 'bad name!', command: 'x', allow: ['a'] }] }));
    expect(() => readMcpConfig(p)).toThrow(/servers\.0\.name: letters, digits/);
    writeFileSync(p, '{');
    expect(() => readMcpConfig(p)).toThrow(/cannot be read as JSON/);
  });
});
