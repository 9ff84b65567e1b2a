/**
 * The JSON API under /api/: routing, the general per-client rate limit, and the operator-only crew
 * controls (checked against the operator session and the server's word on every call).
 */

import type { IncomingMessage } from 'node:http';
import type { Logger } from '@roomcrew/shared';
import {
  type ConsoleConfig,
  type CrewStatus,
  crewRoomSchema,
  removeAgentSchema,
  type TokenResponse,
} from '../api.js';
import { rateLimitKey } from './client-address.js';
import { HttpError, parseOrThrow, readJson, tooManyRequests } from './http-json.js';
import type { ApiRateLimiter } from './rate-limit.js';
import type { OperatorSession, SessionSigner } from './sessions.js';

/** What operators can do to the crew; the CLI provides it on livekit-server-sdk. */
export interface CrewControl {
  status(room: string): Promise<CrewStatus>;
  dispatch(room: string): Promise<{ dispatchId: string; created: boolean }>;
  /** Removes an agent participant; false when the room has no agent with that identity. */
  remove(room: string, identity: string): Promise<boolean>;
  /**
   * What the LiveKit server says of a participant now: a server-granted operator, someone who is
   * not (or no longer) one, or not in the room.
   */
  roleOf(room: string, identity: string): Promise<'operator' | 'not_operator' | 'absent'>;
}

export interface ApiOptions {
  config: ConsoleConfig;
  control: CrewControl;
  limiter: ApiRateLimiter;
  mint: (req: IncomingMessage, client: string) => Promise<TokenResponse>;
  signer: SessionSigner;
  log: Logger;
}

export type ApiHandler = (req: IncomingMessage, url: URL, client: string) => Promise<[number, unknown]>;

export function apiRoutes(o: ApiOptions): ApiHandler {
  const { log } = o;

  const operatorFor = (req: IncomingMessage, room: string): OperatorSession => {
    const auth = req.headers.authorization ?? '';
    const session = auth.startsWith('Bearer ') ? o.signer.verify(auth.slice(7)) : undefined;
    if (!session) {
      throw new HttpError(401, 'unauthorized', 'operator session missing or expired: sign in as an operator');
    }
    if (session.room !== room) {
      throw new HttpError(
        403,
        'forbidden',
        `your operator session is for room "${session.room}", not "${room}"`,
      );
    }
    return session;
  };

  /**
   * The session, checked against the server's word: a session whose role the server has since
   * revoked is refused; changing the crew also needs its holder in the room as an operator.
   */
  const confirmedOperator = async (req: IncomingMessage, room: string, acting: boolean) => {
    const s = operatorFor(req, room);
    const role = await upstream(() => o.control.roleOf(room, s.identity));
    if (role === 'not_operator') {
      throw new HttpError(403, 'forbidden', 'you are no longer an operator in this room');
    }
    if (acting && role === 'absent') {
      throw new HttpError(403, 'forbidden', 'join the room as an operator to change its crew');
    }
    return s;
  };

  const upstream = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      log.error({ err: e }, 'LiveKit server API call failed');
      throw new HttpError(502, 'upstream', `the LiveKit server API failed: ${(e as Error).message}`);
    }
  };

  return async (req, url, client) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /api/config') return [200, o.config];
    const allowed = await o.limiter.take(rateLimitKey(client));
    if (!allowed.ok) throw tooManyRequests(() => 'too many requests; slow down', allowed.retryAfterMs);
    switch (route) {
      case 'POST /api/token':
        return [200, await o.mint(req, client)];
      case 'GET /api/crew': {
        const { room } = parseOrThrow(crewRoomSchema, { room: url.searchParams.get('room') ?? '' });
        await confirmedOperator(req, room, false);
        return [200, await upstream(() => o.control.status(room))];
      }
      case 'POST /api/crew/dispatch': {
        const { room } = await readJson(req, crewRoomSchema);
        const s = await confirmedOperator(req, room, true);
        const r = await upstream(() => o.control.dispatch(room));
        log.info({ room, by: s.identity, ...r }, 'crew dispatched from the console');
        return [200, r];
      }
      case 'POST /api/crew/remove': {
        const { room, identity } = await readJson(req, removeAgentSchema);
        const s = await confirmedOperator(req, room, true);
        if (!(await upstream(() => o.control.remove(room, identity)))) {
          throw new HttpError(404, 'not_found', `room "${room}" has no agent "${identity}"`);
        }
        log.info({ room, identity, by: s.identity }, 'agent removed from the console');
        return [200, { removed: identity }];
      }
      default:
        throw new HttpError(404, 'not_found', `no API endpoint ${route}`);
    }
  };
}
