/** Free loopback ports for servers the tests and benchmarks start. */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function tcpFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/**
 * Candidates come from below the kernel's ephemeral range: a port the OS hands out for "any port"
 * is one it also hands out as the source port of outgoing connections, so it could be taken again
 * between this check and the server binding it (seen in CI: "bind: address already in use").
 */
function candidatePort(): number {
  let ephemeralLow = 32768;
  try {
    ephemeralLow =
      Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    // not Linux: keep the common default
  }
  const high = Math.max(ephemeralLow, 11024);
  const low = Math.max(1024, high - 10_000);
  return low + Math.floor(Math.random() * (high - low));
}

/** A port free for both TCP and UDP on 127.0.0.1, not among `exclude`. */
export async function freePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tcpFree(candidatePort());
    if (port && !exclude.has(port) && (await udpFree(port))) return port;
  }
  throw new Error('could not find a free loopback port after 100 attempts');
}

export async function freePorts(n: number): Promise<number[]> {
  const taken = new Set<number>();
  for (let i = 0; i < n; i++) taken.add(await freePort(taken));
  return [...taken];
}
