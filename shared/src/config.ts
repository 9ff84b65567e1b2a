/**
 * Configuration from the environment, validated at startup. A bad or missing variable stops the
 * process with one message naming each offending variable and what is expected.
 */
import { z } from 'zod';

export interface EnvVar<T extends z.ZodType = z.ZodType> {
  schema: T;
  /** What a valid value looks like, shown when the value is missing or bad. */
  expect: string;
}
export type EnvSpec = Record<string, EnvVar>;
export type EnvConfig<S extends EnvSpec> = { [K in keyof S]: z.infer<S[K]['schema']> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`roomcrew: bad configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function readConfig<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): EnvConfig<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
    const parsed = v.schema.safeParse(value);
    if (parsed.success) out[name] = parsed.data;
    else if (value === undefined) problems.push(`${name} is not set: expected ${v.expect}`);
    else problems.push(`${name}=${JSON.stringify(value)} is invalid: expected ${v.expect}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as EnvConfig<S>;
}

/** For process entry points: prints the problem and exits with status 2. */
export function readConfigOrExit<S extends EnvSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): EnvConfig<S> {
  try {
    return readConfig(spec, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** A URL with one of the given protocols (e.g. ['ws:', 'wss:']). */
export const urlVar = (protocols: string[]) =>
  z.string().refine((s) => {
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  });

export const LIVEKIT_ENV = {
  LIVEKIT_URL: {
    schema: urlVar(['ws:', 'wss:', 'http:', 'https:']),
    expect: 'the LiveKit server URL, e.g. ws://127.0.0.1:7880',
  },
  LIVEKIT_API_KEY: { schema: z.string().min(1), expect: 'the API key of the LiveKit server' },
  LIVEKIT_API_SECRET: {
    schema: z.string().min(1),
    expect: 'the API secret of the LiveKit server',
  },
} satisfies EnvSpec;

export const LOG_ENV = {
  LOG_LEVEL: {
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    expect: 'one of trace, debug, info, warn, error, fatal (default info)',
  },
} satisfies EnvSpec;

/** An OpenAI-compatible endpoint, shared by every agent that can use one. */
export const OPENAI_ENV = {
  OPENAI_API_KEY: { schema: z.string().min(1).optional(), expect: 'an OpenAI (or compatible) API key' },
  OPENAI_BASE_URL: {
    schema: urlVar(['http:', 'https:']).default('https://api.openai.com/v1'),
    expect: 'an OpenAI-compatible API base URL (default https://api.openai.com/v1)',
  },
} satisfies EnvSpec;

export const DATA_ENV = {
  CREW_DATA_DIR: {
    schema: z.string().min(1).default('.data'),
    expect:
      'the directory for session transcripts and other records (default .data, relative to the working directory)',
  },
} satisfies EnvSpec;

export const WORKER_ENV = {
  ...LIVEKIT_ENV,
  ...LOG_ENV,
  CREW_LOAD_THRESHOLD: {
    schema: z.coerce.number().gt(0).max(100).default(0.9),
    expect:
      'a positive number: CPU load (0..1) at which the worker takes no new jobs; above 1 it never refuses (default 0.9)',
  },
  CREW_MAX_JOBS: {
    schema: z.coerce.number().int().min(0).max(10_000).default(0),
    expect:
      'jobs per worker at full load: when set, the load the worker reports is active jobs / CREW_MAX_JOBS instead of machine CPU (default 0: CPU)',
  },
  CREW_WORKER_PORT: {
    schema: z.coerce.number().int().min(0).max(65535).default(0),
    expect: 'the worker health-check HTTP port, 0 picks a free one (default 0)',
  },
  CREW_IDLE_PROCESSES: {
    schema: z.coerce.number().int().min(0).max(16).default(1),
    expect: 'how many warm job processes the worker keeps (default 1)',
  },
  CREW_MAX_RETRY: {
    schema: z.coerce.number().int().min(0).max(10_000).default(30),
    expect: 'how many times a worker retries connecting to LiveKit before giving up (default 30)',
  },
} satisfies EnvSpec;

/** The server API (Twirp over HTTP) lives at the same host as the websocket URL. */
export function serverApiUrl(livekitUrl: string): string {
  const u = new URL(livekitUrl);
  u.protocol = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:';
  return u.toString().replace(/\/$/, '');
}
