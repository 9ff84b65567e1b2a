/** The console server's settings from the environment (validated like every other entry point). */
import { type EnvSpec, readConfig } from '@roomcrew/shared';
import { z } from 'zod';

export const CONSOLE_ENV = {
  CONSOLE_PORT: {
    schema: z.coerce.number().int().min(0).max(65_535).default(7890),
    expect: 'a TCP port for the console page and its API (default 7890; 0 picks a free one)',
  },
  CONSOLE_HOST: {
    schema: z.string().min(1).default('127.0.0.1'),
    expect: 'the address the console listens on (default 127.0.0.1)',
  },
  CREW_OPERATOR_PASSCODE: {
    schema: z.string().min(8).optional(),
    expect: 'the passcode that unlocks operator tokens, at least 8 characters (unset: no operator tokens)',
  },
  CONSOLE_TOKEN_TTL: {
    schema: z
      .string()
      .regex(/^\d+[smh]$/)
      .default('15m'),
    expect: 'lifetime of the tokens the page gets, e.g. 15m or 1h (default 15m)',
  },
  CONSOLE_RATE_LIMIT: {
    schema: z.coerce.number().int().min(1).max(10_000).default(30),
    expect: 'API requests per minute per client address (default 30)',
  },
  CONSOLE_PUBLIC_LIVEKIT_URL: {
    schema: z.string().url().optional(),
    expect: 'the LiveKit URL browsers use, when it differs from LIVEKIT_URL',
  },
} satisfies EnvSpec;

export type ConsoleEnv = ReturnType<typeof readConsoleEnv>;

export function readConsoleEnv(env: NodeJS.ProcessEnv = process.env) {
  return readConfig(CONSOLE_ENV, env);
}
