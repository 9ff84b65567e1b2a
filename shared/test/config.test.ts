import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  type EnvSpec,
  LIVEKIT_ENV,
  LOG_ENV,
  readConfig,
  readConfigOrExit,
  serverApiUrl,
  WORKER_ENV,
} from '../src/config.js';

const LIVEKIT_OK = {
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('readConfig', () => {
  it('returns the parsed values of a valid environment', () => {
    const cfg = readConfig(LIVEKIT_ENV, { ...LIVEKIT_OK });
    expect(cfg).toEqual(LIVEKIT_OK);
  });

  it('names a missing variable and what it expects', () => {
    const env: Record<string, string> = { ...LIVEKIT_OK };
    delete env.LIVEKIT_API_SECRET;
    const e = configError(() => readConfig(LIVEKIT_ENV, env));
    expect(e.name).toBe('ConfigError');
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain('LIVEKIT_API_SECRET');
    expect(e.problems[0]).toContain('not set');
    expect(e.problems[0]).toContain(LIVEKIT_ENV.LIVEKIT_API_SECRET.expect);
    expect(e.message).toContain('LIVEKIT_API_SECRET');
    expect(e.message).toContain(LIVEKIT_ENV.LIVEKIT_API_SECRET.expect);
  });

  it('treats an empty value as missing', () => {
    const e = configError(() => readConfig(LIVEKIT_ENV, { ...LIVEKIT_OK, LIVEKIT_API_KEY: '' }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain('LIVEKIT_API_KEY');
    expect(e.problems[0]).toContain('not set');
  });

  it.each(['ftp://x', 'not a url', '127.0.0.1:7880', 'file:///tmp/sock'])(
    'names LIVEKIT_URL=%s as invalid, with its value and expectation',
    (value) => {
      const e = configError(() => readConfig(LIVEKIT_ENV, { ...LIVEKIT_OK, LIVEKIT_URL: value }));
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]).toContain('LIVEKIT_URL');
      expect(e.problems[0]).toContain(JSON.stringify(value));
      expect(e.problems[0]).toContain('invalid');
      expect(e.problems[0]).toContain(LIVEKIT_ENV.LIVEKIT_URL.expect);
    },
  );

  it.each(['ws://h:7880', 'wss://lk.example.com', 'http://h', 'https://h/base'])(
    'accepts LIVEKIT_URL=%s',
    (value) => {
      expect(readConfig(LIVEKIT_ENV, { ...LIVEKIT_OK, LIVEKIT_URL: value }).LIVEKIT_URL).toBe(value);
    },
  );

  it.each(['0', '-0.5', 'abc', '101'])('names CREW_LOAD_THRESHOLD=%s as invalid', (value) => {
    const e = configError(() => readConfig(WORKER_ENV, { ...LIVEKIT_OK, CREW_LOAD_THRESHOLD: value }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain(`CREW_LOAD_THRESHOLD=${JSON.stringify(value)}`);
    expect(e.problems[0]).toContain(WORKER_ENV.CREW_LOAD_THRESHOLD.expect);
  });

  it.each([
    ['1', 1],
    ['0.5', 0.5],
    ['0.01', 0.01],
  ])('accepts CREW_LOAD_THRESHOLD=%s as the number %d', (value, expected) => {
    const cfg = readConfig(WORKER_ENV, { ...LIVEKIT_OK, CREW_LOAD_THRESHOLD: value });
    expect(cfg.CREW_LOAD_THRESHOLD).toBe(expected);
    expect(typeof cfg.CREW_LOAD_THRESHOLD).toBe('number');
  });

  it.each([
    ['CREW_WORKER_PORT', '65536'],
    ['CREW_WORKER_PORT', '80.5'],
    ['CREW_IDLE_PROCESSES', '17'],
    ['CREW_IDLE_PROCESSES', '-1'],
    ['CREW_MAX_RETRY', '10001'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
  ])('names %s=%s as invalid', (name, value) => {
    const e = configError(() => readConfig(WORKER_ENV, { ...LIVEKIT_OK, [name]: value }));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain(`${name}=${JSON.stringify(value)}`);
  });

  it('reports several problems together in one ConfigError', () => {
    const e = configError(() =>
      readConfig(WORKER_ENV, {
        LIVEKIT_URL: 'ftp://x',
        LIVEKIT_API_SECRET: 'secret',
        CREW_LOAD_THRESHOLD: '0',
        LOG_LEVEL: 'loud',
      }),
    );
    expect(e.problems).toHaveLength(4);
    const joined = e.problems.join('\n');
    for (const name of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'CREW_LOAD_THRESHOLD', 'LOG_LEVEL']) {
      expect(joined).toContain(name);
      expect(e.message).toContain(name);
    }
    expect(joined).not.toContain('LIVEKIT_API_SECRET');
    // one line per problem in the message
    expect(e.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(4);
  });

  it('reports every missing variable of an empty environment', () => {
    const e = configError(() => readConfig(WORKER_ENV, {}));
    expect(e.problems.map((p) => p.split(' ')[0]).sort()).toEqual(Object.keys(LIVEKIT_ENV).sort());
  });

  it('applies defaults', () => {
    const cfg = readConfig(WORKER_ENV, { ...LIVEKIT_OK });
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.CREW_LOAD_THRESHOLD).toBe(0.9);
    expect(cfg.CREW_WORKER_PORT).toBe(0);
    expect(cfg.CREW_IDLE_PROCESSES).toBe(1);
    expect(cfg.CREW_MAX_RETRY).toBe(30);
    expect(readConfig(LOG_ENV, {}).LOG_LEVEL).toBe('info');
  });

  it('applies defaults for empty values', () => {
    const cfg = readConfig(WORKER_ENV, { ...LIVEKIT_OK, LOG_LEVEL: '', CREW_LOAD_THRESHOLD: '' });
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.CREW_LOAD_THRESHOLD).toBe(0.9);
  });

  it('uses given values over defaults, coerced to numbers', () => {
    const cfg = readConfig(WORKER_ENV, {
      ...LIVEKIT_OK,
      LOG_LEVEL: 'debug',
      CREW_LOAD_THRESHOLD: '0.75',
      CREW_WORKER_PORT: '8081',
      CREW_IDLE_PROCESSES: '3',
      CREW_MAX_RETRY: '5',
      CREW_MAX_JOBS: '7',
    });
    expect(cfg).toEqual({
      ...LIVEKIT_OK,
      LOG_LEVEL: 'debug',
      CREW_LOAD_THRESHOLD: 0.75,
      CREW_WORKER_PORT: 8081,
      CREW_IDLE_PROCESSES: 3,
      CREW_MAX_RETRY: 5,
      CREW_MAX_JOBS: 7,
    });
  });

  it('returns only the variables of the spec', () => {
    const cfg = readConfig(LOG_ENV, { LOG_LEVEL: 'warn', PATH: '/bin', LIVEKIT_URL: 'ws://x' });
    expect(cfg).toEqual({ LOG_LEVEL: 'warn' });
  });

  it('reads process.env by default', () => {
    vi.stubEnv('LOG_LEVEL', 'error');
    expect(readConfig(LOG_ENV).LOG_LEVEL).toBe('error');
    vi.stubEnv('LOG_LEVEL', 'nope');
    expect(() => readConfig(LOG_ENV)).toThrow(ConfigError);
  });

  it('works with a custom spec', () => {
    const spec = {
      FOO_COUNT: { schema: z.coerce.number().int().min(1), expect: 'a positive integer' },
    } satisfies EnvSpec;
    expect(readConfig(spec, { FOO_COUNT: '4' }).FOO_COUNT).toBe(4);
    const e = configError(() => readConfig(spec, { FOO_COUNT: '0' }));
    expect(e.problems).toEqual(['FOO_COUNT="0" is invalid: expected a positive integer']);
  });
});

describe('readConfigOrExit', () => {
  it('returns the config when it is valid', () => {
    expect(readConfigOrExit(LIVEKIT_ENV, { ...LIVEKIT_OK })).toEqual(LIVEKIT_OK);
  });

  it('prints the problems and exits with status 2', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    let written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => {
      written += chunk;
      return true;
    }) as never);
    expect(() => readConfigOrExit(LIVEKIT_ENV, {})).toThrow('exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    for (const name of Object.keys(LIVEKIT_ENV)) expect(written).toContain(name);
  });

  it('rethrows errors that are not configuration problems', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('should not exit');
    }) as never);
    const spec = {
      BOOM: {
        schema: z.string().refine(() => {
          throw new TypeError('boom');
        }),
        expect: 'anything',
      },
    } satisfies EnvSpec;
    expect(() => readConfigOrExit(spec, { BOOM: 'x' })).toThrow(TypeError);
    expect(exit).not.toHaveBeenCalled();
  });
});

