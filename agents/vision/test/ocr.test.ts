import { describe, expect, it } from 'vitest';
import { normalizeOcr, pgm } from '../src/ocr.js';

describe('OCR input and output', () => {
  it('feeds tesseract the luma plane as a binary PGM, without the chroma planes', () => {
    const frame = { width: 3, height: 2, data: new Uint8Array([1, 2, 3, 4, 5, 6, 128, 128, 128, 128]) };
    const out = pgm(frame);
    expect(out.subarray(0, 11).toString()).toBe('P5\n3 2\n255\n');
    expect([...out.subarray(11)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('normalizes whitespace and blank lines so equal text hashes equal', () => {
    expect(normalizeOcr('  Quarterly   revenue \n\n\n review\f\n')).toBe('Quarterly revenue\nreview');
  });
});
