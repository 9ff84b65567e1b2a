import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../src/ports.js';

function bindTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve(sock));
  });
}

describe('freePorts', () => {
  it('returns 3 distinct ports that can be bound for TCP and UDP', async () => {
    const ports = await freePorts(3);
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(3);
    const tcp: Server[] = [];
    const udp: Socket[] = [];
    try {
      for (const port of ports) {
        expect(Number.isInteger(port)).toBe(true);
        expect(port).toBeGreaterThan(0);
        expect(port).toBeLessThan(65536);
        tcp.push(await bindTcp(port));
        udp.push(await bindUdp(port));
      }
      for (const [i, srv] of tcp.entries()) {
        const addr = srv.address();
        expect(typeof addr === 'object' && addr ? addr.port : undefined).toBe(ports[i]);
      }
    } finally {
      await Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await Promise.all(udp.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });

  it('returns an empty list for 0', async () => {
    expect(await freePorts(0)).toEqual([]);
  });
});

describe('freePort', () => {
  it('never returns an excluded port', async () => {
    const first = await freePort();
    const exclude = new Set([first]);
    for (let i = 0; i < 20; i++) {
      const p = await freePort(exclude);
      expect(exclude.has(p)).toBe(false);
      exclude.add(p);
    }
    expect(exclude.size).toBe(21);
  });

  it('does not return a port that is in use', async () => {
    const held = await bindTcp(0);
    try {
      const addr = held.address();
      const heldPort = typeof addr === 'object' && addr ? addr.port : -1;
      for (let i = 0; i < 10; i++) expect(await freePort()).not.toBe(heldPort);
    } finally {
      await new Promise<void>((r) => held.close(() => r()));
    }
  });
});
