/**
 * Who a request comes from: the socket's peer, unless that peer is a trusted proxy; a forged
 * X-Forwarded-For from anywhere else changes nothing, so it buys no new passcode budget.
 */
import type { IncomingMessage } from 'node:http';
import { ConfigError } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  clientAddressResolver,
  normalizeIp,
  parseTrustedProxies,
  rateLimitKey,
} from '../src/server/client-address.js';
import { consoleServerOptions, readConsoleEnv } from '../src/server/config.js';
import { PasscodeGuard } from '../src/server/passcode-guard.js';

const request = (peer: string, xff?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  }) as unknown as IncomingMessage;

describe('normalizeIp', () => {
  it('gives every address one spelling', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeIp(' 10.1.2.3 ')).toBe('10.1.2.3');
    expect(normalizeIp('10.1.2.3:5555')).toBe('10.1.2.3');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('::1')).toBe('::1');
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      'unknown',
      'example.com',
      '1.2.3',
      '999.1.1.1',
      '1.2.3.4.5',
      '::ffff:zz',
      '_hidden',
    ]) {
      expect(normalizeIp(bad), bad).toBeUndefined();
    }
  });
});

describe('clientAddress', () => {
  const none = new Set<string>();
  const proxy = new Set(['127.0.0.1']);

  it('ignores X-Forwarded-For entirely unless the peer is a trusted proxy', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', none)).toBe('203.0.113.5');
    expect(clientAddress('::ffff:127.0.0.1', '198.51.100.1', none)).toBe('127.0.0.1');
    expect(clientAddress('203.0.113.5', '198.51.100.1', proxy)).toBe('203.0.113.5');
    expect(clientAddress(undefined, '198.51.100.1', none)).toBe('unknown');
  });

  it('behind a trusted proxy, takes the right-most address that is not a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1', proxy)).toBe('198.51.100.1');
    // The IPv4-mapped spelling of the peer is the same proxy.
    expect(clientAddress('::ffff:127.0.0.1', '198.51.100.1', proxy)).toBe('198.51.100.1');
    // The client wrote the left part itself; only what our proxy appended counts.
    expect(clientAddress('127.0.0.1', '1.1.1.1, 2.2.2.2, 198.51.100.1', proxy)).toBe('198.51.100.1');
    // A chain of trusted proxies is skipped; repeated headers are one list.
    const chain = new Set(['127.0.0.1', '10.0.0.2']);
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.1, 10.0.0.2', chain)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', ['6.6.6.6', '198.51.100.1, 10.0.0.2'], chain)).toBe('198.51.100.1');
    expect(clientAddress('127.0.0.1', '::ffff:198.51.100.1', proxy)).toBe('198.51.100.1');
  });

  it('never turns garbage or an empty header into a client of its own', () => {
    expect(clientAddress('127.0.0.1', '', proxy)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'not-an-ip', proxy)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '198.51.100.1, garbage', proxy)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '127.0.0.1', proxy)).toBe('127.0.0.1');
  });
});

describe('a forged X-Forwarded-For', () => {
  it('from an untrusted peer gets no new passcode budget', async () => {
    const clientOf = clientAddressResolver([]);
    const guard = new PasscodeGuard('the right passcode');
    for (let i = 0; i < 5; i++) await guard.check(clientOf(request('203.0.113.5')), `guess-${i}`);
    for (let i = 0; i < 20; i++) {
      const forged = request('203.0.113.5', `198.51.100.${i}`);
      expect(await guard.check(clientOf(forged), `more-${i}`)).toMatchObject({ reason: 'client_locked' });
    }
    expect(
      await guard.check(clientOf(request('203.0.113.5', '192.0.2.1')), 'the right passcode'),
    ).toMatchObject({ reason: 'client_locked' });
  });

  it('through a trusted proxy names the client, so clients behind it have their own budgets', async () => {
    const clientOf = clientAddressResolver(['127.0.0.1']);
    const guard = new PasscodeGuard('the right passcode');
    for (let i = 0; i < 5; i++) await guard.check(clientOf(request('::ffff:127.0.0.1', '198.51.100.1')), 'x');
    expect(
      await guard.check(clientOf(request('127.0.0.1', '198.51.100.1')), 'the right passcode'),
    ).toMatchObject({
      reason: 'client_locked',
    });
    // Prepending another address does not escape: the proxy's own entry is still the right-most.
    expect(
      await guard.check(clientOf(request('127.0.0.1', '192.0.2.50, 198.51.100.1')), 'the right passcode'),
    ).toMatchObject({ reason: 'client_locked' });
    expect(await guard.check(clientOf(request('127.0.0.1', '198.51.100.2')), 'the right passcode')).toEqual({
      ok: true,
    });
  });
});

describe('CONSOLE_TRUSTED_PROXIES and the passcode limits from the environment', () => {
  it('are unset or default unless given, and validated when given', () => {
    const defaults = consoleServerOptions(readConsoleEnv({}));
    expect(defaults.trustedProxies).toEqual([]);
    expect(defaults.passcodeLimits).toEqual({
      perClient: 5,
      global: 30,
      lockoutMs: 60_000,
      maxLockoutMs: 3_600_000,
    });
    const set = consoleServerOptions(
      readConsoleEnv({
        CONSOLE_TRUSTED_PROXIES: '127.0.0.1, ::ffff:10.0.0.2,::1',
        CONSOLE_PASSCODE_CLIENT_LIMIT: '3',
        CONSOLE_PASSCODE_GLOBAL_LIMIT: '100',
        CONSOLE_PASSCODE_LOCKOUT: '30s',
        CONSOLE_PASSCODE_LOCKOUT_MAX: '2h',
      }),
    );
    expect(set.trustedProxies).toEqual(['127.0.0.1', '10.0.0.2', '::1']);
    expect(set.passcodeLimits).toEqual({
      perClient: 3,
      global: 100,
      lockoutMs: 30_000,
      maxLockoutMs: 7_200_000,
    });
    expect(() => readConsoleEnv({ CONSOLE_TRUSTED_PROXIES: '127.0.0.1,proxy.local' })).toThrow(ConfigError);
    expect(() => readConsoleEnv({ CONSOLE_PASSCODE_CLIENT_LIMIT: '0' })).toThrow(
      /CONSOLE_PASSCODE_CLIENT_LIMIT/,
    );
    expect(() => readConsoleEnv({ CONSOLE_PASSCODE_LOCKOUT: '0s' })).toThrow(/CONSOLE_PASSCODE_LOCKOUT/);
    expect(parseTrustedProxies(' 127.0.0.1 ,, ')).toEqual(['127.0.0.1']);
    expect(() => parseTrustedProxies('10.0.0.0/8')).toThrow(/not an IP address/);
  });
});

describe('rateLimitKey', () => {
  it('keys IPv4 by address and IPv6 by its /64, whatever the spelling', () => {
    expect(rateLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('2001:db8:1:3::1')).not.toBe(rateLimitKey('2001:db8:1:2::1'));
  });
});
