/**
 * Who a request comes from, for rate limits and logs: the socket's peer address, unless that peer
 * is a proxy the operator told us to trust (CONSOLE_TRUSTED_PROXIES). Only then is
 * X-Forwarded-For read, and only its right-most address that is not itself a trusted proxy: every
 * address to the left of that one was written by the client and proves nothing.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * One canonical spelling per address, so one client cannot look like several: IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`) becomes IPv4, IPv6 is lower-case and compressed
 * (RFC 5952), and a port or zone some proxies append is dropped. Undefined when it is no address.
 */
export function normalizeIp(raw: string): string | undefined {
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed?.[1]) s = bracketed[1];
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  s = s.replace(/%[^%]*$/, '');
  const kind = isIP(s);
  if (kind === 4) return s;
  if (kind !== 6) return undefined;
  // The WHATWG URL parser writes IPv6 hosts in RFC 5952 form, embedded IPv4 as hex groups.
  const canonical = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const hi = Number.parseInt(mapped[1] ?? '0', 16);
  const lo = Number.parseInt(mapped[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * The key a client's limits are counted under: an IPv4 address, or an IPv6 address's /64 (one
 * subscriber's network: whoever holds one /64 has 2^64 addresses to spread guesses over).
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : address.split(':');
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** `CONSOLE_TRUSTED_PROXIES`: comma-separated addresses; throws naming the first bad one. */
export function parseTrustedProxies(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const ip = normalizeIp(s);
      if (!ip) throw new Error(`"${s}" is not an IP address`);
      return ip;
    });
}

export type ClientAddressOf = (req: IncomingMessage) => string;

/** Resolves requests to client addresses, trusting X-Forwarded-For from `trustedProxies` only. */
export function clientAddressResolver(trustedProxies: Iterable<string> = []): ClientAddressOf {
  const trusted = new Set([...trustedProxies].map((p) => normalizeIp(p) ?? p));
  return (req) => clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
}

export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: ReadonlySet<string>,
): string {
  const direct = (peer && normalizeIp(peer)) || 'unknown';
  if (!trusted.has(direct) || !forwardedFor) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  let client = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i] ?? '');
    // Garbage where a trusted proxy should have written an address: stop at the last hop we trust
    // rather than let the text become a client key of its own.
    if (!hop) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
