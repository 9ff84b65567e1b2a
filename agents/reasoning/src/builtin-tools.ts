/** The built-in tools (issue 5): notes, action items, a Slack-compatible webhook, and asking a human. */
import { AGENT_NAMES } from '@roomcrew/shared';
import { z } from 'zod';
import { type ToolRegistry, type ToolSpec, zodTool } from './tool-registry.js';

const crew = [AGENT_NAMES.reasoner] as const;
export const ESCALATE_TOOL = 'escalate_to_human';

export interface WebhookSettings {
  url?: string;
  timeoutMs: number;
}

export function builtinTools(webhook: WebhookSettings): ToolSpec[] {
  return [
    zodTool({
      name: 'post_note',
      description: 'Post a short note to the room chat for everyone.',
      impact: 'low',
      roles: crew,
      limitPerSource: true,
      parameters: z.object({ text: z.string().min(1).max(1000) }),
      run: async ({ text }, host) => {
        await host.insight('note', text);
        await host.chat(text);
        return { posted: true };
      },
    }),
    zodTool({
      name: 'create_action_item',
      description: 'Record an action item: who owns it, what it is, and when it is due if that was said.',
      impact: 'low',
      roles: crew,
      limitPerSource: true,
      parameters: z.object({
        owner: z.string().min(1).max(100),
        text: z.string().min(1).max(500),
        due: z.string().min(1).max(100).optional(),
      }),
      run: async (item, host) => {
        await host.actionItem(item);
        await host.chat(`Action item for ${item.owner}: ${item.text}${item.due ? ` (due ${item.due})` : ''}`);
        return { recorded: true };
      },
    }),
    zodTool({
      name: 'send_webhook',
      description:
        'Send a message to the team chat (Slack-compatible incoming webhook). Has consequences outside the call: an operator must approve it.',
      impact: 'high',
      roles: crew,
      parameters: z.object({
        text: z.string().min(1).max(3000),
        channel: z.string().min(1).max(80).optional(),
      }),
      run: async (args, host) => postWebhook(webhook, args, host.signal),
    }),
    zodTool({
      name: ESCALATE_TOOL,
      description: 'Ask a human operator in the room for help or a decision ("I need a human").',
      impact: 'high',
      roles: crew,
      parameters: z.object({ question: z.string().min(1).max(1000) }),
      // Runs once an operator approved: the operator's note is the answer, posted by the desk's decision.
      run: async ({ question }) => ({ acknowledged: question }),
    }),
  ];
}

export function registerBuiltins(registry: ToolRegistry, webhook: WebhookSettings): void {
  for (const tool of builtinTools(webhook)) registry.register(tool);
}

/** Slack incoming-webhook JSON: `{ text, channel? , username }`; a non-2xx answer is an error. */
async function postWebhook(
  cfg: WebhookSettings,
  args: { text: string; channel?: string },
  signal: AbortSignal,
): Promise<unknown> {
  if (!cfg.url)
    throw new Error('CREW_WEBHOOK_URL is not set: configure the incoming-webhook URL to send messages');
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  const res = await fetch(cfg.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      text: args.text,
      ...(args.channel ? { channel: args.channel } : {}),
      username: 'roomcrew',
    }),
    signal: AbortSignal.any([signal, timeout]),
  }).catch((e: Error) => {
    throw new Error(
      timeout.aborted
        ? `the webhook did not answer within ${cfg.timeoutMs} ms`
        : `the webhook is unreachable: ${e.message}`,
    );
  });
  const body = (await res.text()).slice(0, 200);
  if (!res.ok) throw new Error(`the webhook answered ${res.status}: ${body}`);
  return { status: res.status, body };
}
