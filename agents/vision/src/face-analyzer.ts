/**
 * Local camera analysis: faces, where each looks (gaze), with @vladmandic/human on the tfjs wasm
 * backend, fully offline (its models ship in the npm package). The detector is given the luma
 * plane copied into three channels: faces need no colour, and this avoids a colour conversion.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LumaSource } from './luma.js';

const require = createRequire(import.meta.url);

export interface Face {
  score: number;
  /** x, y, width, height in the analysed frame's pixels. */
  box: [number, number, number, number];
  /** Gaze bearing (radians) and strength (0 = looking at the camera). */
  gaze?: { bearing: number; strength: number };
  lookingAway: boolean;
}

export interface FaceResult {
  faces: Face[];
  width: number;
  height: number;
}

interface HumanLike {
  load(): Promise<void>;
  detect(input: unknown): Promise<{
    face: {
      score: number;
      box: number[];
      rotation?: { gaze?: { bearing: number; strength: number } } | null;
    }[];
  }>;
  tf: { tensor3d(data: Int32Array, shape: [number, number, number], dtype: 'int32'): { dispose(): void } };
}

/** Gaze strength above which a face is said to look away from the camera. */
const LOOKING_AWAY = 0.35;
/** Frames are analysed at most this wide (the detector works on small inputs anyway). */
const MAX_WIDTH = 640;

let fetchPatched = false;

/** Node's fetch refuses file:// URLs, which is how human loads its bundled models. */
function allowFileFetch(): void {
  if (fetchPatched) return;
  fetchPatched = true;
  const net = globalThis.fetch;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file://')) return net(input, init);
    return new Response(await readFile(new URL(url)));
  }) as typeof fetch;
}

export class FaceAnalyzer {
  #human: HumanLike | undefined;
  #loading: Promise<HumanLike> | undefined;

  /** Loads the models once (about 0.2 s); later calls share the same instance. */
  load(): Promise<HumanLike> {
    this.#loading ??= (async () => {
      allowFileFetch();
      const wasm = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void };
      wasm.setThreadsCount(1);
      // The package exports no subpaths: find its dist folder through the main entry.
      const dist = dirname(require.resolve('@vladmandic/human'));
      const { Human } = require(join(dist, 'human.node-wasm.js')) as { Human: new (c: unknown) => HumanLike };
      const human = new Human({
        backend: 'wasm',
        wasmPath: `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`,
        modelBasePath: `${pathToFileURL(join(dirname(dist), 'models')).href}/`,
        cacheSensitivity: 0,
        debug: false,
        face: {
          enabled: true,
          detector: { rotation: false, maxDetected: 8 },
          mesh: { enabled: true },
          iris: { enabled: true },
          emotion: { enabled: false },
          description: { enabled: false },
          antispoof: { enabled: false },
          liveness: { enabled: false },
        },
        body: { enabled: false },
        hand: { enabled: false },
        object: { enabled: false },
        segmentation: { enabled: false },
        gesture: { enabled: false },
        filter: { enabled: false },
      });
      await human.load();
      // The first inference compiles the models' kernels (seconds on wasm): pay it here, once,
      // rather than on the first frame, where it would count as analysis time.
      const blank = human.tf.tensor3d(new Int32Array(64 * 64 * 3), [64, 64, 3], 'int32');
      try {
        await human.detect(blank);
      } finally {
        blank.dispose();
      }
      this.#human = human;
      return human;
    })();
    return this.#loading;
  }

  async analyse(frame: LumaSource): Promise<FaceResult> {
    const human = this.#human ?? (await this.load());
    const step = Math.max(1, Math.ceil(frame.width / MAX_WIDTH));
    const w = Math.floor(frame.width / step);
    const h = Math.floor(frame.height / step);
    const rgb = new Int32Array(w * h * 3);
    for (let y = 0, o = 0; y < h; y++) {
      const row = y * step * frame.width;
      for (let x = 0; x < w; x++, o += 3) {
        const v = frame.data[row + x * step] ?? 0;
        rgb[o] = v;
        rgb[o + 1] = v;
        rgb[o + 2] = v;
      }
    }
    const tensor = human.tf.tensor3d(rgb, [h, w, 3], 'int32');
    try {
      const res = await human.detect(tensor);
      return {
        width: w,
        height: h,
        faces: res.face.map((f) => {
          const gaze = f.rotation?.gaze ?? undefined;
          return {
            score: Math.round(f.score * 100) / 100,
            box: f.box.map((v) => Math.round(v)) as Face['box'],
            ...(gaze ? { gaze } : {}),
            lookingAway: (gaze?.strength ?? 0) > LOOKING_AWAY,
          };
        }),
      };
    } finally {
      tensor.dispose();
    }
  }
}

export function describeFaces(who: string, r: FaceResult): string {
  if (r.faces.length === 0) return `${who}'s camera shows nobody`;
  const away = r.faces.filter((f) => f.lookingAway).length;
  const n = r.faces.length === 1 ? 'one face' : `${r.faces.length} faces`;
  return `${who}'s camera shows ${n}${away ? `, ${away} looking away` : ''}`;
}
