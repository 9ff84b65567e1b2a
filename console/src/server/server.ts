/**
 * The console server: mints short-lived LiveKit tokens for the page (operator tokens only with
 * the passcode), runs the operator-only crew controls, and serves the built page. API keys never
 * leave this process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Credentials,
  createLogger,
  type Logger,
  operatorToken,
  participantToken,
} from '@roomcrew/shared';
import type { z } from 'zod';
import {
  type ApiErrorCode,
  type ConsoleConfig,
  type CrewStatus,
  crewRoomSchema,
  removeAgentSchema,
  type TokenResponse,
  tokenRequestSchema,
} from '../api.js';
import { RateLimiter } from './rate-limit.js';
import { type OperatorSession, passcodeMatches, SessionSigner } from './sessions.js';

/** What operators can do to the crew; the CLI provides it on livekit-server-sdk. */
export interface CrewControl {
  status(room: string): Promise<CrewStatus>;
  dispatch(room: string): Promise<{ dispatchId: string; created: boolean }>;
  /** Removes an agent participant; false when the room has no agent with that identity. */
  remove(room: string, identity: string): Promise<boolean>;
}

export interface ConsoleServerOptions {
  livekit: Credentials & { url: string };
  /** The LiveKit URL browsers connect to (default: livekit.url). */
  publicLivekitUrl?: string;
  control: CrewControl;
  /** Unset: nobody can get an operator token. */
  operatorPasscode?: string;
  port?: number;
  host?: string;
  tokenTtl?: string;
  /** API requests per minute per client address. */
  rateLimit?: number;
  defaultRoom?: string;
  /** The built page (default: console/dist/web). */
  staticDir?: string;
  log?: Logger;
}

