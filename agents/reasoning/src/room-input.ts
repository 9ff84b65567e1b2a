/** What the reasoner takes in from the room, and what its brains produce. */

/** One thing that happened in the room. Its text is untrusted: people said or showed it. */
export interface RoomInput {
  source: 'transcript' | 'chat' | 'vision';
  who: { identity: string; name: string };
  text: string;
  ts: number;
  /** The crew event or chat stream it came from. */
  ref: string;
  /** True when the input names the reasoner (it was asked something). */
  addressed: boolean;
  /**
   * What kind of content it was, for provenance: a vision input is screen text (`ocr`), a model's
   * description of a frame (`model`) or a local analysis (`vision`). Derived from `source` if absent.
   */
  kind?: 'speech' | 'chat' | 'ocr' | 'vision' | 'model';
}

export type InsightKind = 'answer' | 'note' | 'alert' | 'decision' | 'summary';

export type Thought =
  /** A tool call; the registry decides whether it runs, escalates or is refused. */
  | {
      kind: 'tool';
      tool: string;
      args: Record<string, unknown>;
      reason: string;
      /** What the brain would advise an operator; never heeded for untrusted content. */
      recommend?: 'approve' | 'reject';
    }
  | { kind: 'insight'; insight: InsightKind; text: string }
  /** An answer to someone who addressed the reasoner: chat, and voice when it may speak. */
  | { kind: 'say'; text: string };

/** Whether text addresses the reasoner by one of its names (as a word, anywhere). */
export function addresses(text: string, names: readonly string[]): boolean {
  const words = text.toLowerCase().split(/[^a-z0-9]+/);
  return names.some((n) => words.includes(n));
}
