import { AGENT_NAMES, MAX_TOOL_ARGS_BYTES } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtinTools, registerBuiltins } from '../src/builtin-tools.js';
import { type ToolHost, ToolRegistry, zodTool } from '../src/tool-registry.js';

const role = AGENT_NAMES.reasoner;

function registry() {
  const r = new ToolRegistry();
  registerBuiltins(r, { timeoutMs: 1000 });
  r.register(
    zodTool({
      name: 'vision_only',
      description: 'a tool only the vision agent may call',
      impact: 'low',
      roles: [AGENT_NAMES.vision],
      parameters: z.object({}),
      run: async () => 'ran',
    }),
  );
  return r;
}

describe('ToolRegistry', () => {
  it('runs low-impact tools and escalates high-impact ones', () => {
    const r = registry();
    expect(r.plan(role, 'create_action_item', { owner: 'Ann', text: 'write it' }).kind).toBe('run');
    expect(r.plan(role, 'send_webhook', { text: 'hi' }).kind).toBe('escalate');
    expect(r.plan(role, 'escalate_to_human', { question: 'help?' }).kind).toBe('escalate');
  });

  it('refuses unknown tools, roles without authority, bad and oversized arguments', () => {
    const r = registry();
    expect(r.plan(role, 'format_disk', {})).toMatchObject({ kind: 'refuse', code: 'unknown_tool' });
    expect(r.plan(role, 'vision_only', {})).toMatchObject({ kind: 'refuse', code: 'not_allowed' });
    expect(r.plan(role, 'send_webhook', { text: '' })).toMatchObject({ kind: 'refuse', code: 'bad_args' });
    expect(r.plan(role, 'send_webhook', { text: 'x'.repeat(MAX_TOOL_ARGS_BYTES + 1) })).toMatchObject({
      kind: 'refuse',
      code: 'too_large',
    });
    expect(r.plan(role, 'create_action_item', { owner: 'Ann' })).toMatchObject({
      kind: 'refuse',
      code: 'bad_args',
    });
  });

  it('shows a role only the tools it may call, with JSON schemas', () => {
    const names = registry()
      .allowed(role)
      .map((t) => t.name);
    expect(names).toEqual(['post_note', 'create_action_item', 'send_webhook', 'escalate_to_human']);
    const webhook = registry().get('send_webhook');
    expect(webhook?.jsonSchema).toMatchObject({ type: 'object', required: ['text'] });
  });

  it('refuses a tool registered twice', () => {
    const r = registry();
    expect(() => r.register(builtinTools({ timeoutMs: 1 })[0] as never)).toThrow(/registered twice/);
  });

  it('send_webhook says what to configure when no URL is set, and reports an unreachable hook', async () => {
    const host: ToolHost = {
      chat: async () => undefined,
      insight: async () => undefined,
      actionItem: async () => undefined,
      signal: new AbortController().signal,
    };
    const unset = builtinTools({ timeoutMs: 500 }).find((t) => t.name === 'send_webhook');
    await expect(unset?.run({ text: 'x' }, host)).rejects.toThrow(/CREW_WEBHOOK_URL is not set/);
    const down = builtinTools({ url: 'http://127.0.0.1:9/hook', timeoutMs: 500 }).find(
      (t) => t.name === 'send_webhook',
    );
    await expect(down?.run({ text: 'x' }, host)).rejects.toThrow(/unreachable/);
  });
});
