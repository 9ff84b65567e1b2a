import { describe, expect, it } from 'vitest';
import {
  ChangeDetector,
  changeScore,
  type LumaSource,
  lumaThumbnail,
  THUMB_HEIGHT,
  THUMB_WIDTH,
} from '../src/luma.js';

const chromaSize = (w: number, h: number) => ((w + 1) >> 1) * ((h + 1) >> 1);

/** An I420 frame whose Y plane is `luma(x, y)` and whose chroma planes are `chroma`. */
function i420(w: number, h: number, luma: (x: number, y: number) => number, chroma = 128): LumaSource {
  const data = new Uint8Array(w * h + 2 * chromaSize(w, h)).fill(chroma);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = luma(x, y);
  return { width: w, height: h, data };
}

/** Deterministic pseudo-random bytes (LCG). */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Straightforward reference: same box bounds, computed pixel by pixel. */
function naiveThumbnail(f: LumaSource, w = THUMB_WIDTH, h = THUMB_HEIGHT): Uint8Array {
  const span = (src: number, dst: number, i: number): [number, number] => {
    if (src >= dst) return [Math.floor((i * src) / dst), Math.floor(((i + 1) * src) / dst)];
    const s = Math.min(src - 1, Math.floor(((2 * i + 1) * src) / (2 * dst)));
    return [s, s + 1];
  };
  const out = new Uint8Array(w * h);
  for (let ty = 0; ty < h; ty++) {
    const [ya, yb] = span(f.height, h, ty);
    for (let tx = 0; tx < w; tx++) {
      const [xa, xb] = span(f.width, w, tx);
      let s = 0;
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) s += f.data[y * f.width + x]!;
      const n = (xb - xa) * (yb - ya);
      out[ty * w + tx] = Math.floor((s + (n >> 1)) / n);
    }
  }
  return out;
}

describe('lumaThumbnail', () => {
  it('produces a THUMB_WIDTH x THUMB_HEIGHT box average of the Y plane', () => {
    const f = i420(1280, 720, (x) => (x < 640 ? 10 : 200));
    const t = lumaThumbnail(f);
    expect(t.length).toBe(THUMB_WIDTH * THUMB_HEIGHT);
    expect(t[0]).toBe(10);
    expect(t[THUMB_WIDTH - 1]).toBe(200);
    expect(t[31]).toBe(10);
    expect(t[32]).toBe(200);
  });

  it('averages whole boxes (a box half 0 / half 255 rounds to 128)', () => {
    // 1280 / 64 = 20 px per box: columns 0..9 black, 10..19 white in every box.
    const t = lumaThumbnail(i420(1280, 720, (x) => (x % 20 < 10 ? 0 : 255)));
    expect(new Set(t)).toEqual(new Set([128]));
  });

  it('matches a naive per-box average on noise, including odd sizes and unaligned views', () => {
    const sizes: [number, number][] = [
      [1280, 720],
      [1920, 1080],
      [641, 361],
      [1283, 723],
      [127, 37],
      [65, 1000],
      [3, 3],
      [1, 1],
      [1, 500],
      [700, 1],
      [63, 35],
    ];
    for (const [w, h] of sizes) {
      for (const offset of [0, 1, 2, 3]) {
        const buf = noise(offset + w * h + 2 * chromaSize(w, h), w * 31 + h + offset);
        const f = { width: w, height: h, data: buf.subarray(offset) };
        expect(lumaThumbnail(f), `${w}x${h} @+${offset}`).toEqual(naiveThumbnail(f));
      }
    }
  });

  it('matches the naive average for other thumbnail sizes', () => {
    const f = { width: 641, height: 361, data: noise(641 * 361, 7) };
    expect(lumaThumbnail(f, undefined, 17, 9)).toEqual(naiveThumbnail(f, 17, 9));
    expect(lumaThumbnail(f, undefined, 1, 1)).toEqual(naiveThumbnail(f, 1, 1));
    expect(lumaThumbnail(f, undefined, 800, 50)).toEqual(naiveThumbnail(f, 800, 50));
  });

  it('upscales tiny frames by nearest sample', () => {
    const one = lumaThumbnail(i420(1, 1, () => 77));
    expect(new Set(one)).toEqual(new Set([77]));
    // 3x3 with distinct values: every thumbnail pixel is one of the 9 samples, all 9 appear,
    // and the left third of the thumbnail comes from column 0.
    const f = i420(3, 3, (x, y) => 10 + y * 3 + x);
    const t = lumaThumbnail(f);
    expect(new Set(t)).toEqual(new Set([10, 11, 12, 13, 14, 15, 16, 17, 18]));
    expect(t[0]).toBe(10);
    expect(t[THUMB_WIDTH - 1]).toBe(12);
    expect(t[(THUMB_HEIGHT - 1) * THUMB_WIDTH]).toBe(16);
    expect(t[THUMB_WIDTH * THUMB_HEIGHT - 1]).toBe(18);
  });

  it('writes into `out` and returns it', () => {
    const out = new Uint8Array(THUMB_WIDTH * THUMB_HEIGHT);
    const r = lumaThumbnail(
      i420(640, 360, () => 42),
      out,
    );
    expect(r).toBe(out);
    expect(new Set(out)).toEqual(new Set([42]));
  });

  it('ignores the chroma planes', () => {
    const a = i420(641, 361, (x, y) => (x * 3 + y) & 255, 0);
    const b = i420(641, 361, (x, y) => (x * 3 + y) & 255, 255);
    expect(lumaThumbnail(a)).toEqual(lumaThumbnail(b));
  });

  it('refuses data shorter than width*height with a RangeError', () => {
    const f = { width: 640, height: 360, data: new Uint8Array(640 * 360 - 1) };
    expect(() => lumaThumbnail(f)).toThrow(RangeError);
    expect(() => lumaThumbnail(f)).toThrow(/too short.*640x360.*230400/);
    // Exactly width*height (Y plane only) is enough.
    expect(() => lumaThumbnail({ ...f, data: new Uint8Array(640 * 360) })).not.toThrow();
  });

  it('refuses non-positive or non-integer sizes with a RangeError', () => {
    const data = new Uint8Array(100);
    for (const [width, height] of [
      [0, 10],
      [10, 0],
      [-1, 10],
      [2.5, 4],
      [10, Number.NaN],
      [Number.POSITIVE_INFINITY, 1],
    ] as [number, number][]) {
      expect(() => lumaThumbnail({ width, height, data }), `${width}x${height}`).toThrow(RangeError);
    }
    const f = { width: 10, height: 10, data };
    expect(() => lumaThumbnail(f, undefined, 0, 36)).toThrow(RangeError);
    expect(() => lumaThumbnail(f, undefined, 64, 1.5)).toThrow(RangeError);
    expect(() => lumaThumbnail(f, new Uint8Array(10))).toThrow(/output buffer/);
  });
});