export interface ConsoleServer {
  url: string;
  /** Whether the built page is there to serve (the API works either way). */
  pageBuilt: boolean;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
/** Wrong passcodes allowed per minute per client address, whatever the general limit. */
const PASSCODE_ATTEMPTS_PER_MINUTE = 5;
const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss: http: https:; img-src 'self' data: blob:; " +
    "media-src 'self' blob: mediastream:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** '15m' / '1h' / '90s' → milliseconds. */
export function ttlMs(ttl: string): number {
  const m = /^(\d+)([smh])$/.exec(ttl);
  if (!m) throw new Error(`bad TTL "${ttl}": expected e.g. 90s, 15m or 1h`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

/** A readable identity that nobody else in the room has: the name's letters plus a random tail. */
function identityFor(name: string, operator: boolean): string {
  const slug =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24) || 'guest';
  return `${operator ? 'op-' : ''}${slug}-${randomBytes(3).toString('hex')}`;
}

async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'send the request body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, 'payload_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_request', 'request body is not valid JSON');
  }
  return parseOrThrow(schema, body);
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    throw new HttpError(400, 'bad_request', `bad request: ${detail}`);
  }
  return parsed.data;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const log = opts.log ?? createLogger({ agent: 'console' });
  const tokenTtl = opts.tokenTtl ?? '15m';
  const ttl = ttlMs(tokenTtl);
  const limiter = new RateLimiter(opts.rateLimit ?? 30);
  const passcodeLimiter = new RateLimiter(PASSCODE_ATTEMPTS_PER_MINUTE);
  const signer = new SessionSigner();
  const staticDir = opts.staticDir ?? DEFAULT_STATIC_DIR;
  const config: ConsoleConfig = {
    livekitUrl: opts.publicLivekitUrl ?? opts.livekit.url,
    defaultRoom: opts.defaultRoom ?? 'roomcrew-demo',
    operatorSignIn: Boolean(opts.operatorPasscode),
  };

  const operatorFor = (req: IncomingMessage, room: string): OperatorSession => {
    const auth = req.headers.authorization ?? '';
    const session = auth.startsWith('Bearer ') ? signer.verify(auth.slice(7)) : undefined;
    if (!session) {
      throw new HttpError(401, 'unauthorized', 'operator session missing or expired: sign in as an operator');
    }
    if (session.room !== room) {
      throw new HttpError(
        403,
        'forbidden',
        `your operator session is for room "${session.room}", not "${room}"`,
      );
    }
    return session;
  };

  const mint = async (req: IncomingMessage, client: string): Promise<TokenResponse> => {
    const body = await readJson(req, tokenRequestSchema);
    if (body.operator) {
      if (!opts.operatorPasscode) {
        throw new HttpError(403, 'operator_disabled', 'operator sign-in is not enabled on this server');
      }
      if (!passcodeMatches(opts.operatorPasscode, body.passcode ?? '')) {
        const left = passcodeLimiter.take(client);
        log.warn({ client, room: body.room, name: body.name }, 'wrong operator passcode');
        if (!left.ok) {
          throw new HttpError(429, 'rate_limited', 'too many wrong passcodes; wait before trying again', {
            'Retry-After': String(Math.ceil(left.retryAfterMs / 1000)),
          });
        }
        throw new HttpError(401, 'bad_passcode', 'wrong operator passcode');
      }
    }
    const identity = identityFor(body.name, body.operator);
    const grant = { room: body.room, identity, name: body.name, ttl: tokenTtl };
    const token = body.operator
      ? await operatorToken(opts.livekit, grant)
      : await participantToken(opts.livekit, grant);
    const expiresAt = Date.now() + ttl;
    log.info({ client, room: body.room, identity, operator: body.operator }, 'token issued');
    return {
      url: config.livekitUrl,
      room: body.room,
      identity,
      name: body.name,
      token,
      operator: body.operator,
      expiresAt,
      ...(body.operator ? { session: signer.sign({ room: body.room, identity, exp: expiresAt }) } : {}),
    };
  };

  const api = async (req: IncomingMessage, url: URL, client: string): Promise<[number, unknown]> => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /api/config') return [200, config];
    const allowed = limiter.take(client);
    if (!allowed.ok) {
      throw new HttpError(429, 'rate_limited', 'too many requests; slow down', {
        'Retry-After': String(Math.ceil(allowed.retryAfterMs / 1000)),
      });
    }
    switch (route) {
      case 'POST /api/token':
        return [200, await mint(req, client)];
      case 'GET /api/crew': {
        const { room } = parseOrThrow(crewRoomSchema, { room: url.searchParams.get('room') ?? '' });
        operatorFor(req, room);
        return [200, await upstream(() => opts.control.status(room))];
      }
      case 'POST /api/crew/dispatch': {
        const { room } = await readJson(req, crewRoomSchema);
        const s = operatorFor(req, room);
        const r = await upstream(() => opts.control.dispatch(room));
        log.info({ room, by: s.identity, ...r }, 'crew dispatched from the console');
        return [200, r];
      }
      case 'POST /api/crew/remove': {
        const { room, identity } = await readJson(req, removeAgentSchema);
        const s = operatorFor(req, room);
        if (!(await upstream(() => opts.control.remove(room, identity)))) {
          throw new HttpError(404, 'not_found', `room "${room}" has no agent "${identity}"`);
        }
        log.info({ room, identity, by: s.identity }, 'agent removed from the console');
        return [200, { removed: identity }];
      }
      default:
        throw new HttpError(404, 'not_found', `no API endpoint ${route}`);
    }
  };

  const upstream = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      log.error({ err: e }, 'LiveKit server API call failed');
      throw new HttpError(502, 'upstream', `the LiveKit server API failed: ${(e as Error).message}`);
    }
  };

  const serveStatic = async (url: URL, res: ServerResponse) => {
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    let file = join(staticDir, rel);
    if (!file.startsWith(staticDir.endsWith(sep) ? staticDir : staticDir + sep) && file !== staticDir) {
      throw new HttpError(404, 'not_found', 'not found');
    }
    const isFile = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    // Client-side routes (e.g. /room/x) get the page itself; missing assets are real 404s.
    if (!isFile) {
      if (rel.startsWith('assets/')) throw new HttpError(404, 'not_found', `no asset ${url.pathname}`);
      file = join(staticDir, 'index.html');
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      throw new HttpError(
        503,
        'internal',
        `the console page is not built (${staticDir} is missing): run pnpm --filter @roomcrew/console build`,
      );
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(body);
  };

  const server = createServer((req, res) => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const url = new URL(req.url ?? '/', 'http://console.local');
    const started = performance.now();
    const handle = async () => {
      if (url.pathname.startsWith('/api/')) {
        const [status, body] = await api(req, url, client);
        sendJson(res, status, body);
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        await serveStatic(url, res);
      } else {
        throw new HttpError(405, 'bad_request', `${req.method} is not allowed here`);
      }
    };
    handle()
      .catch((e: unknown) => {
        if (e instanceof HttpError) {
          sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
          return;
        }
        log.error({ err: e, path: url.pathname }, 'console request failed');
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the server log' } });
      })
      .finally(() => {
        if (url.pathname.startsWith('/api/')) {
          log.debug(
            {
              method: req.method,
              path: url.pathname,
              status: res.statusCode,
              ms: performance.now() - started,
            },
            'api request',
          );
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 7890, opts.host ?? '127.0.0.1', () => resolve());
  });
  if (!existsSync(join(staticDir, 'index.html'))) {
    log.warn({ staticDir }, 'the console page is not built: run pnpm --filter @roomcrew/console build');
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  log.info({ url, operatorSignIn: config.operatorSignIn, livekit: config.livekitUrl }, 'console listening');
  return {
    url,
    port,
    pageBuilt: existsSync(join(staticDir, 'index.html')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
