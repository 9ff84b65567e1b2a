/**
 * Frame-change detection on the luma (Y) plane only.
 *
 * An I420 frame (as delivered by `@livekit/rtc-node`) starts with its Y plane: `width * height`
 * bytes, stride = width for frames built in Node. The chroma planes that follow are never read,
 * so there is no colour conversion at all: the Y plane is box-averaged down to a small fixed-size
 * thumbnail (64×36 by default) and two thumbnails are compared by mean absolute difference.
 *
 * The downscale samples every pixel of the Y plane exactly once (the boxes partition the plane; no
 * sub-sampling), with integer math only: per source row, the pixels of each output column's box are
 * summed in a register (four bytes per 32-bit word where aligned) and added to a per-column
 * accumulator; after the last source row of an output row the accumulators are divided (rounded)
 * by the box area. Column and row bounds are precomputed per geometry and cached, so no buffer is
 * allocated per frame once a geometry has been seen (only a `Uint32Array` view header when a
 * frame arrives in a new ArrayBuffer). Measured on the 2-core dev box: ~0.42 ms per 1280×720 frame,
 * ~0.9 ms per 1920×1080 (byte-at-a-time: ~0.63 / ~1.3 ms); see tests/bench/vision-change.ts.
 */

/** A planar frame whose first `width * height` bytes are the Y plane, stride = width (e.g. I420). */
export interface LumaSource {
  width: number;
  height: number;
  data: Uint8Array;
}

export const THUMB_WIDTH = 64;
export const THUMB_HEIGHT = 36;

/** Precomputed box bounds for one (source size → thumbnail size) pair. */
interface Geometry {
  srcW: number;
  srcH: number;
  w: number;
  h: number;
  /** First source column of output column x (inclusive). */
  x0: Int32Array;
  /** Last source column of output column x (exclusive). */
  x1: Int32Array;
  /** First source row of output row y (inclusive). */
  y0: Int32Array;
  /** Last source row of output row y (exclusive). */
  y1: Int32Array;
  /** Per-output-column sums for the output row being built. */
  acc: Float64Array;
  /** Whether every box is narrow enough (≤ 512 px) for the word-at-a-time path. */
  swar: boolean;
}

/**
 * Bounds of `dst` boxes over `src` samples. When src >= dst the boxes partition [0, src) (every
 * sample used once; sizes differ by at most one). When src < dst each box is the single nearest
 * sample (nearest-sample upscale).
 */
function bounds(src: number, dst: number): [Int32Array, Int32Array] {
  const lo = new Int32Array(dst);
  const hi = new Int32Array(dst);
  for (let i = 0; i < dst; i++) {
    if (src >= dst) {
      lo[i] = Math.floor((i * src) / dst);
      hi[i] = Math.floor(((i + 1) * src) / dst);
    } else {
      const s = Math.min(src - 1, Math.floor(((2 * i + 1) * src) / (2 * dst)));
      lo[i] = s;
      hi[i] = s + 1;
    }
  }
  return [lo, hi];
}

function makeGeometry(srcW: number, srcH: number, w: number, h: number): Geometry {
  const [x0, x1] = bounds(srcW, w);
  const [y0, y1] = bounds(srcH, h);
  let widest = 0;
  for (let x = 0; x < w; x++) widest = Math.max(widest, x1[x]! - x0[x]!);
  return { srcW, srcH, w, h, x0, x1, y0, y1, acc: new Float64Array(w), swar: widest <= 512 };
}

// Small cache of geometries for the free function (compared field by field: no key allocation).
const CACHE_SIZE = 4;
const cache: (Geometry | undefined)[] = new Array(CACHE_SIZE);
let cacheNext = 0;

