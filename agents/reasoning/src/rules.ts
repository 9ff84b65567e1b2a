/**
 * The offline brain's triggers (issue 5): regular expressions on transcript, chat and screen
 * text that produce tool calls and insights deterministically. Rules only *ask* for tools; the
 * registry decides (so a rule matching "send the webhook" still needs an operator's approval).
 * A JSON file (CREW_RULES_FILE) can replace the built-in rules; it is validated at startup.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RoomInput, Thought } from './room-input.js';

const template = z.string().max(2000);
export const ruleSchema = z.object({
  id: z.string().min(1).max(64),
  on: z.array(z.enum(['transcript', 'chat', 'vision'])).min(1),
  /** Case-insensitive regular expression; named groups become `$name` in templates. */
  pattern: z.string().min(1).max(2000),
  produce: z.union([
    z.object({ tool: z.string().min(1), args: z.record(z.string(), template), reason: template.optional() }),
    z.object({ insight: z.enum(['note', 'alert', 'decision']), text: template }),
  ]),
});
export type Rule = z.infer<typeof ruleSchema>;

const TASK_VERBS =
  'send|write|prepare|review|call|email|fix|update|check|schedule|share|book|draft|finish|follow up|look into|create|set up|organize|test|deploy|ship|order|plan|present|invite';
const DUE =
  'monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|next week|next month|end of (?:the )?(?:day|week|month)';

export const BUILTIN_RULES: Rule[] = [
  {
    id: 'action-item-promise',
    on: ['transcript', 'chat'],
    pattern: `(?:^|\\b)(?<owner>[a-z]+)(?: will| shall| is going to| are going to| am going to|'ll|'m going to|'re going to) (?<task>(?:${TASK_VERBS})\\b.*?)(?: (?:by|on|before) (?<due>${DUE}))?[.!]?$`,
    produce: {
      tool: 'create_action_item',
      args: { owner: '$owner', text: '$task', due: '$due' },
      reason: '$speaker committed to it',
    },
  },
  {
    id: 'action-item-let-me',
    on: ['transcript', 'chat'],
    pattern: `\\blet me (?<task>(?:${TASK_VERBS})\\b.*?)(?: (?:by|on|before) (?<due>${DUE}))?[.!]?$`,
    produce: {
      tool: 'create_action_item',
      args: { owner: '$speaker', text: '$task', due: '$due' },
      reason: '$speaker took it on',
    },
  },
  {
    id: 'post-a-note',
    on: ['chat'],
    pattern: '^(?:please )?(?:post|add|take) a note[:,]? (?<note>.{3,})$',
    produce: { tool: 'post_note', args: { text: '$speaker: $note' }, reason: '$speaker asked for a note' },
  },
  {
    id: 'action-item-explicit',
    on: ['transcript', 'chat'],
    pattern: '\\baction item(?: for (?<owner>[a-z]+))?[:,]? (?<task>.{3,})$',
    produce: {
      tool: 'create_action_item',
      args: { owner: '$owner', text: '$task' },
      reason: 'named as an action item',
    },
  },
  {
    id: 'decision',
    on: ['transcript', 'chat'],
    pattern: "\\b(?:we|i)(?: have|'ve)? (?:decided|agreed) (?:to |that |on )?(?<what>.{3,}?)[.!]?$",
    produce: { insight: 'decision', text: 'Decision: $what' },
  },
  {
    id: 'alert-urgent',
    on: ['transcript', 'chat'],
    pattern: '\\b(?<what>urgent|emergency|outage|security incident|data breach)\\b',
    produce: { insight: 'alert', text: '$speaker raised something $what: "$text"' },
  },
  {
    id: 'send-to-team-chat',
    on: ['transcript', 'chat'],
    pattern: '\\bsend\\b.*\\b(?:slack|webhook|team chat)\\b',
    produce: { tool: 'send_webhook', args: { text: '$summary' }, reason: '$speaker asked: "$text"' },
  },
  {
    id: 'ask-for-a-human',
    on: ['transcript', 'chat'],
    pattern: '\\b(?:need|want|get|talk to)(?: me)? (?:a |an )?(?:human|operator|real person)\\b',
    produce: { tool: 'escalate_to_human', args: { question: '$speaker asks for a human: "$text"' } },
  },
  {
    id: 'screen-sensitive',
    on: ['vision'],
    pattern: '\\b(?<what>confidential|password|secret|internal only)\\b',
    produce: { insight: 'alert', text: 'The screen shared by $speaker shows $what content.' },
  },
];

/** Owner words that are not people ("it will", "this will"). */
const NOT_OWNERS = new Set([
  'it',
  'this',
  'that',
  'there',
  'they',
  'which',
  'who',
  'what',
  'he',
  'she',
  'you',
  'one',
]);

export interface CompiledRule {
  rule: Rule;
  re: RegExp;
}

export function compileRules(rules: Rule[]): CompiledRule[] {
  return rules.map((rule) => {
    try {
      return { rule, re: new RegExp(rule.pattern, 'i') };
    } catch (e) {
      throw new Error(
        `rule ${rule.id}: the pattern is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  });
}

/** Reads CREW_RULES_FILE; every problem is reported with the file and the rule. */
export function loadRules(path: string | undefined): CompiledRule[] {
  if (!path) return compileRules(BUILTIN_RULES);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`CREW_RULES_FILE ${path} cannot be read as JSON: ${(e as Error).message}`);
  }
  const parsed = z.array(ruleSchema).safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`CREW_RULES_FILE ${path}: ${i?.path.join('.')}: ${i?.message}`);
  }
  return compileRules(parsed.data);
}

/** Everything the rules produce for one input, in rule order. */
export function applyRules(rules: CompiledRule[], input: RoomInput, summary: () => string): Thought[] {
  const out: Thought[] = [];
  const text = input.text.trim();
  for (const { rule, re } of rules) {
    if (!rule.on.includes(input.source)) continue;
    const m = re.exec(text);
    if (!m) continue;
    const groups: Record<string, string> = { ...(m.groups ?? {}) };
    m.slice(1).forEach((g, i) => {
      groups[String(i + 1)] = g ?? '';
    });
    const owner = groups.owner?.toLowerCase();
    if (owner !== undefined) {
      if (NOT_OWNERS.has(owner)) continue;
      // "I will" / "we will" / an unnamed action item belong to whoever said it.
      if (owner === 'i' || owner === 'we') groups.owner = input.who.name || input.who.identity;
    } else if ('owner' in groups || /\$owner\b/.test(JSON.stringify(rule.produce))) {
      groups.owner = input.who.name || input.who.identity;
    }
    const fill = (t: string) =>
      t.replace(/\$([a-z0-9_]+)/gi, (_, k: string) => {
        if (k === 'speaker') return input.who.name || input.who.identity;
        if (k === 'text') return text;
        if (k === 'summary') return summary();
        return groups[k] ?? '';
      });
    if ('tool' in rule.produce) {
      const args: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rule.produce.args)) {
        const value = fill(v).trim();
        if (value) args[k] = value; // an optional group that did not match leaves the argument out
      }
      out.push({
        kind: 'tool',
        tool: rule.produce.tool,
        args,
        reason: fill(rule.produce.reason ?? `rule ${rule.id}`),
      });
    } else {
      out.push({ kind: 'insight', insight: rule.produce.insight, text: fill(rule.produce.text) });
    }
  }
  return out;
}
