import { OPENAI_ENV, readConfig } from '@roomcrew/shared';
import { z } from 'zod';

const fps = (d: number, what: string) => ({
  schema: z.coerce.number().min(0).max(30).default(d),
  expect: `frames per second sampled from ${what} (0 stops sampling; default ${d})`,
});

export const VISION_ENV = {
  CREW_VISION_MAX_TRACKS: {
    schema: z.coerce.number().int().min(0).max(32).default(4),
    expect: 'how many video tracks the vision agent follows at once (default 4)',
  },
  CREW_VISION_SCREEN_FPS: fps(2, 'screen shares'),
  CREW_VISION_CAMERA_FPS: fps(1, 'the camera of someone speaking'),
  CREW_VISION_IDLE_FPS: fps(0.3, 'other followed cameras'),
  // Screens are judged by the largest change of any thumbnail cell (a two-word edit scores ~0.4,
  // video-coding noise on a still screen a few hundredths); cameras by the mean change.
  CREW_VISION_SCREEN_THRESHOLD: {
    schema: z.coerce.number().min(0).max(1).default(0.12),
    expect:
      'largest luma change of any area (0..1) that makes a screen-share frame worth analysing (default 0.12)',
  },
  CREW_VISION_CAMERA_THRESHOLD: {
    schema: z.coerce.number().min(0).max(1).default(0.03),
    expect: 'luma change (0..1) that makes a sampled camera frame worth analysing (default 0.03)',
  },
  CREW_VISION_MAX_AGE_MS: {
    schema: z.coerce.number().int().min(1000).default(60_000),
    expect: 'analyse a followed track at least this often even if nothing changed (ms, default 60000)',
  },
  CREW_VISION_MAX_ANALYSES: {
    schema: z.coerce.number().int().min(1).max(16).default(2),
    expect: 'analyses in flight at once per worker (default 2)',
  },
  CREW_VISION_ANALYSIS_BUDGET_MS: {
    schema: z.coerce.number().int().min(50).default(2000),
    expect: 'analysis time above which the agent sheds load on its own (ms, default 2000)',
  },
  CREW_VISION_PROVIDERS: {
    schema: z.enum(['local', 'openai,local']).default('local'),
    expect: "'local' (tesseract and human, offline) or 'openai,local' (an OpenAI-compatible model first)",
  },
  ...OPENAI_ENV,
  OPENAI_VISION_MODEL: {
    schema: z.string().min(1).default('gpt-4o-mini'),
    expect: 'a vision-capable chat model',
  },
  CREW_VISION_CLOUD_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(500).max(120_000).default(8000),
    expect: 'how long a cloud description may take before the local analysers take over (ms, default 8000)',
  },
  TESSERACT_BIN: {
    schema: z.string().min(1).default('tesseract'),
    expect: 'the tesseract executable, a name on PATH or a path',
  },
};

export type VisionConfig = ReturnType<typeof visionConfig>;
export const visionConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(VISION_ENV, env);