function cachedGeometry(srcW: number, srcH: number, w: number, h: number): Geometry {
  for (let i = 0; i < CACHE_SIZE; i++) {
    const g = cache[i];
    if (g && g.srcW === srcW && g.srcH === srcH && g.w === w && g.h === h) return g;
  }
  const g = makeGeometry(srcW, srcH, w, h);
  cache[cacheNext] = g;
  cacheNext = (cacheNext + 1) % CACHE_SIZE;
  return g;
}

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  }
}

function validate(frame: LumaSource, out: Uint8Array | undefined, w: number, h: number): void {
  checkSize('frame width', frame.width);
  checkSize('frame height', frame.height);
  checkSize('thumbnail width', w);
  checkSize('thumbnail height', h);
  const need = frame.width * frame.height;
  if (!(frame.data instanceof Uint8Array) || frame.data.length < need) {
    throw new RangeError(
      `frame data too short for a ${frame.width}x${frame.height} luma plane: ` +
        `need ${need} bytes, got ${frame.data?.length ?? 'none'}`,
    );
  }
  if (out !== undefined && out.length !== w * h) {
    throw new RangeError(`output buffer must hold ${w}x${h} = ${w * h} bytes, got ${out.length}`);
  }
}

/**
 * Views the whole buffer under `data` as 32-bit words (for the SWAR path). Only the header object
 * is new, and only when the buffer changes from the previous call's.
 */
let lastBuffer: ArrayBufferLike | undefined;
let lastWords: Uint32Array = new Uint32Array(0);
function wordsOf(data: Uint8Array): Uint32Array {
  if (data.buffer !== lastBuffer || lastWords.length !== data.buffer.byteLength >>> 2) {
    lastBuffer = data.buffer;
    lastWords = new Uint32Array(data.buffer, 0, data.buffer.byteLength >>> 2);
  }
  return lastWords;
}

/**
 * The downscale proper; arguments already validated.
 *
 * Each box's pixels in a row are summed in a register: unaligned head and tail bytes one by one,
 * the 4-byte-aligned middle a word at a time (SWAR: `(v & 0x00ff00ff) + ((v >>> 8) & 0x00ff00ff)`
 * adds the four bytes as two 16-bit lanes, folded once per box). Every byte is still read exactly
 * once; the result is bit-identical to a byte-by-byte sum. A lane holds at most 510 per word, so
 * boxes wider than 512 px (sources wider than 32768 px) take the byte path.
 */
function downscale(data: Uint8Array, g: Geometry, out: Uint8Array): void {
  const { srcW, w, h, x0, x1, y0, y1, acc } = g;
  const words = g.swar ? wordsOf(data) : undefined;
  const bo = data.byteOffset;
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    const r0 = y0[y]!;
    const r1 = y1[y]!;
    for (let r = r0; r < r1; r++) {
      const row = r * srcW;
      for (let x = 0; x < w; x++) {
        const start = row + x0[x]!;
        const end = row + x1[x]!;
        let s = 0;
        // Word indices (in `words`) of the aligned middle of [start, end).
        const ws = (bo + start + 3) >>> 2;
        const we = (bo + end) >>> 2;
        if (words !== undefined && we > ws) {
          const headEnd = ws * 4 - bo;
          for (let i = start; i < headEnd; i++) s += data[i]!;
          let t = 0;
          for (let k = ws; k < we; k++) {
            const v = words[k]!;
            t += (v & 0x00ff00ff) + ((v >>> 8) & 0x00ff00ff);
          }
          s += (t & 0xffff) + (t >>> 16);
          for (let i = we * 4 - bo; i < end; i++) s += data[i]!;
        } else {
          for (let i = start; i < end; i++) s += data[i]!;
        }
        acc[x]! += s;
      }
    }
    const rows = r1 - r0;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const n = (x1[x]! - x0[x]!) * rows;
      out[o + x] = Math.floor((acc[x]! + (n >> 1)) / n);
    }
  }
}

