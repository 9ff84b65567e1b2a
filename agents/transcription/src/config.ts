import { readConfig } from '@roomcrew/shared';
import { z } from 'zod';
import { POCKETSPHINX_LANGUAGES } from './pocketsphinx-stt.js';

export const TRANSCRIBER_ENV = {
  CREW_STT_LANGUAGE: {
    schema: z.enum(POCKETSPHINX_LANGUAGES as [string, ...string[]]).default('en-US'),
    expect: `the default speech language, one of ${POCKETSPHINX_LANGUAGES.join(', ')} (default en-US)`,
  },
  POCKETSPHINX_BIN: {
    schema: z.string().min(1).default('pocketsphinx_continuous'),
    expect: 'the pocketsphinx_continuous executable, a name on PATH or a path',
  },
};

export const transcriberConfig = () => readConfig(TRANSCRIBER_ENV);
