import { describe, expect, it } from 'vitest';
import {
  decideRequestSchema,
  MAX_NOTE_CHARS,
  MAX_TOOL_ARGS_BYTES,
  parseTakeover,
  takeoverRequestSchema,
} from '../src/escalations.js';

describe('decideRequestSchema', () => {
  it('accepts approve with edited arguments and a note, and a bare reject', () => {
    const approve = decideRequestSchema.parse({
      escalationId: 'esc-1',
      decision: 'approve',
      args: { channel: '#ops', text: 'edited' },
      note: 'shortened the text',
    });
    expect(approve.args).toEqual({ channel: '#ops', text: 'edited' });
    expect(decideRequestSchema.parse({ escalationId: 'esc-1', decision: 'reject' }).decision).toBe('reject');
  });

  it('refuses unknown decisions, missing ids, oversized arguments and notes', () => {
    expect(decideRequestSchema.safeParse({ escalationId: 'e', decision: 'maybe' }).success).toBe(false);
    expect(decideRequestSchema.safeParse({ decision: 'approve' }).success).toBe(false);
    expect(decideRequestSchema.safeParse({ escalationId: '', decision: 'approve' }).success).toBe(false);
    const big = { text: 'x'.repeat(MAX_TOOL_ARGS_BYTES) };
    const tooBig = decideRequestSchema.safeParse({ escalationId: 'e', decision: 'approve', args: big });
    expect(tooBig.success).toBe(false);
    expect(JSON.stringify(tooBig.error?.issues)).toContain('exceed');
    const longNote = { escalationId: 'e', decision: 'reject', note: 'n'.repeat(MAX_NOTE_CHARS + 1) };
    expect(decideRequestSchema.safeParse(longNote).success).toBe(false);
    expect(decideRequestSchema.safeParse({ escalationId: 'e', decision: 'approve', args: [] }).success).toBe(
      false,
    );
  });
});

describe('takeover', () => {
  it('reads the orchestrator attribute and treats empty or garbage as nobody', () => {
    const state = { operator: 'op-1', name: 'Olivia', since: 1_700_000_000_000, reason: 'I drive' };
    expect(parseTakeover(JSON.stringify(state))).toEqual(state);
    expect(parseTakeover('')).toBeUndefined();
    expect(parseTakeover(undefined)).toBeUndefined();
    expect(parseTakeover('{not json')).toBeUndefined();
    expect(parseTakeover(JSON.stringify({ name: 'no operator' }))).toBeUndefined();
  });

  it('takes an optional bounded reason', () => {
    expect(takeoverRequestSchema.parse({})).toEqual({});
    expect(takeoverRequestSchema.safeParse({ reason: 'r'.repeat(MAX_NOTE_CHARS + 1) }).success).toBe(false);
  });
});
