/** Access tokens for the three kinds of room members: participants, operators and agents. */
import { AccessToken, type VideoGrant } from 'livekit-server-sdk';
import { ATTR_ROLE, ROLE_OPERATOR } from './crew.js';

export interface Credentials {
  apiKey: string;
  apiSecret: string;
}

export interface TokenRequest {
  room: string;
  identity: string;
  name?: string;
  /** Token lifetime; short by default because tokens reach browsers. */
  ttl?: string | number;
}

const DEFAULT_TTL = '15m';

interface Shape {
  ttl: string | number;
  attributes?: Record<string, string>;
  kind?: string;
  grant: Omit<VideoGrant, 'room' | 'roomJoin'>;
}

function mint(creds: Credentials, req: TokenRequest, shape: Shape): Promise<string> {
  const at = new AccessToken(creds.apiKey, creds.apiSecret, {
    identity: req.identity,
    name: req.name ?? req.identity,
    ttl: req.ttl ?? shape.ttl,
    ...(shape.attributes ? { attributes: shape.attributes } : {}),
  });
  if (shape.kind) at.kind = shape.kind;
  at.addGrant({ room: req.room, roomJoin: true, ...shape.grant });
  return at.toJwt();
}

const MEDIA = { canPublish: true, canSubscribe: true, canPublishData: true };

/**
 * A person in the call: publish, subscribe, chat. Their display name is set here, at join; they
 * may not update their own name, metadata or attributes, so the server can later grant them the
 * operator role mid-call without anything they set on themselves counting (crew-authority.ts).
 */
export function participantToken(creds: Credentials, req: TokenRequest): Promise<string> {
  return mint(creds, req, { ttl: DEFAULT_TTL, grant: { ...MEDIA, canUpdateOwnMetadata: false } });
}

/**
 * An operator: the role is a server-granted attribute, and the operator may not change their own
 * metadata or attributes, so nobody can claim or drop the role from the client.
 */
export function operatorToken(creds: Credentials, req: TokenRequest): Promise<string> {
  return mint(creds, req, {
    ttl: DEFAULT_TTL,
    attributes: { [ATTR_ROLE]: ROLE_OPERATOR },
    grant: { ...MEDIA, canUpdateOwnMetadata: false },
  });
}

/** An agent participant joining directly (not through a worker), e.g. tools and benchmarks. */
export function agentToken(creds: Credentials, req: TokenRequest): Promise<string> {
  return mint(creds, req, {
    ttl: '1h',
    kind: 'agent',
    grant: { ...MEDIA, agent: true, canUpdateOwnMetadata: true },
  });
}
