import { OPENAI_ENV, readConfig, urlVar } from '@roomcrew/shared';
import { z } from 'zod';
import { POCKETSPHINX_LANGUAGES } from './pocketsphinx-stt.js';
import { DEFAULT_WHISPER_MODEL } from './whisper-stt.js';

export const STT_PROVIDER_NAMES = ['deepgram', 'openai', 'whisper', 'local'] as const;
export type SttProviderName = (typeof STT_PROVIDER_NAMES)[number];

export const TRANSCRIBER_ENV = {
  CREW_STT_LANGUAGE: {
    schema: z.enum(POCKETSPHINX_LANGUAGES as [string, ...string[]]).default('en-US'),
    expect: `the default speech language, one of ${POCKETSPHINX_LANGUAGES.join(', ')} (default en-US)`,
  },
  CREW_STT_PROVIDERS: {
    schema: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(STT_PROVIDER_NAMES)).min(1))
      .optional(),
    expect: `a comma-separated fallback chain of ${STT_PROVIDER_NAMES.join(', ')} (default: every cloud provider with a key, then local)`,
  },
  CREW_STT_TIMEOUT_MS: {
    schema: z.coerce.number().int().min(100).max(60_000).default(3000),
    expect:
      'how long a cloud recognizer may take to finalize an utterance before the next one takes over (ms, default 3000)',
  },
  WHISPER_MODEL: {
    schema: z.string().min(1).default(DEFAULT_WHISPER_MODEL),
    expect:
      'the whisper.cpp (ggml) model for the whisper engine (default .tools/models/ggml-tiny.en.bin, made by setup)',
  },
  POCKETSPHINX_BIN: {
    schema: z.string().min(1).default('pocketsphinx_continuous'),
    expect: 'the pocketsphinx_continuous executable, a name on PATH or a path',
  },
  DEEPGRAM_API_KEY: { schema: z.string().min(1).optional(), expect: 'a Deepgram API key' },
  DEEPGRAM_BASE_URL: {
    schema: urlVar(['ws:', 'wss:', 'http:', 'https:']).default('wss://api.deepgram.com/v1'),
    expect: 'the Deepgram API base URL (default wss://api.deepgram.com/v1)',
  },
  DEEPGRAM_MODEL: {
    schema: z.string().min(1).default('nova-3'),
    expect: 'a Deepgram model (default nova-3)',
  },
  ...OPENAI_ENV,
  OPENAI_STT_MODEL: {
    schema: z.string().min(1).default('gpt-4o-mini-transcribe'),
    expect: 'the transcription model (default gpt-4o-mini-transcribe)',
  },
};

export type TranscriberConfig = ReturnType<typeof transcriberConfig>;
export const transcriberConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(TRANSCRIBER_ENV, env);
