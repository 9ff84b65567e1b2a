/** Word error rate: word-level edit distance over the reference length. */
export function normalizeWords(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/<\/?s>|\(\S+\)/g, ' ')
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export function wordEdits(ref: string[], hyp: string[]): number {
  const d = Array.from({ length: ref.length + 1 }, (_, i) => [i, ...Array(hyp.length).fill(0)] as number[]);
  for (let j = 1; j <= hyp.length; j++) d[0]![j] = j;
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= hyp.length; j++) {
      const sub = d[i - 1]![j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      d[i]![j] = Math.min(sub, d[i - 1]![j]! + 1, d[i]![j - 1]! + 1);
    }
  }
  return d[ref.length]![hyp.length]!;
}

export function corpusWer(pairs: { ref: string; hyp: string }[]): number {
  let edits = 0;
  let words = 0;
  for (const p of pairs) {
    const r = normalizeWords(p.ref);
    edits += wordEdits(r, normalizeWords(p.hyp));
    words += r.length;
  }
  return Math.round((edits / words) * 1000) / 1000;
}
