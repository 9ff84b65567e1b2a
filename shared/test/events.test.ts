import { describe, expect, it } from 'vitest';
import {
  AGENT_ONLY_TYPES,
  CREW_EVENT_TYPES,
  CREW_TOPIC,
  ENVELOPE_VERSION,
  envelopeSchema,
  isCrewEventType,
  MAX_EVENT_BYTES,
  payloadSchemas,
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
