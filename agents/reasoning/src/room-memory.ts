/**
 * The reasoner's memory of the room: a rolling context bounded in tokens (recent inputs verbatim,
 * older ones folded into a short extractive summary), plus what the crew produced (action items,
 * alerts, decisions) for answers and the end-of-room summary. Nothing in it grows without bound.
 */
import type { RoomInput } from './room-input.js';

/** A rough token count (~4 characters per token for English), enough to bound a prompt. */
export const tokensOf = (text: string) => Math.ceil(text.length / 4);

export interface ActionItem {
  owner: string;
  text: string;
  due?: string;
}

const MAX_KEPT = 200;

export class RoomMemory {
  readonly #recent: RoomInput[] = [];
  #recentTokens = 0;
  /** One line per input folded out of the verbatim window, oldest dropped first. */
  readonly #older: string[] = [];
  #olderTokens = 0;
  readonly actionItems: ActionItem[] = [];
  readonly alerts: string[] = [];
  readonly decisions: string[] = [];
  readonly people = new Map<string, string>();
  lastScreen?: { who: string; text: string; ts: number };
  inputs = 0;

  constructor(private readonly maxTokens: number) {}

  add(input: RoomInput): void {
    this.inputs++;
    if (input.source !== 'vision') this.people.set(input.who.identity, input.who.name || input.who.identity);
    else this.lastScreen = { who: input.who.name || input.who.identity, text: input.text, ts: input.ts };
    this.#recent.push(input);
    this.#recentTokens += tokensOf(input.text);
    // Recent inputs get three quarters of the budget; the summary the rest.
    while (this.#recentTokens > this.maxTokens * 0.75 && this.#recent.length > 1) {
      const old = this.#recent.shift() as RoomInput;
      this.#recentTokens -= tokensOf(old.text);
      this.#fold(old);
    }
  }

  #fold(input: RoomInput): void {
    const words = input.text.split(/\s+/).filter(Boolean);
    const gist = words.slice(0, 12).join(' ') + (words.length > 12 ? ' …' : '');
    const line = `${input.who.name || input.who.identity} (${input.source}): ${gist}`;
    this.#older.push(line);
    this.#olderTokens += tokensOf(line);
    while (this.#olderTokens > this.maxTokens * 0.25 && this.#older.length > 0) {
      this.#olderTokens -= tokensOf(this.#older.shift() as string);
    }
  }

  /** The older part, summarized, and the recent part verbatim. */
  window(): { older: string[]; recent: RoomInput[] } {
    return { older: [...this.#older], recent: [...this.#recent] };
  }

  get tokens(): number {
    return this.#recentTokens + this.#olderTokens;
  }

  addActionItem(item: ActionItem): boolean {
    const key = `${item.owner.toLowerCase()}|${item.text.toLowerCase()}`;
    if (this.actionItems.some((a) => `${a.owner.toLowerCase()}|${a.text.toLowerCase()}` === key))
      return false;
    this.actionItems.push(item);
    if (this.actionItems.length > MAX_KEPT) this.actionItems.shift();
    return true;
  }

  note(list: 'alerts' | 'decisions', text: string): void {
    this[list].push(text);
    if (this[list].length > MAX_KEPT) this[list].shift();
  }

  /** A short recap of the recent conversation (for a webhook or an answer). */
  recap(maxChars = 600): string {
    const lines = this.#recent
      .filter((i) => i.source !== 'vision')
      .slice(-8)
      .map((i) => `${i.who.name || i.who.identity}: ${i.text}`);
    const items = this.actionItems.map((a) => `- ${a.owner}: ${a.text}${a.due ? ` (due ${a.due})` : ''}`);
    const text = [
      lines.length ? `Recent: ${lines.join(' / ')}` : 'Nothing said yet.',
      ...(items.length ? ['Action items:', ...items] : []),
    ].join('\n');
    return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
  }

  /** The end-of-room summary. */
  summary(room: string): string {
    const names = [...this.people.values()];
    return [
      `Summary of ${room}: ${names.length} ${names.length === 1 ? 'person' : 'people'} spoke or wrote${names.length ? ` (${names.join(', ')})` : ''}; ${this.inputs} things heard or seen.`,
      this.actionItems.length
        ? `Action items:\n${this.actionItems.map((a) => `- ${a.owner}: ${a.text}${a.due ? ` (due ${a.due})` : ''}`).join('\n')}`
        : 'No action items.',
      ...(this.decisions.length ? [`Decisions:\n${this.decisions.map((d) => `- ${d}`).join('\n')}`] : []),
      ...(this.alerts.length ? [`Alerts:\n${this.alerts.map((d) => `- ${d}`).join('\n')}`] : []),
    ].join('\n');
  }
}
