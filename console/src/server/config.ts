/** The console server's settings from the environment (validated like every other entry point). */
import { type EnvSpec, readConfig } from '@roomcrew/shared';
import { z } from 'zod';
import { parseTrustedProxies } from './client-address.js';
import type { ConsoleServerOptions } from './server.js';

/** '15m' / '1h' / '90s' → milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)([smh])$/.exec(text);
  if (!m) throw new Error(`bad duration "${text}": expected e.g. 90s, 15m or 1h`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

const duration = (fallback: string) =>
  z
    .string()
    .regex(/^[1-9]\d*[smh]$/)
    .default(fallback);

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
    schema: duration('15m'),
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
  CONSOLE_TRUSTED_PROXIES: {
    schema: z
      .string()
      .refine((s) => {
        try {
          return parseTrustedProxies(s).length > 0;
        } catch {
          return false;
        }
      })
      .transform(parseTrustedProxies)
      .optional(),
    expect:
      'comma-separated IP addresses of reverse proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1,::1 ' +
      '(unset: the header is ignored)',
  },
  CONSOLE_PASSCODE_CLIENT_LIMIT: {
    schema: z.coerce.number().int().min(1).max(1000).default(5),
    expect: 'wrong operator passcodes per minute from one client address before it is locked out (default 5)',
  },
  CONSOLE_PASSCODE_GLOBAL_LIMIT: {
    schema: z.coerce.number().int().min(1).max(100_000).default(30),
    expect:
      'wrong operator passcodes per minute from all clients together before operator sign-in pauses ' +
      'for everyone (default 30)',
  },
  CONSOLE_PASSCODE_LOCKOUT: {
    schema: duration('1m'),
    expect: 'the first passcode lockout, e.g. 30s or 1m; each further one within a day doubles (default 1m)',
  },
  CONSOLE_PASSCODE_LOCKOUT_MAX: {
    schema: duration('1h'),
    expect: 'the longest a passcode lockout grows to, e.g. 1h (default 1h)',
  },
} satisfies EnvSpec;

export type ConsoleEnv = ReturnType<typeof readConsoleEnv>;

export function readConsoleEnv(env: NodeJS.ProcessEnv = process.env) {
  return readConfig(CONSOLE_ENV, env);
}

/**
 * The server options these settings give (all but the LiveKit target, the crew control, the room
 * and the passcode, which the command decides): what `roomcrew console` and `up` start with.
 */
export function consoleServerOptions(c: ConsoleEnv) {
  return {
    port: c.CONSOLE_PORT,
    host: c.CONSOLE_HOST,
    tokenTtl: c.CONSOLE_TOKEN_TTL,
    rateLimit: c.CONSOLE_RATE_LIMIT,
    trustedProxies: c.CONSOLE_TRUSTED_PROXIES ?? [],
    passcodeLimits: {
      perClient: c.CONSOLE_PASSCODE_CLIENT_LIMIT,
      global: c.CONSOLE_PASSCODE_GLOBAL_LIMIT,
      lockoutMs: durationMs(c.CONSOLE_PASSCODE_LOCKOUT),
      maxLockoutMs: durationMs(c.CONSOLE_PASSCODE_LOCKOUT_MAX),
    },
    ...(c.CONSOLE_PUBLIC_LIVEKIT_URL ? { publicLivekitUrl: c.CONSOLE_PUBLIC_LIVEKIT_URL } : {}),
  } satisfies Partial<ConsoleServerOptions>;
}
