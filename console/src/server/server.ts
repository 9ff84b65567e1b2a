/**
 * The console server: mints short-lived LiveKit tokens for the page (operator tokens only with
 * the passcode), runs the operator-only crew controls, and serves the built page. API keys never
 * leave this process. This file wires the parts together and owns the HTTP listener.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Credentials, createLogger, type Logger } from '@roomcrew/shared';
import type { ConsoleConfig } from '../api.js';
import { apiRoutes, type CrewControl } from './api-routes.js';
import { clientAddressResolver } from './client-address.js';
import { HttpError, sendJson } from './http-json.js';
import { PasscodeGuard, type PasscodeLimits } from './passcode-guard.js';
import { ApiRateLimiter } from './rate-limit.js';
import { readRequestPath } from './request-path.js';
import { SessionSigner } from './sessions.js';
import { DEFAULT_STATIC_DIR, staticFiles } from './static-files.js';
import { tokenMinter } from './token-minting.js';

export type { CrewControl } from './api-routes.js';
export type { PasscodeLimits } from './passcode-guard.js';

export interface ConsoleServerOptions {
  livekit: Credentials & { url: string };
  /** The LiveKit URL browsers connect to (default: livekit.url). */
  publicLivekitUrl?: string;
  control: CrewControl;
  /** Unset: nobody can get an operator token. */
  operatorPasscode?: string;
  /** Limits on wrong operator passcodes (defaults: DEFAULT_PASSCODE_LIMITS). */
  passcodeLimits?: Partial<PasscodeLimits>;
  /** Peers whose X-Forwarded-For names the client (default: none, the header is ignored). */
  trustedProxies?: readonly string[];
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

export async function startConsoleServer(opts: ConsoleServerOptions): Promise<ConsoleServer> {
  const log = opts.log ?? createLogger({ agent: 'console' });
  const signer = new SessionSigner();
  const page = staticFiles(opts.staticDir ?? DEFAULT_STATIC_DIR);
  const clientOf = clientAddressResolver(opts.trustedProxies);
  const config: ConsoleConfig = {
    livekitUrl: opts.publicLivekitUrl ?? opts.livekit.url,
    defaultRoom: opts.defaultRoom ?? 'roomcrew-demo',
    operatorSignIn: Boolean(opts.operatorPasscode),
  };
  const guard = opts.operatorPasscode
    ? new PasscodeGuard(opts.operatorPasscode, opts.passcodeLimits, log)
    : undefined;
  const api = apiRoutes({
    config,
    control: opts.control,
    limiter: new ApiRateLimiter(opts.rateLimit ?? 30),
    signer,
    log,
    mint: tokenMinter({
      livekit: opts.livekit,
      livekitUrl: config.livekitUrl,
      tokenTtl: opts.tokenTtl ?? '15m',
      guard,
      signer,
      log,
    }),
  });

  const server = createServer((req, res) => {
    const started = performance.now();
    let path = '';
    const handle = async () => {
      const target = readRequestPath(req.url);
      path = target.url.pathname;
      if (path.startsWith('/api/')) {
        const [status, body] = await api(req, target.url, clientOf(req));
        sendJson(res, status, body);
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        await page.serve(target.path, res);
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
        log.error({ err: e, path }, 'console request failed');
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error; see the server log' } });
      })
      .finally(() => {
        if (path.startsWith('/api/')) {
          log.debug(
            { method: req.method, path, status: res.statusCode, ms: performance.now() - started },
            'api request',
          );
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 7890, opts.host ?? '127.0.0.1', () => resolve());
  });
  if (!page.built()) {
    log.warn(
      { staticDir: opts.staticDir ?? DEFAULT_STATIC_DIR },
      'the console page is not built: run pnpm --filter @roomcrew/console build',
    );
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  log.info(
    {
      url,
      operatorSignIn: config.operatorSignIn,
      livekit: config.livekitUrl,
      trustedProxies: opts.trustedProxies ?? [],
      ...(guard ? { passcodeLimits: guard.limits } : {}),
    },
    'console listening',
  );
  return {
    url,
    port,
    pageBuilt: page.built(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
