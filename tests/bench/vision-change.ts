/**
 * Vision change detector: time per `ChangeDetector.score()` (luma-plane box downscale to 64×36 +
 * mean absolute difference) on 1280×720 and 1920×1080 I420 frames with varying content, next to
 * the colour conversion it avoids: rtc-node's native I420 → RGBA `VideoFrame.convert()` (plus, as
 * a JS step the conversion path would still need, a grayscale pass over the RGBA pixels).
 *   node tests/dist/bench/vision-change.js
 */
import { fileURLToPath } from 'node:url';
import { dispose, VideoBufferType, VideoFrame } from '@livekit/rtc-node';
import { ChangeDetector, type LumaSource } from '@roomcrew/vision';
import { summarize } from './stats.js';

const SIZES: [number, number][] = [
  [1280, 720],
  [1920, 1080],
];
/** Distinct frames cycled through, so every score() sees content that differs from the last. */
const FRAMES = 8;
const BUDGET_MS = 1; // per 1280×720 frame

/**
 * I420 frames of a slowly panning gradient with a moving bright square and some noise; chroma
 * planes filled too (they must not matter, but the buffers have the real I420 layout and size).
 */
function makeFrames(w: number, h: number, n: number): LumaSource[] {
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const frames: LumaSource[] = [];
  let seed = 12345;
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(w * h + 2 * cw * ch);
    const sx = Math.floor(((k + 1) * w) / (n + 2));
    const sy = Math.floor(h / 3);
    const side = Math.floor(h / 6);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const inSquare = x >= sx && x < sx + side && y >= sy && y < sy + side;
        const base = inSquare ? 235 : ((x + y + k * 16) >> 3) & 127;
        data[y * w + x] = base + (seed >>> 29);
      }
    }
    for (let i = w * h; i < data.length; i++) data[i] = 128 + ((i + k) & 15);
    frames.push({ width: w, height: h, data });
  }
  return frames;
}

/** Times `fn(i)` `iterations` times after `warmup` untimed calls; returns per-call ms. */
function time(iterations: number, warmup: number, fn: (i: number) => void): number[] {
  for (let i = 0; i < warmup; i++) fn(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** BT.601 luma from RGBA, integer weights (what a conversion-based detector would run next). */
function grayFromRgba(rgba: Uint8Array, out: Uint8Array): void {
  const n = out.length;
  for (let p = 0, i = 0; p < n; p++, i += 4) {
    out[p] = (77 * rgba[i]! + 150 * rgba[i + 1]! + 29 * rgba[i + 2]! + 128) >> 8;
  }
}

export async function benchChangeDetector(iterations = 300) {
  const results = [];
  let sink = 0; // keeps results observable so nothing is optimized away
  for (const [w, h] of SIZES) {
    const frames = makeFrames(w, h, FRAMES);
    const frame = (i: number) => frames[i % FRAMES]!;

    // The detector as the agent uses it: score every frame, accept it as the new reference.
    const detector = new ChangeDetector();
    const scores: number[] = [];
    const detect = time(iterations, 200, (i) => {
      const s = detector.score(frame(i));
      detector.accept();
      sink += s;
      if (scores.length < FRAMES) scores.push(s);
    });

    // What the detector avoids: native I420 → RGBA conversion (copy-in, convert, copy-out)...
    const warmConvert = Math.min(30, iterations);
    const convert = time(iterations, warmConvert, (i) => {
      const f = frame(i);
      const rgba = new VideoFrame(f.data, w, h, VideoBufferType.I420).convert(VideoBufferType.RGBA);
      sink += rgba.data[0]!;
    });
    // ...and the same followed by a JS grayscale pass over the RGBA pixels.
    const gray = new Uint8Array(w * h);
    const convertGray = time(iterations, warmConvert, (i) => {
      const f = frame(i);
      const rgba = new VideoFrame(f.data, w, h, VideoBufferType.I420).convert(VideoBufferType.RGBA);
      grayFromRgba(rgba.data, gray);
      sink += gray[0]!;
    });

    const d = summarize(detect);
    const c = summarize(convert);
    const cg = summarize(convertGray);
    const ratio = (x: number) => Math.round((x / d.p50) * 10) / 10;
    results.push({
      size: `${w}x${h}`,
      detectorScoreMs: d,
      convertI420ToRgbaMs: c,
      convertPlusGrayMs: cg,
      ratioConvertToDetectorP50: ratio(c.p50),
      ratioConvertGrayToDetectorP50: ratio(cg.p50),
      sampleScores: scores.map((s) => Math.round(s * 10000) / 10000),
      ...(w === 1280 && h === 720 ? { budgetMs: BUDGET_MS, withinBudgetP95: d.p95 <= BUDGET_MS } : {}),
    });
  }
  return {
    bench: 'vision-change-detector',
    iterations,
    thumbnail: '64x36 luma box average, every Y sample read',
    machine: { cpus: (await import('node:os')).cpus().length },
    results,
    sink: Number.isFinite(sink),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchChangeDetector(), null, 2));
  // The FFI runtime started by convert() keeps the event loop alive: shut it down, then leave.
  await dispose();
  process.exit(0);
}
