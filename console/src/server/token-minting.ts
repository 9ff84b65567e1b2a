/**
 * `POST /api/token`: a short-lived LiveKit token for a fresh identity; an operator token (and its
 * operator session) only past the passcode guard. To wire real authentication instead of a
 * passcode, replace the guard check in `mint` with your identity provider's check.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Credentials, type Logger, operatorToken, participantToken } from '@roomcrew/shared';
import { type TokenResponse, tokenRequestSchema } from '../api.js';
import { durationMs } from './config.js';
import { HttpError, readJson, tooManyRequests } from './http-json.js';
import type { PasscodeGuard, PasscodeVerdict } from './passcode-guard.js';
import type { SessionSigner } from './sessions.js';

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

function refusal(v: Exclude<PasscodeVerdict, { ok: true }>): HttpError {
  switch (v.reason) {
    case 'wrong':
      return new HttpError(401, 'bad_passcode', 'wrong operator passcode');
    case 'client_locked':
      return tooManyRequests(
        (s) => `too many wrong passcodes from your address; try again in ${s} s`,
        v.retryAfterMs,
      );
    case 'global_locked':
      return tooManyRequests(
        (s) =>
          `operator sign-in is paused for everyone after too many wrong passcodes; try again in ${s} s ` +
          '(joining as a participant still works)',
        v.retryAfterMs,
      );
  }
}

export interface MinterOptions {
  livekit: Credentials;
  /** The LiveKit URL handed to the page. */
  livekitUrl: string;
  tokenTtl: string;
  /** Unset: operator sign-in is disabled. */
  guard: PasscodeGuard | undefined;
  signer: SessionSigner;
  log: Logger;
}

export function tokenMinter(o: MinterOptions) {
  const ttl = durationMs(o.tokenTtl);
  return async (req: IncomingMessage, client: string): Promise<TokenResponse> => {
    const body = await readJson(req, tokenRequestSchema);
    if (body.operator) {
      if (!o.guard) {
        throw new HttpError(403, 'operator_disabled', 'operator sign-in is not enabled on this server');
      }
      const verdict = await o.guard.check(client, body.passcode ?? '');
      if (!verdict.ok) {
        const context = { client, room: body.room, name: body.name };
        // Wrong guesses are worth a warning each; refusals while locked come in floods.
        if (verdict.reason === 'wrong') o.log.warn(context, 'wrong operator passcode');
        else o.log.debug({ ...context, reason: verdict.reason }, 'operator sign-in refused while locked');
        throw refusal(verdict);
      }
    }
    const identity = identityFor(body.name, body.operator);
    const grant = { room: body.room, identity, name: body.name, ttl: o.tokenTtl };
    const token = body.operator
      ? await operatorToken(o.livekit, grant)
      : await participantToken(o.livekit, grant);
    const expiresAt = Date.now() + ttl;
    o.log.info({ client, room: body.room, identity, operator: body.operator }, 'token issued');
    return {
      url: o.livekitUrl,
      room: body.room,
      identity,
      name: body.name,
      token,
      operator: body.operator,
      expiresAt,
      ...(body.operator ? { session: o.signer.sign({ room: body.room, identity, exp: expiresAt }) } : {}),
    };
  };
}
