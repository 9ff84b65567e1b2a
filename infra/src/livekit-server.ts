/**
 * Starting and stopping a real livekit-server on loopback. The server exits 0 on startup errors
 * (e.g. a port in use), so readiness is polled over HTTP and the exit code is never trusted.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePorts, SETUP_COMMAND } from '@roomcrew/shared';
import { parse, stringify } from 'yaml';
import { type ManagedProcess, startProcess } from './child-processes.js';
import { TOOLS_BIN } from './paths.js';

export interface LiveKitServerOptions {
  /** Use this config file as is (the demo uses livekit.yaml); otherwise one is generated. */
  configFile?: string;
  port?: number;
  rtcTcpPort?: number;
  rtcUdpPort?: number;
  apiKey?: string;
  apiSecret?: string;
  /** Redis address (host:port) for multi-node setups. */
  redis?: string;
  /** Let the server API unmute tracks (tests drive mute/unmute from there). */
  enableRemoteUnmute?: boolean;
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface LiveKitServer {
  /** Websocket URL for clients and workers. */
  url: string;
  httpUrl: string;
  apiKey: string;
  apiSecret: string;
  ports: { http: number; rtcTcp: number; rtcUdp: number };
  process: ManagedProcess;
  stop(): Promise<void>;
}

export class LiveKitServerError extends Error {
  override name = 'LiveKitServerError';
}

export function livekitServerBinary(): string {
  return findExecutable(process.env.LIVEKIT_SERVER_BIN ?? join(TOOLS_BIN, 'livekit-server'), SETUP_COMMAND);
}

interface ServerConfig {
  port: number;
  rtc: { tcp_port: number; udp_port: number };
  keys: Record<string, string>;
}

function readConfigFile(path: string): ServerConfig {
  if (!existsSync(path)) throw new LiveKitServerError(`LiveKit config ${path} does not exist`);
  const cfg = parse(readFileSync(path, 'utf8')) as Partial<ServerConfig> | null;
  const key = Object.keys(cfg?.keys ?? {})[0];
  if (!cfg?.port || !cfg.rtc?.tcp_port || !cfg.rtc.udp_port || !key) {
    throw new LiveKitServerError(
      `${path} must set port, rtc.tcp_port, rtc.udp_port and at least one entry under keys`,
    );
  }
  return cfg as ServerConfig;
}

async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', () =>
      reject(
        new LiveKitServerError(
          `${what} port ${port} on 127.0.0.1 is in use; stop what holds it or choose other ports`,
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

async function waitReady(httpUrl: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) {
      throw new LiveKitServerError(
        `livekit-server exited during startup (its exit code says nothing); last output:\n${proc.tail()}`,
      );
    }
    try {
      const res = await fetch(httpUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok && (await res.text()).trim() === 'OK') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new LiveKitServerError(
    `livekit-server did not become ready within ${timeoutMs} ms; last output:\n${proc.tail()}`,
  );
}

export async function startLiveKitServer(opts: LiveKitServerOptions = {}): Promise<LiveKitServer> {
  const portsChosenHere = !opts.configFile && !opts.port && !opts.rtcTcpPort && !opts.rtcUdpPort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      // Free ports are checked, then bound by the server a moment later: someone else may have
      // taken one in between. Ports we chose ourselves can simply be chosen again.
      const raced = e instanceof LiveKitServerError && /address already in use/.test(e.message);
      if (!portsChosenHere || !raced || attempt >= 3) throw e;
    }
  }
}

async function startOnce(opts: LiveKitServerOptions): Promise<LiveKitServer> {
  const binary = livekitServerBinary();
  let cfg: ServerConfig;
  let configPath: string;
  if (opts.configFile) {
    cfg = readConfigFile(opts.configFile);
    configPath = opts.configFile;
  } else {
    const [p1, p2, p3] = await freePorts(3);
    const apiKey = opts.apiKey ?? `key-${randomBytes(4).toString('hex')}`;
    cfg = {
      port: opts.port ?? (p1 as number),
      rtc: { tcp_port: opts.rtcTcpPort ?? (p2 as number), udp_port: opts.rtcUdpPort ?? (p3 as number) },
      keys: { [apiKey]: opts.apiSecret ?? randomBytes(24).toString('hex') },
    };
    const full = {
      port: cfg.port,
      bind_addresses: ['127.0.0.1'],
      rtc: { ...cfg.rtc, use_external_ip: false, node_ip: '127.0.0.1' },
      keys: cfg.keys,
      logging: { level: 'info' },
      ...(opts.redis ? { redis: { address: opts.redis } } : {}),
      ...(opts.enableRemoteUnmute ? { room: { enable_remote_unmute: true } } : {}),
    };
    const dir = mkdtempSync(join(tmpdir(), 'roomcrew-livekit-'));
    configPath = join(dir, 'livekit.yaml');
    writeFileSync(configPath, stringify(full));
  }
  await assertPortFree(cfg.port, 'HTTP/signalling');
  await assertPortFree(cfg.rtc.tcp_port, 'RTC TCP');
  const [apiKey, apiSecret] = Object.entries(cfg.keys)[0] as [string, string];
  const proc = startProcess('livekit-server', binary, ['--config', configPath, '--bind', '127.0.0.1'], {
    logFile: opts.logFile,
  });
  const httpUrl = `http://127.0.0.1:${cfg.port}`;
  await waitReady(`${httpUrl}/`, proc, opts.readyTimeoutMs ?? 20_000);
  return {
    url: `ws://127.0.0.1:${cfg.port}`,
    httpUrl,
    apiKey,
    apiSecret,
    ports: { http: cfg.port, rtcTcp: cfg.rtc.tcp_port, rtcUdp: cfg.rtc.udp_port },
    process: proc,
    stop: () => proc.stop(),
  };
}
