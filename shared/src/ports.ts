/** Free loopback ports for servers the tests and benchmarks start. */
import { createSocket } from 'node:dgram';
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

/** A port free for both TCP and UDP on 127.0.0.1, not among `exclude`. */
export async function freePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tcpFree(0);
    if (port && !exclude.has(port) && (await udpFree(port))) return port;
  }
  throw new Error('could not find a free loopback port after 100 attempts');
}

export async function freePorts(n: number): Promise<number[]> {
  const taken = new Set<number>();
  for (let i = 0; i < n; i++) taken.add(await freePort(taken));
  return [...taken];
}