describe('changeScore', () => {
  const W = 1280;
  const H = 720;
  const score = (a: LumaSource, b: LumaSource) => changeScore(lumaThumbnail(a), lumaThumbnail(b));

  it('is 0 for identical frames', () => {
    const data = noise(W * H * 1.5, 1);
    expect(score({ width: W, height: H, data }, { width: W, height: H, data: data.slice() })).toBe(0);
  });

  it('is 0.2 for a uniform brightness shift of 51', () => {
    const a = i420(W, H, (x, y) => 60 + ((x + y) % 100));
    const b = i420(W, H, (x, y) => 60 + ((x + y) % 100) + 51);
    expect(score(a, b)).toBeCloseTo(0.2, 2);
    expect(score(b, a)).toBeCloseTo(0.2, 2);
  });

  it('is 1 for black vs white and symmetric', () => {
    expect(changeScore(new Uint8Array(8), new Uint8Array(8).fill(255))).toBe(1);
    const a = noise(100, 3);
    const b = noise(100, 4);
    expect(changeScore(a, b)).toBe(changeScore(b, a));
    expect(changeScore(new Uint8Array(0), new Uint8Array(0))).toBe(0);
  });

  it('refuses thumbnails of different lengths', () => {
    expect(() => changeScore(new Uint8Array(4), new Uint8Array(5))).toThrow(RangeError);
  });

  it('grows in proportion to the area of a small moving object', () => {
    const blank = i420(W, H, () => 0);
    const square = (side: number, ox: number, oy: number) =>
      i420(W, H, (x, y) => (x >= ox && x < ox + side && y >= oy && y < oy + side ? 255 : 0));
    const frac = (side: number) => (side * side) / (W * H);
    // Against a blank frame, the score is the object's area fraction (box averages keep its mass).
    for (const side of [40, 80, 120]) {
      expect(score(blank, square(side, 100, 100))).toBeCloseTo(frac(side), 3);
      // Not aligned to the 20x20 boxes: edges are partial boxes, the total still matches.
      expect(score(blank, square(side, 333, 217))).toBeCloseTo(frac(side), 3);
    }
    // Doubling the side quadruples the score.
    const s40 = score(blank, square(40, 100, 100));
    const s80 = score(blank, square(80, 100, 100));
    expect(s80 / s40).toBeCloseTo(4, 1);
    // Moving the object to a disjoint place changes both places: twice its area.
    expect(score(square(80, 100, 100), square(80, 700, 400))).toBeCloseTo(2 * frac(80), 3);
    // A small shift changes less than a jump to a disjoint place.
    const shifted = score(square(80, 100, 100), square(80, 120, 100));
    expect(shifted).toBeGreaterThan(0);
    expect(shifted).toBeLessThan(2 * frac(80));
  });

  it('is 0 when only the U/V planes change', () => {
    const a = i420(641, 361, (x, y) => (x ^ y) & 255, 16);
    const b = i420(641, 361, (x, y) => (x ^ y) & 255, 240);
    expect(score(a, b)).toBe(0);
  });
});

