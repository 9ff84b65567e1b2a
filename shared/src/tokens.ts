/** Access tokens for the three kinds of room members: participants, operators and agents. */
import { AccessToken } from 'livekit-server-sdk';
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

/** A person in the call: publish, subscribe, chat; may update their own name and metadata. */
export function participantToken(creds: Credentials, req: TokenRequest): Promise<string> {
  const at = new AccessToken(creds.apiKey, creds.apiSecret, {
    identity: req.identity,
    name: req.name ?? req.identity,
    ttl: req.ttl ?? DEFAULT_TTL,
  });
  at.addGrant({
    room: req.room,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  });
  return at.toJwt();
}

/**
 * An operator: the role is a server-granted attribute, and the operator may not change their own
 * metadata or attributes, so nobody can claim or drop the role from the client.
 */
export function operatorToken(creds: Credentials, req: TokenRequest): Promise<string> {
  const at = new AccessToken(creds.apiKey, creds.apiSecret, {
    identity: req.identity,
    name: req.name ?? req.identity,
    ttl: req.ttl ?? DEFAULT_TTL,
    attributes: { [ATTR_ROLE]: ROLE_OPERATOR },
  });
  at.addGrant({
    room: req.room,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
  });
  return at.toJwt();
}

/** An agent participant joining directly (not through a worker), e.g. tools and benchmarks. */
export function agentToken(creds: Credentials, req: TokenRequest): Promise<string> {
  const at = new AccessToken(creds.apiKey, creds.apiSecret, {
    identity: req.identity,
    name: req.name ?? req.identity,
    ttl: req.ttl ?? '1h',
  });
  at.kind = 'agent';
  at.addGrant({
    room: req.room,
    roomJoin: true,
    agent: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  });
  return at.toJwt();
}