/**
 * Box-averaged downscale of the Y plane into a `w`×`h` thumbnail (default 64×36). Every Y sample
 * contributes to exactly one thumbnail pixel; dimensions smaller than the thumbnail's are
 * upscaled by nearest sample. Allocation-free when `out` (of exactly `w * h` bytes) is passed and
 * the geometry has been seen recently.
 * @throws RangeError for non-positive/non-integer sizes, data shorter than width*height, or an
 *   `out` of the wrong length.
 */
export function lumaThumbnail(
  frame: LumaSource,
  out?: Uint8Array,
  w: number = THUMB_WIDTH,
  h: number = THUMB_HEIGHT,
): Uint8Array {
  validate(frame, out, w, h);
  const dst = out ?? new Uint8Array(w * h);
  downscale(frame.data, cachedGeometry(frame.width, frame.height, w, h), dst);
  return dst;
}

/**
 * Mean absolute difference of two equal-length thumbnails, normalized to 0..1 (0: identical,
 * 1: black vs white everywhere). Two empty arrays score 0.
 * @throws RangeError when the lengths differ.
 */
export function changeScore(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`thumbnail lengths differ: ${n} vs ${b.length}`);
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    s += d < 0 ? -d : d;
  }
  return s / (n * 255);
}

/**
 * Largest single-cell difference of two equal-length thumbnails, 0..1. A text edit on a slide
 * changes few cells, a lot: the mean barely moves (~0.0015 for two changed words on a 960×540
 * slide) while the peak jumps (~0.4), so screens are judged by the peak.
 */
export function peakChange(a: Uint8Array, b: Uint8Array): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`thumbnail lengths differ: ${n} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    const ad = d < 0 ? -d : d;
    if (ad > m) m = ad;
  }
  return m / 255;
}

export type ChangeMetric = 'mean' | 'peak';

/**
 * Keeps the thumbnail of the last frame analysed (the reference). `score(frame)` returns 1 for the
 * first frame (or after `reset()`), otherwise the change of `frame` vs the reference (0..1);
 * `accept()` makes the frame last scored the new reference (no-op if nothing was scored since the
 * last `accept()`/`reset()`). Two thumbnail buffers are swapped, never reallocated; the thumbnail
 * has a fixed size, so frames of any size or orientation (e.g. rotated 720×1280 after 1280×720)
 * are comparable.
 */
export class ChangeDetector {
  readonly width: number;
  readonly height: number;
  private ref: Uint8Array;
  private cur: Uint8Array;
  private hasRef = false;
  private pending = false;
  private geometry: Geometry | undefined;

  readonly metric: ChangeMetric;

  constructor(opts: { width?: number; height?: number; metric?: ChangeMetric } = {}) {
    this.width = opts.width ?? THUMB_WIDTH;
    this.height = opts.height ?? THUMB_HEIGHT;
    this.metric = opts.metric ?? 'mean';
    checkSize('thumbnail width', this.width);
    checkSize('thumbnail height', this.height);
    this.ref = new Uint8Array(this.width * this.height);
    this.cur = new Uint8Array(this.width * this.height);
  }

  score(frame: LumaSource): number {
    validate(frame, this.cur, this.width, this.height);
    let g = this.geometry;
    if (!g || g.srcW !== frame.width || g.srcH !== frame.height) {
      g = makeGeometry(frame.width, frame.height, this.width, this.height);
      this.geometry = g;
    }
    downscale(frame.data, g, this.cur);
    this.pending = true;
    if (!this.hasRef) return 1;
    return this.metric === 'peak' ? peakChange(this.ref, this.cur) : changeScore(this.ref, this.cur);
  }

  accept(): void {
    if (!this.pending) return;
    const t = this.ref;
    this.ref = this.cur;
    this.cur = t;
    this.hasRef = true;
    this.pending = false;
  }

  reset(): void {
    this.hasRef = false;
    this.pending = false;
  }

  /** A copy of the reference thumbnail, or undefined before the first `accept()`. */
  reference(): Uint8Array | undefined {
    return this.hasRef ? this.ref.slice() : undefined;
  }
}