describe('ChangeDetector', () => {
  const W = 640;
  const H = 360;
  const flat = (v: number) => i420(W, H, () => v);

  it('scores the first frame 1, then against the accepted reference', () => {
    const d = new ChangeDetector();
    expect(d.score(flat(100))).toBe(1);
    d.accept();
    expect(d.score(flat(100))).toBe(0);
    expect(d.score(flat(151))).toBeCloseTo(0.2, 5);
  });

  it('keeps the reference until accept() and then uses the frame last scored', () => {
    const d = new ChangeDetector();
    d.score(flat(0));
    d.accept();
    expect(d.score(flat(51))).toBeCloseTo(0.2, 5);
    expect(d.score(flat(102))).toBeCloseTo(0.4, 5); // still against 0: nothing accepted
    d.accept(); // reference is now 102
    expect(d.score(flat(102))).toBe(0);
    expect(d.score(flat(0))).toBeCloseTo(0.4, 5);
    expect(d.score(flat(51))).toBeCloseTo(0.2, 5);
    d.accept(); // reference is now 51
    d.accept(); // nothing scored since: no-op
    expect(d.score(flat(51))).toBe(0);
  });

  it('accept() before any score leaves no reference', () => {
    const d = new ChangeDetector();
    d.accept();
    expect(d.score(flat(10))).toBe(1);
  });

  it('reset() forgets the reference', () => {
    const d = new ChangeDetector();
    d.score(flat(10));
    d.accept();
    expect(d.score(flat(10))).toBe(0);
    d.reset();
    expect(d.score(flat(10))).toBe(1);
    d.accept();
    expect(d.score(flat(10))).toBe(0);
  });

  it('scores frames of another size or a rotated orientation', () => {
    const d = new ChangeDetector();
    d.score(i420(1280, 720, () => 80));
    d.accept();
    expect(d.score(i420(720, 1280, () => 80))).toBe(0);
    expect(d.score(i420(721, 1281, () => 131))).toBeCloseTo(0.2, 5);
    const rotatedContent = d.score(i420(720, 1280, (x) => (x < 360 ? 0 : 255)));
    expect(rotatedContent).toBeGreaterThan(0);
    expect(rotatedContent).toBeLessThanOrEqual(1);
    expect(d.score(i420(1, 1, () => 80))).toBe(0);
  });

  it('honours a custom thumbnail size and matches changeScore of lumaThumbnail', () => {
    const d = new ChangeDetector({ width: 16, height: 9 });
    const a = { width: 641, height: 361, data: noise(641 * 361, 11) };
    const b = { width: 641, height: 361, data: noise(641 * 361, 12) };
    d.score(a);
    d.accept();
    expect(d.score(b)).toBe(
      changeScore(lumaThumbnail(a, undefined, 16, 9), lumaThumbnail(b, undefined, 16, 9)),
    );
    expect(d.reference()).toEqual(lumaThumbnail(a, undefined, 16, 9));
    expect(() => new ChangeDetector({ width: 0 })).toThrow(RangeError);
  });

  it('validates frames like lumaThumbnail', () => {
    const d = new ChangeDetector();
    expect(() => d.score({ width: 10, height: 10, data: new Uint8Array(99) })).toThrow(RangeError);
    expect(() => d.score({ width: 0, height: 10, data: new Uint8Array(99) })).toThrow(RangeError);
  });
});

describe('peak metric for screens', () => {
  it('catches a small sharp change that the mean barely sees', () => {
    const w = 640;
    const h = 360;
    const a = new Uint8Array(w * h).fill(255);
    const b = a.slice();
    for (let y = 100; y < 130; y++) b.fill(0, y * w + 100, y * w + 160); // a word-sized dark patch
    const mean = new ChangeDetector();
    const peak = new ChangeDetector({ metric: 'peak' });
    for (const d of [mean, peak]) {
      d.score({ width: w, height: h, data: a });
      d.accept();
    }
    const m = mean.score({ width: w, height: h, data: b });
    const p = peak.score({ width: w, height: h, data: b });
    expect(m).toBeLessThan(0.01);
    expect(p).toBeGreaterThan(0.3);
    expect(peak.score({ width: w, height: h, data: a })).toBe(0);
  });
});
