/**
 * The console's operator passcode against guessing, over real HTTP against a real console server
 * (configured from environment variables, as `roomcrew console` is) and a real livekit-server:
 * a limited client is refused before its passcode is checked, a guesser spread over 50 addresses
 * trips the global limit, a forged X-Forwarded-For buys nothing, and malformed paths are 400s.
 * No workers and no browser: the HTTP API is all this needs.
 */
import { connect } from 'node:net';
import { Room } from '@livekit/rtc-node';
import { consoleCrewControl, type ServerTarget, setOperator } from '@roomcrew/cli';
import {
  type ConsoleServer,
  consoleServerOptions,
  readConsoleEnv,
  startConsoleServer,
  type TokenResponse,
} from '@roomcrew/console';
import { type LiveKitServer, startLiveKitServer } from '@roomcrew/infra';
import { ATTR_ROLE, createLogger, ROLE_OPERATOR } from '@roomcrew/shared';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { artifactsDir } from '../support/crew-harness.js';
import { sleep } from '../support/wait.js';

const PASSCODE = 'passcode-e2e-correct';
const ROOM = 'console-passcode';

let lk: LiveKitServer;
let target: ServerTarget;
const servers: ConsoleServer[] = [];

beforeAll(async () => {
  const artifacts = artifactsDir('console-passcode');
  lk = await startLiveKitServer({ logFile: `${artifacts}/livekit-server.log` });
  target = { url: lk.url, apiKey: lk.apiKey, apiSecret: lk.apiSecret };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await lk?.stop();
});

/**
 * A console server from these environment variables, as the CLI reads them; the general API limit
 * is raised so that what answers the guesses is the passcode guard. Records error-level logs.
 */
async function consoleFrom(env: Record<string, string> = {}) {
  const c = readConsoleEnv({
    CONSOLE_PORT: '0',
    CONSOLE_RATE_LIMIT: '10000',
    CREW_OPERATOR_PASSCODE: PASSCODE,
    ...env,
  });
  const log = createLogger({ agent: 'console' }, 'error');
  const errors = vi.spyOn(log, 'error');
  const web = await startConsoleServer({
    livekit: target,
    control: consoleCrewControl(target),
    ...consoleServerOptions(c),
    ...(c.CREW_OPERATOR_PASSCODE ? { operatorPasscode: c.CREW_OPERATOR_PASSCODE } : {}),
    log,
  });
  servers.push(web);
  return { web, errors };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { error?: { code: string; message: string } } & Partial<TokenResponse>;
}

