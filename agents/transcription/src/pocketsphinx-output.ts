/**
 * Parses `pocketsphinx_continuous -time yes` output: per utterance, one hypothesis line, then one
 * line per word `<word> <start s> <end s> <posterior>` from `<s>` to `</s>`, times counted from
 * the start of the stream.
 */
export interface Utterance {
  text: string;
  startTime: number;
  endTime: number;
  confidence: number;
}

const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/;
/** Silence and noise tokens are not words. */
const NON_WORD = /^(<s>|<\/s>|<sil>|\[[A-Z]+\]|\+\+.*\+\+)$/;

export class PocketsphinxOutputParser {
  #hypothesis: string | undefined;
  #words: { start: number; end: number; p: number }[] = [];
  #start: number | undefined;

  /** Feeds one output line; returns an utterance when one completes. */
  push(line: string): Utterance | undefined {
    const trimmed = line.trim();
    const m = WORD_LINE.exec(trimmed);
    if (!m) {
      // A new hypothesis line starts an utterance.
      this.#hypothesis = trimmed;
      this.#words = [];
      this.#start = undefined;
      return undefined;
    }
    const [, token, start, end, p] = m as unknown as [string, string, string, string, string];
    if (token === '<s>') {
      this.#start = Number(start);
      return undefined;
    }
    if (token === '</s>') {
      const text = this.#hypothesis ?? '';
      const words = this.#words;
      this.#hypothesis = undefined;
      this.#words = [];
      // An utterance with no words still ends: report it, so nobody waits for a final in vain.
      if (words.length === 0)
        return { text: '', startTime: this.#start ?? 0, endTime: Number(start), confidence: 0 };
      const confidence = words.reduce((s, w) => s + w.p, 0) / words.length;
      return {
        text,
        startTime: this.#start ?? words[0]?.start ?? 0,
        endTime: words[words.length - 1]?.end ?? Number(start),
        confidence: Math.min(1, Math.max(0, confidence)),
      };
    }
    if (!NON_WORD.test(token)) this.#words.push({ start: Number(start), end: Number(end), p: Number(p) });
    return undefined;
  }
}
