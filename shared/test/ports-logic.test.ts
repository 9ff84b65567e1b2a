/**
 * The search logic of freePort / freePorts, with the sockets replaced by fakes that hand out a
 * scripted sequence of ports (the OS rarely repeats a port, so this cannot be forced for real).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const script = vi.hoisted(() => ({
  tcpPorts: [] as number[],
  udpBusy: new Set<number>(),
  tcpCalls: 0,
}));

vi.mock('node:net', () => ({
  createServer: () => {
    let port: number | undefined;
    return {
      once: () => undefined,
      listen: (_port: number, _host: string, cb: () => void) => {
        script.tcpCalls++;
        port = script.tcpPorts.length > 1 ? script.tcpPorts.shift() : script.tcpPorts[0];
        cb();
      },
      address: () => ({ port }),
      close: (cb: () => void) => cb(),
    };
  },
}));

vi.mock('node:dgram', () => ({
  createSocket: () => {
    let onError: (() => void) | undefined;
    return {
      once: (_event: string, handler: () => void) => {
        onError = handler;
      },
      bind: (port: number, _host: string, cb: () => void) => {
        if (script.udpBusy.has(port)) onError?.();
        else cb();
      },
      close: (cb: () => void) => cb(),
    };
  },
}));

const { freePort, freePorts } = await import('../src/ports.js');

beforeEach(() => {
  script.tcpPorts = [];
  script.udpBusy = new Set();
  script.tcpCalls = 0;
});

describe('freePort search', () => {
  it('skips excluded ports', async () => {
    script.tcpPorts = [5001, 5001, 5002];
    expect(await freePort(new Set([5001]))).toBe(5002);
    expect(script.tcpCalls).toBe(3);
  });

  it('skips ports that are busy for UDP', async () => {
    script.tcpPorts = [6001, 6002];
    script.udpBusy.add(6001);
    expect(await freePort()).toBe(6002);
  });

  it('gives up after 100 attempts', async () => {
    script.tcpPorts = [7001];
    await expect(freePort(new Set([7001]))).rejects.toThrow(/100 attempts/);
    expect(script.tcpCalls).toBe(100);
  });

  it('freePorts never returns the same port twice', async () => {
    script.tcpPorts = [8001, 8001, 8002, 8001, 8002, 8003];
    expect(await freePorts(3)).toEqual([8001, 8002, 8003]);
  });
});