async function askToken(
  web: ConsoleServer,
  body: { passcode?: string; operator?: boolean },
  forwardedFor?: string,
): Promise<Answer> {
  const res = await fetch(`${web.url}/api/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}),
    },
    body: JSON.stringify({ room: ROOM, name: 'Mallory', operator: true, ...body }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Answer['body'],
  };
}

/** Sends the guesses `concurrency` at a time; counts answers by status, and tokens. */
async function guessAll(
  web: ConsoleServer,
  guesses: { passcode: string; forwardedFor?: string }[],
  concurrency = 25,
) {
  const answers: Answer[] = [];
  for (let i = 0; i < guesses.length; i += concurrency) {
    answers.push(
      ...(await Promise.all(
        guesses.slice(i, i + concurrency).map((g) => askToken(web, { passcode: g.passcode }, g.forwardedFor)),
      )),
    );
  }
  const byStatus: Record<number, number> = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  return { byStatus, tokens: answers.filter((a) => a.body.token).length, answers };
}

async function roleOf(token: string): Promise<string | undefined> {
  const claims = await new TokenVerifier(target.apiKey, target.apiSecret).verify(token);
  return claims.attributes?.[ATTR_ROLE];
}

describe('console passcode: one address', () => {
  it('1000 wrong guesses never get a token, and the right passcode while limited is refused', async () => {
    const { web, errors } = await consoleFrom();
    const wrong = Array.from({ length: 1000 }, (_, i) => ({ passcode: `guess-${i}` }));
    const { byStatus, tokens } = await guessAll(web, wrong);
    console.log(`one address, 1000 wrong guesses: ${JSON.stringify(byStatus)}, tokens: ${tokens}`);
    expect(tokens).toBe(0);
    expect(byStatus).toEqual({ 401: 5, 429: 995 });

    const right = await askToken(web, { passcode: PASSCODE });
    expect(right.status).toBe(429);
    expect(right.body.token).toBeUndefined();
    expect(right.body.error?.message).toMatch(/too many wrong passcodes from your address/);
    expect(Number(right.retryAfter)).toBeGreaterThan(50);
    // Participants from the same address are not affected.
    const participant = await askToken(web, { operator: false });
    expect(participant.status).toBe(200);
    expect(await roleOf(participant.body.token ?? '')).toBeUndefined();
    expect(errors).not.toHaveBeenCalled();
  });

  it('lets the client in after its lockout, and the next lockout is twice as long', async () => {
    const { web } = await consoleFrom({ CONSOLE_PASSCODE_LOCKOUT: '2s' });
    const first = await guessAll(
      web,
      Array.from({ length: 6 }, (_, i) => ({ passcode: `guess-${i}` })),
      1,
    );
    expect(first.byStatus).toEqual({ 401: 5, 429: 1 });
    expect((await askToken(web, { passcode: PASSCODE })).status).toBe(429);
    await sleep(2100);
    const ok = await askToken(web, { passcode: PASSCODE });
    expect(ok.status).toBe(200);
    expect(await roleOf(ok.body.token ?? '')).toBe(ROLE_OPERATOR);
    // The operator session works against the real server.
    const crew = await fetch(`${web.url}/api/crew?room=${ROOM}`, {
      headers: { Authorization: `Bearer ${ok.body.session}` },
    });
    expect(crew.status).toBe(200);

    await guessAll(
      web,
      Array.from({ length: 5 }, (_, i) => ({ passcode: `again-${i}` })),
      1,
    );
    const locked = await askToken(web, { passcode: PASSCODE });
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBe(4);
  });
});

describe('console passcode: many addresses', () => {
  it('1000 guesses over 50 addresses get no token, and the right passcode from a fresh address is refused during the global lockout', async () => {
    const { web, errors } = await consoleFrom({ CONSOLE_TRUSTED_PROXIES: '127.0.0.1' });
    const guesses = [];
    for (let round = 0; round < 20; round++) {
      for (let a = 1; a <= 50; a++)
        guesses.push({ passcode: `g-${round}-${a}`, forwardedFor: `198.51.100.${a}` });
    }
    const { byStatus, tokens } = await guessAll(web, guesses);
    console.log(`50 addresses × 20 wrong guesses: ${JSON.stringify(byStatus)}, tokens: ${tokens}`);
    expect(tokens).toBe(0);
    expect(byStatus).toEqual({ 401: 30, 429: 970 });

    const fresh = await askToken(web, { passcode: PASSCODE }, '192.0.2.77');
    expect(fresh.status).toBe(429);
    expect(fresh.body.token).toBeUndefined();
    expect(fresh.body.error?.message).toMatch(/paused for everyone/);
    expect(Number(fresh.retryAfter)).toBeGreaterThan(50);
    // Participant tokens keep working for everyone.
    const participant = await askToken(web, { operator: false }, '192.0.2.78');
    expect(participant.status).toBe(200);
    expect(await roleOf(participant.body.token ?? '')).toBeUndefined();
    expect(errors).not.toHaveBeenCalled();
  });

  it('a forged X-Forwarded-For from an untrusted peer does not reset the limit', async () => {
    const { web } = await consoleFrom();
    const plain = await guessAll(
      web,
      Array.from({ length: 5 }, (_, i) => ({ passcode: `guess-${i}` })),
    );
    expect(plain.byStatus).toEqual({ 401: 5 });
    const forged = await guessAll(
      web,
      Array.from({ length: 50 }, (_, i) => ({ passcode: `forged-${i}`, forwardedFor: `203.0.113.${i + 1}` })),
    );
    console.log(`forged X-Forwarded-For after the limit: ${JSON.stringify(forged.byStatus)}`);
    expect(forged.byStatus).toEqual({ 429: 50 });
    const right = await askToken(web, { passcode: PASSCODE }, '192.0.2.200');
    expect(right.status).toBe(429);
    expect(right.body.error?.message).toMatch(/from your address/);
  });
});

/** One raw HTTP/1.1 request line; the status line of the answer. */
function rawRequest(web: ConsoleServer, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(web.port, '127.0.0.1', () =>
      s.write(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let got = '';
    s.on('data', (d) => {
      got += d;
    });
    s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
    s.on('error', reject);
  });
}

describe('console paths', () => {
  it('answers malformed %-escapes with 400 and logs no error', async () => {
    const { web, errors } = await consoleFrom();
    for (const path of [
      '/%zz',
      '/%E0%A4%A',
      '/api/%zz',
      '/assets/%zz',
      '/room/%C0%AF',
      '/%',
      '/api/token%',
    ]) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${web.url}${path}`, { method });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(body.error.code).toBe('bad_request');
        expect(body.error.message).toMatch(/malformed %-escape/);
      }
    }
    // Targets that are no URL at all, which used to throw outside the handler.
    expect(await rawRequest(web, 'GET http://[ HTTP/1.1')).toBe('HTTP/1.1 400 Bad Request');
    expect(await rawRequest(web, 'GET * HTTP/1.1')).toBe('HTTP/1.1 400 Bad Request');
    // Well-formed escapes still work, and the server is alive.
    expect((await fetch(`${web.url}/room/caf%C3%A9`)).status).toBe(200);
    expect((await fetch(`${web.url}/api/config`)).status).toBe(200);
    expect(errors).not.toHaveBeenCalled();
  });
});

describe('operator sessions follow the server', () => {
  it('a revoked operator is refused by the crew controls; changing the crew needs the operator in the room', async () => {
    const { web } = await consoleFrom();
    const got = await askToken(web, { passcode: PASSCODE });
    expect(got.status).toBe(200);
    const auth = { Authorization: `Bearer ${got.body.session}`, 'Content-Type': 'application/json' };
    const dispatch = () =>
      fetch(`${web.url}/api/crew/dispatch`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ room: ROOM }),
      });
    const status = () => fetch(`${web.url}/api/crew?room=${ROOM}`, { headers: auth });

    // Not in the room yet: reading is fine, changing the crew is not.
    expect((await status()).status).toBe(200);
    const absent = await dispatch();
    expect(absent.status).toBe(403);
    expect(((await absent.json()) as { error: { message: string } }).error.message).toMatch(/join the room/);

    const room = new Room();
    await room.connect(lk.url, got.body.token ?? '', { autoSubscribe: false, dynacast: false });
    try {
      expect((await dispatch()).status).toBe(200);
      await setOperator(target, ROOM, room.localParticipant?.identity ?? '', false);
      const revoked = await status();
      expect(revoked.status).toBe(403);
      expect(((await revoked.json()) as { error: { message: string } }).error.message).toMatch(
        /no longer an operator/,
      );
      expect((await dispatch()).status).toBe(403);
    } finally {
      await room.disconnect();
    }
  });
});
