import { describe, expect, it } from 'vitest';
import {
  AGENT_ONLY_TYPES,
  CREW_EVENT_TYPES,
  CREW_TOPIC,
  ENVELOPE_VERSION,
  envelopeSchema,
  HUMAN_TRIGGER_KINDS,
  isCrewEventType,
  MAX_EVENT_BYTES,
  MAX_TOOL_DESCRIPTION_CHARS,
  payloadSchemas,
  TRIGGER_KINDS,
} from '../src/events.js';
import { rawEnvelope, samplePayloads } from './fixtures.js';

describe('event contracts', () => {
  it('uses topic crew.v1 for envelope version 1', () => {
    expect(CREW_TOPIC).toBe(`crew.v${ENVELOPE_VERSION}`);
  });

  it('keeps one message under 14 KiB', () => {
    expect(MAX_EVENT_BYTES).toBe(14 * 1024);
  });

  it('registers the event types of the design', () => {
    for (const type of [
      'crew.hello',
      'crew.state',
      'crew.refusal',
      'transcript.segment',
      'vision.observation',
      'reasoning.insight',
      'reasoning.action_item',
      'tool.call',
      'tool.result',
      'escalation.request',
      'escalation.update',
      'escalation.decision',
    ]) {
      expect(CREW_EVENT_TYPES).toContain(type);
      expect(isCrewEventType(type)).toBe(true);
    }
    expect(CREW_EVENT_TYPES).toEqual(Object.keys(payloadSchemas));
  });

  it('never reuses a reserved lk.* name as an event type', () => {
    for (const type of CREW_EVENT_TYPES) expect(type.startsWith('lk.')).toBe(false);
  });

  it.each(['', 'crew', 'crew.hello ', 'CREW.HELLO', 'toString', '__proto__', 'constructor', 'valueOf'])(
    'isCrewEventType(%j) is false',
    (type) => {
      expect(isCrewEventType(type)).toBe(false);
    },
  );

  it('marks every type agent-only', () => {
    for (const type of CREW_EVENT_TYPES) expect(AGENT_ONLY_TYPES.has(type)).toBe(true);
    expect(AGENT_ONLY_TYPES.size).toBe(CREW_EVENT_TYPES.length);
  });

  it.each(CREW_EVENT_TYPES)('the %s sample payload matches its schema', (type) => {
    expect(payloadSchemas[type].safeParse(samplePayloads[type]).success).toBe(true);
  });

  it('envelopeSchema accepts a v1 envelope with an optional corr', () => {
    expect(envelopeSchema.safeParse(rawEnvelope()).success).toBe(true);
    expect(envelopeSchema.safeParse(rawEnvelope({ corr: 'c' })).success).toBe(true);
    expect(envelopeSchema.safeParse(rawEnvelope({ v: 2 })).success).toBe(false);
  });
});

describe('escalation.request provenance (issue 10)', () => {
  const schema = payloadSchemas['escalation.request'];
  const base = samplePayloads['escalation.request'];

  it('still parses a request without provenance (older senders)', () => {
    const parsed = schema.parse(base);
    expect(parsed.trigger).toBeUndefined();
    expect(parsed.toolInfo).toBeUndefined();
  });

  it('carries the trigger and keeps it when parsed (so the desk passes it on to operators)', () => {
    const payload = {
      ...base,
      recommended: 'reject',
      trigger: { kind: 'chat', from: 'mallory', name: 'Mallory', untrusted: true },
    };
    expect(schema.parse(payload).trigger).toEqual(payload.trigger);
    for (const kind of TRIGGER_KINDS) {
      expect(
        schema.safeParse({ ...base, recommended: 'reject', trigger: { kind, untrusted: true } }).success,
      ).toBe(true);
    }
  });

  it.each(HUMAN_TRIGGER_KINDS)(
    'a %s trigger is always untrusted, and never recommended for approval',
    (kind) => {
      const untrusted = { kind, from: 'p', untrusted: true };
      expect(schema.safeParse({ ...base, recommended: 'approve', trigger: untrusted }).success).toBe(false);
      expect(schema.safeParse({ ...base, recommended: 'reject', trigger: untrusted }).success).toBe(true);
      const err = schema.safeParse({
        ...base,
        recommended: 'reject',
        trigger: { ...untrusted, untrusted: false },
      });
      expect(err.success).toBe(false);
      expect(JSON.stringify(err.error?.issues)).toMatch(/untrusted content/);
    },
  );

  it('an operator or system trigger may be trusted and recommended for approval', () => {
    for (const kind of ['operator', 'system'] as const)
      expect(schema.safeParse({ ...base, trigger: { kind, untrusted: false } }).success).toBe(true);
  });

  it('rejects unknown trigger kinds and malformed triggers', () => {
    for (const trigger of [
      { kind: 'telepathy', untrusted: true },
      { kind: 'chat' },
      { kind: 'chat', untrusted: 'yes' },
      { kind: 'chat', from: '', untrusted: true },
    ])
      expect(schema.safeParse({ ...base, recommended: 'reject', trigger }).success).toBe(false);
  });

  it('bounds the tool description shown to operators, and defaults firstUse to false', () => {
    const toolInfo = { description: 'Store a note', server: 'notes' };
    expect(schema.parse({ ...base, toolInfo }).toolInfo).toEqual({ ...toolInfo, firstUse: false });
    const long = { ...toolInfo, description: 'x'.repeat(MAX_TOOL_DESCRIPTION_CHARS + 1) };
    expect(schema.safeParse({ ...base, toolInfo: long }).success).toBe(false);
    expect(MAX_TOOL_DESCRIPTION_CHARS).toBe(300);
  });
});
