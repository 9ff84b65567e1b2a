import { TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { ATTR_ROLE, ROLE_OPERATOR } from '../src/crew.js';
import { agentToken, operatorToken, participantToken } from '../src/tokens.js';

const creds = { apiKey: 'test-key', apiSecret: 'test-secret-that-is-long-enough-0123456789' };
const verifier = new TokenVerifier(creds.apiKey, creds.apiSecret);

interface Claims {
  sub?: string;
  iss?: string;
  exp?: number;
  nbf?: number;
  name?: string;
  kind?: string;
  attributes?: Record<string, string>;
  video?: Record<string, unknown>;
}

/** Decodes the JWT payload by hand (base64url of the middle part). */
function decodePayload(jwt: string): Claims {
  const parts = jwt.split('.');
  expect(parts).toHaveLength(3);
  return JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as Claims;
}

describe('participantToken', () => {
  it('grants joining the named room as the given identity', async () => {
    const jwt = await participantToken(creds, { room: 'standup', identity: 'alice', name: 'Alice' });
    const claims = decodePayload(jwt);
    expect(claims.sub).toBe('alice');
    expect(claims.iss).toBe(creds.apiKey);
    expect(claims.name).toBe('Alice');
    expect(claims.video?.roomJoin).toBe(true);
    expect(claims.video?.room).toBe('standup');
    expect(claims.video?.canPublish).toBe(true);
    expect(claims.video?.canSubscribe).toBe(true);
    expect(claims.video?.canPublishData).toBe(true);
    expect(claims.video?.agent).toBeUndefined();
    expect(claims.kind).toBeUndefined();
  });

  it('carries no crew.role attribute', async () => {
    const claims = decodePayload(await participantToken(creds, { room: 'standup', identity: 'alice' }));
    expect(claims.attributes?.[ATTR_ROLE]).toBeUndefined();
  });

  it('defaults the name to the identity and lives 15 minutes', async () => {
    const claims = decodePayload(await participantToken(creds, { room: 'r', identity: 'bob' }));
    expect(claims.name).toBe('bob');
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(15 * 60);
  });

  it('honours a custom ttl in seconds', async () => {
    const claims = decodePayload(await participantToken(creds, { room: 'r', identity: 'bob', ttl: 60 }));
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(60);
  });

  it('is signed with the API secret', async () => {
    const jwt = await participantToken(creds, { room: 'r', identity: 'bob' });
    const verified = await verifier.verify(jwt);
    expect(verified.video?.room).toBe('r');
    await expect(
      new TokenVerifier(creds.apiKey, 'another-secret-0123456789abcdef').verify(jwt),
    ).rejects.toThrow();
  });
});

describe('operatorToken', () => {
  it('carries the server-granted operator role and cannot update its own metadata', async () => {
    const jwt = await operatorToken(creds, { room: 'standup', identity: 'op-1' });
    const claims = await verifier.verify(jwt);
    expect(claims.attributes).toEqual({ [ATTR_ROLE]: ROLE_OPERATOR });
    expect(claims.attributes?.['crew.role']).toBe('operator');
    expect(claims.video?.canUpdateOwnMetadata).toBe(false);
    expect(claims.video?.roomJoin).toBe(true);
    expect(claims.video?.room).toBe('standup');
    expect(claims.sub).toBe('op-1');
    // the raw payload says the same thing
    const raw = decodePayload(jwt);
    expect(raw.attributes).toEqual({ 'crew.role': 'operator' });
    expect(raw.video?.canUpdateOwnMetadata).toBe(false);
  });

  it('is short-lived by default', async () => {
    const claims = decodePayload(await operatorToken(creds, { room: 'r', identity: 'op' }));
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(15 * 60);
  });
});

describe('agentToken', () => {
  it('joins as an agent participant', async () => {
    const jwt = await agentToken(creds, { room: 'standup', identity: 'bench-agent' });
    const claims = decodePayload(jwt);
    expect(claims.kind).toBe('agent');
    expect(claims.video?.agent).toBe(true);
    expect(claims.video?.roomJoin).toBe(true);
    expect(claims.video?.room).toBe('standup');
    expect(claims.sub).toBe('bench-agent');
    expect(claims.attributes?.[ATTR_ROLE]).toBeUndefined();
    const verified = await verifier.verify(jwt);
    expect(verified.kind).toBe('agent');
  });

  it('lives an hour by default', async () => {
    const claims = decodePayload(await agentToken(creds, { room: 'r', identity: 'a' }));
    expect((claims.exp ?? 0) - (claims.nbf ?? 0)).toBe(3600);
  });
});

describe('metadata rights', () => {
  it('lets neither a participant nor an operator write their own attributes (a role would be claimable)', async () => {
    const p = decodePayload(await participantToken(creds, { room: 'r', identity: 'p' }));
    const o = decodePayload(await operatorToken(creds, { room: 'r', identity: 'o' }));
    expect(p.video?.canUpdateOwnMetadata).toBe(false);
    expect(o.video?.canUpdateOwnMetadata).toBe(false);
  });
});