describe('serverApiUrl', () => {
  it.each([
    ['ws://127.0.0.1:7880', 'http://127.0.0.1:7880'],
    ['wss://lk.example.com', 'https://lk.example.com'],
    ['ws://127.0.0.1:7880/', 'http://127.0.0.1:7880'],
    ['wss://lk.example.com:7443/', 'https://lk.example.com:7443'],
    ['http://127.0.0.1:7880', 'http://127.0.0.1:7880'],
    ['https://lk.example.com', 'https://lk.example.com'],
    ['ws://lk.example.com/prefix/', 'http://lk.example.com/prefix'],
  ])('%s -> %s', (input, expected) => {
    expect(serverApiUrl(input)).toBe(expected);
  });

  it('throws on a string that is not a URL', () => {
    expect(() => serverApiUrl('not a url')).toThrow();
  });
});

describe('blank values', () => {
  it('treats a value of only spaces as unset, so the default applies', () => {
    const cfg = readConfig(WORKER_ENV, {
      LIVEKIT_URL: 'ws://127.0.0.1:7880',
      LIVEKIT_API_KEY: 'k',
      LIVEKIT_API_SECRET: 's',
      CREW_MAX_RETRY: '  ',
    });
    expect(cfg.CREW_MAX_RETRY).toBe(30);
  });

  it('reports a blank required value as missing', () => {
    expect(() =>
      readConfig(LIVEKIT_ENV, {
        LIVEKIT_URL: 'ws://127.0.0.1:7880',
        LIVEKIT_API_KEY: ' ',
        LIVEKIT_API_SECRET: 's',
      }),
    ).toThrow(/LIVEKIT_API_KEY is not set/);
  });
});
