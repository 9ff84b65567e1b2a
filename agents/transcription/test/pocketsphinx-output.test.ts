import { describe, expect, it } from 'vitest';
import { PocketsphinxOutputParser } from '../src/pocketsphinx-output.js';

function feed(lines: string[]) {
  const p = new PocketsphinxOutputParser();
  return lines.map((l) => p.push(l)).filter((u) => u !== undefined);
}

describe('pocketsphinx -time yes output', () => {
  it('turns a hypothesis and its word timings into one utterance with stream times and confidence', () => {
    const [u, ...rest] = feed([
      'hello world',
      '<s> 6.180 6.290 0.999700',
      'hello(2) 6.300 6.580 0.800000',
      '<sil> 6.590 6.700 1.000000',
      'world 6.710 7.040 0.600000',
      '[NOISE] 7.050 7.200 0.900000',
      '</s> 7.490 7.930 1.000000',
    ]);
    expect(rest).toEqual([]);
    expect(u?.text).toBe('hello world');
    expect(u?.startTime).toBeCloseTo(6.18);
    expect(u?.endTime).toBeCloseTo(7.04); // the last real word, not the silence after it
    expect(u?.confidence).toBeCloseTo(0.7); // mean over words only
  });

  it('reports an utterance without words as ended, with empty text', () => {
    const [u] = feed([
      '',
      '<s> 1.000 1.100 1.000000',
      '[NOISE] 1.100 1.500 0.900000',
      '</s> 1.500 1.900 1.000000',
    ]);
    expect(u).toMatchObject({ text: '', confidence: 0 });
  });

  it('handles consecutive utterances independently', () => {
    const us = feed([
      'one',
      '<s> 0.000 0.100 1.000000',
      'one 0.100 0.400 0.900000',
      '</s> 0.400 0.800 1.000000',
      'two three',
      '<s> 2.000 2.100 1.000000',
      'two 2.100 2.400 0.500000',
      'three 2.400 2.900 0.700000',
      '</s> 2.900 3.300 1.000000',
    ]);
    expect(us.map((u) => u.text)).toEqual(['one', 'two three']);
    expect(us[1]?.startTime).toBeCloseTo(2.0);
  });
});
