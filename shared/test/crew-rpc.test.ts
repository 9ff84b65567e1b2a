import { RpcError } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { emptyRequestSchema, transcriptPageRequestSchema } from '../src/control.js';
import { parseRpcPayload } from '../src/crew-rpc.js';
import { decideRequestSchema, takeoverRequestSchema } from '../src/escalations.js';
import { RPC_ERROR, refusalOf } from '../src/rpc.js';

function refusal(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    return { code: Number((e as RpcError).code), message: (e as RpcError).message };
  }
  throw new Error('expected a refusal');
}

describe('parseRpcPayload', () => {
  it('takes an empty payload as {} and fills defaults', () => {
    expect(parseRpcPayload(emptyRequestSchema, '')).toEqual({});
    expect(parseRpcPayload(transcriptPageRequestSchema, '  ')).toEqual({ after: 0, limit: 100 });
  });

  it('refuses anything but {} for RPCs without arguments', () => {
    for (const p of ['{"x":1}', '[]', '1', 'null', '"ping"', '{"__proto__":{"admin":true}}']) {
      expect(refusal(() => parseRpcPayload(emptyRequestSchema, p)).code).toBe(RPC_ERROR.badRequest);
    }
  });

  it('refuses forged fields instead of ignoring them', () => {
    const forged = '{"escalationId":"e1","decision":"approve","decidedBy":"olivia"}';
    expect(refusal(() => parseRpcPayload(decideRequestSchema, forged)).message).toMatch(
      /decidedBy|unrecognized/i,
    );
    expect(refusal(() => parseRpcPayload(takeoverRequestSchema, '{"operator":"mallory"}')).code).toBe(
      RPC_ERROR.badRequest,
    );
  });

  it('refuses deep nesting before parsing it', () => {
    const deep = `{"escalationId":"e","decision":"approve","args":{"a":${'['.repeat(4000)}${']'.repeat(4000)}}}`;
    expect(refusal(() => parseRpcPayload(decideRequestSchema, deep)).message).toMatch(/deeper/);
  });

  it('says what is wrong with bad JSON', () => {
    expect(refusal(() => parseRpcPayload(decideRequestSchema, '{"escalationId": '))).toEqual({
      code: RPC_ERROR.badRequest,
      message: 'payload must be JSON',
    });
  });
});

describe('refusalOf', () => {
  it('names each crew error code, and anything else as failed', () => {
    expect(refusalOf(RPC_ERROR.permissionDenied)).toBe('permission');
    expect(refusalOf(RPC_ERROR.badRequest)).toBe('bad_request');
    expect(refusalOf(RPC_ERROR.tooLarge)).toBe('too_large');
    expect(refusalOf(RPC_ERROR.notFound)).toBe('not_found');
    expect(refusalOf(RPC_ERROR.conflict)).toBe('conflict');
    expect(refusalOf(1500)).toBe('failed');
  });
});
