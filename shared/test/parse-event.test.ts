import { describe, expect, it } from 'vitest';
import {
  CREW_EVENT_TYPES,
  type CrewEvent,
  type CrewEventType,
  ENVELOPE_VERSION,
  MAX_EVENT_BYTES,
} from '../src/events.js';
import {
  CrewEventError,
  type CrewEventErrorCode,
  createCrewEvent,
  encodeCrewEvent,
  parseCrewEvent,
} from '../src/parse-event.js';
import type { Result } from '../src/result.js';
import { ROOM, rawEnvelope, SENDER, samplePayloads } from './fixtures.js';

const encoder = new TextEncoder();

const ALL_CODES: CrewEventErrorCode[] = [
  'too_large',
  'not_json',
  'too_deep',
  'bad_envelope',
  'unsupported_version',
  'unknown_type',
  'bad_payload',
];

function expectError(result: Result<CrewEvent, CrewEventError>, code: CrewEventErrorCode): CrewEventError {
  if (result.ok) throw new Error(`expected error ${code}, got ok: ${JSON.stringify(result.value)}`);
  expect(result.error).toBeInstanceOf(CrewEventError);
  expect(result.error.code).toBe(code);
  expect(result.error.name).toBe('CrewEventError');
  expect(result.error.message.length).toBeGreaterThan(0);
  return result.error;
}

function expectOk(result: Result<CrewEvent, CrewEventError>): CrewEvent {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Matches an issue path in an error summary, e.g. "payload: ..." or "speaker.identity: ...". */
function namesField(field: string): RegExp {
  return new RegExp(`(^|[ ;])${field}[.:]`);
}

/** An insight event whose encoded size is exactly `bytes`. */
function eventOfSize(bytes: number): CrewEvent<'reasoning.insight'> {
  const probe = createCrewEvent(
    'reasoning.insight',
    { kind: 'note', text: 'x', refs: [] },
    { room: ROOM, from: SENDER },
  );
  const overhead = encoder.encode(JSON.stringify(probe)).byteLength - 1;
  const event = { ...probe, payload: { ...probe.payload, text: 'x'.repeat(bytes - overhead) } };
  expect(encoder.encode(JSON.stringify(event)).byteLength).toBe(bytes);
  return event;
}

describe('createCrewEvent / encodeCrewEvent / parseCrewEvent round trip', () => {
  it('has a sample for every registered event type', () => {
    expect(Object.keys(samplePayloads).sort()).toEqual([...CREW_EVENT_TYPES].sort());
  });

  it.each(CREW_EVENT_TYPES)('%s round-trips through bytes', (type) => {
    const event = createCrewEvent(type, samplePayloads[type] as never, { room: ROOM, from: SENDER });
    expect(event.type).toBe(type);
    expect(event.v).toBe(ENVELOPE_VERSION);
    expect(event.room).toBe(ROOM);
    expect(event.from).toBe(SENDER);
    expect(event.payload).toEqual(samplePayloads[type]);

    const bytes = encodeCrewEvent(event);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(event);

    const parsed = expectOk(parseCrewEvent(bytes));
    expect(parsed).toEqual(event);
  });

  it.each(CREW_EVENT_TYPES)('%s round-trips through a string and a Buffer', (type) => {
    const event = createCrewEvent(type, samplePayloads[type] as never, {
      room: ROOM,
      from: SENDER,
      corr: 'corr-7',
    });
    expect(event.corr).toBe('corr-7');
    expect(expectOk(parseCrewEvent(JSON.stringify(event)))).toEqual(event);
    expect(expectOk(parseCrewEvent(Buffer.from(JSON.stringify(event), 'utf8')))).toEqual(event);
  });

  it('gives every event a fresh id and a current integer timestamp', () => {
    const before = Date.now();
    const a = createCrewEvent('crew.hello', { agent: 'a' }, { room: ROOM, from: SENDER });
    const b = createCrewEvent('crew.hello', { agent: 'a' }, { room: ROOM, from: SENDER });
    const after = Date.now();
    expect(a.id).not.toBe(b.id);
    expect(a.id.length).toBeGreaterThan(0);
    for (const e of [a, b]) {
      expect(Number.isInteger(e.ts)).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(before);
      expect(e.ts).toBeLessThanOrEqual(after);
    }
  });

  it('omits corr when none (or an empty one) is given', () => {
    const a = createCrewEvent('crew.hello', { agent: 'a' }, { room: ROOM, from: SENDER });
    const b = createCrewEvent('crew.hello', { agent: 'a' }, { room: ROOM, from: SENDER, corr: '' });
    expect('corr' in a).toBe(false);
    expect('corr' in b).toBe(false);
    // and the result still parses (an empty corr would not)
    expectOk(parseCrewEvent(encodeCrewEvent(b)));
  });

  it('applies payload defaults and strips unknown payload keys', () => {
    const insight = createCrewEvent('reasoning.insight', { kind: 'note', text: 't' } as never, {
      room: ROOM,
      from: SENDER,
    });
    expect(insight.payload.refs).toEqual([]);
    const decision = createCrewEvent(
      'escalation.decision',
      { escalationId: 'e', decision: 'approve', decidedBy: 'op', extra: 1 } as never,
      { room: ROOM, from: SENDER },
    );
    expect(decision.payload.fallback).toBe(false);
    expect('extra' in decision.payload).toBe(false);
  });

  it('applies payload defaults when parsing wire input', () => {
    const parsed = expectOk(
      parseCrewEvent(
        JSON.stringify(
          rawEnvelope({
            type: 'vision.observation',
            payload: {
              trackId: 'TR_v',
              participant: 'bob',
              source: 'camera',
              frameTs: 1,
              changeScore: 0,
              summary: '',
            },
          }),
        ),
      ),
    );
    expect(parsed.type).toBe('vision.observation');
    if (parsed.type === 'vision.observation') expect(parsed.payload.fields).toEqual({});
  });
});

describe('createCrewEvent with a bad payload', () => {
  it.each(CREW_EVENT_TYPES)('%s throws on an empty payload', (type) => {
    expect(() => createCrewEvent(type, {} as never, { room: ROOM, from: SENDER })).toThrow();
  });

  it('throws on an out-of-range value', () => {
    expect(() =>
      createCrewEvent(
        'transcript.segment',
        { ...samplePayloads['transcript.segment'], confidence: 1.5 },
        { room: ROOM, from: SENDER },
      ),
    ).toThrow();
    expect(() =>
      createCrewEvent('crew.state', { ...samplePayloads['crew.state'], state: 'sleeping' } as never, {
        room: ROOM,
        from: SENDER,
      }),
    ).toThrow();
  });
});

describe('encodeCrewEvent size limit', () => {
  it('throws CrewEventError too_large for a huge payload', () => {
    const event = createCrewEvent(
      'reasoning.insight',
      { kind: 'note', text: 'x'.repeat(MAX_EVENT_BYTES * 2), refs: [] },
      { room: ROOM, from: SENDER },
    );
    let thrown: unknown;
    try {
      encodeCrewEvent(event);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CrewEventError);
    expect((thrown as CrewEventError).code).toBe('too_large');
    expect((thrown as CrewEventError).message).toContain('reasoning.insight');
  });

  it('accepts exactly MAX_EVENT_BYTES and rejects one byte more', () => {
    const atLimit = eventOfSize(MAX_EVENT_BYTES);
    const bytes = encodeCrewEvent(atLimit);
    expect(bytes.byteLength).toBe(MAX_EVENT_BYTES);
    expect(expectOk(parseCrewEvent(bytes))).toEqual(atLimit);

    const over = eventOfSize(MAX_EVENT_BYTES + 1);
    expect(() => encodeCrewEvent(over)).toThrow(CrewEventError);
  });

  it('counts bytes, not characters (multi-byte text)', () => {
    // 'é' is 2 bytes in UTF-8: this text has fewer characters than the limit but more bytes.
    const text = 'é'.repeat(Math.ceil(MAX_EVENT_BYTES / 2) + 10);
    expect(text.length).toBeLessThan(MAX_EVENT_BYTES);
    const event = createCrewEvent(
      'reasoning.insight',
      { kind: 'note', text, refs: [] },
      { room: ROOM, from: SENDER },
    );
    expect(() => encodeCrewEvent(event)).toThrow(CrewEventError);
  });
});

describe('parseCrewEvent errors', () => {
  it('rejects malformed JSON as not_json', () => {
    for (const raw of ['{', '{"v":1,', 'not json', "{'v':1}", '{"a":1}}', '']) {
      expectError(parseCrewEvent(raw), 'not_json');
      expectError(parseCrewEvent(encoder.encode(raw)), 'not_json');
    }
  });

  it('rejects bytes that are not UTF-8 as not_json', () => {
    expectError(parseCrewEvent(new Uint8Array([0xff, 0xfe, 0xfd])), 'not_json');
    // A valid event whose text contains an invalid UTF-8 sequence (0xC3 0x28): a lenient
    // decoder would replace it with U+FFFD and accept the event.
    const good = encoder.encode(JSON.stringify(rawEnvelope({ payload: { agent: 'AB' } })));
    const text = new TextDecoder().decode(good);
    const at = text.indexOf('AB');
    expect(at).toBeGreaterThan(0);
    const bad = Uint8Array.from(good);
    bad[at] = 0xc3;
    bad[at + 1] = 0x28;
    expectError(parseCrewEvent(bad), 'not_json');
    // sanity: the untouched bytes are accepted
    expectOk(parseCrewEvent(good));
  });

  it('rejects input over MAX_EVENT_BYTES as too_large, for strings and bytes', () => {
    const big = JSON.stringify(rawEnvelope({ payload: { agent: 'x'.repeat(MAX_EVENT_BYTES) } }));
    const err = expectError(parseCrewEvent(big), 'too_large');
    expect(err.message).toContain(String(MAX_EVENT_BYTES));
    expectError(parseCrewEvent(encoder.encode(big)), 'too_large');
    // size is checked before parsing: garbage that is too big is too_large, not not_json
    expectError(parseCrewEvent('{'.repeat(MAX_EVENT_BYTES + 1)), 'too_large');
    expectError(parseCrewEvent(new Uint8Array(MAX_EVENT_BYTES + 1).fill(0xff)), 'too_large');
  });

  it('measures string input in UTF-8 bytes', () => {
    const text = '€'.repeat(Math.ceil(MAX_EVENT_BYTES / 3) + 10); // 3 bytes each
    const raw = JSON.stringify(rawEnvelope({ payload: { agent: text } }));
    expect(raw.length).toBeLessThan(MAX_EVENT_BYTES);
    expectError(parseCrewEvent(raw), 'too_large');
  });

  it.each([2, 0, '1', 1.5, null])('rejects envelope version %j as unsupported_version', (v) => {
    const err = expectError(parseCrewEvent(JSON.stringify(rawEnvelope({ v }))), 'unsupported_version');
    expect(err.message).toContain(JSON.stringify(v));
  });

  it('reports an unsupported version even when the rest is not a v1 envelope', () => {
    expectError(parseCrewEvent('{"v":2,"anything":"else"}'), 'unsupported_version');
  });

  it.each(['v', 'id', 'type', 'ts', 'room', 'from', 'payload'])(
    'rejects a missing %s as bad_envelope',
    (field) => {
      const env = rawEnvelope();
      delete env[field];
      const err = expectError(parseCrewEvent(JSON.stringify(env)), 'bad_envelope');
      expect(err.message).toMatch(namesField(field));
    },
  );

  it.each([
    ['empty id', { id: '' }],
    ['overlong id', { id: 'i'.repeat(129) }],
    ['numeric id', { id: 7 }],
    ['negative ts', { ts: -1 }],
    ['fractional ts', { ts: 1.5 }],
    ['string ts', { ts: '1700000000000' }],
    ['empty room', { room: '' }],
    ['empty from', { from: '' }],
    ['empty corr', { corr: '' }],
    ['overlong type', { type: 't'.repeat(65) }],
    ['array payload', { payload: [] }],
    ['null payload', { payload: null }],
    ['string payload', { payload: 'hi' }],
  ])('rejects %s as bad_envelope', (_name, override) => {
    expectError(parseCrewEvent(JSON.stringify(rawEnvelope(override))), 'bad_envelope');
  });

  it.each(['crew.goodbye', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'rejects unknown type %s as unknown_type',
    (type) => {
      const err = expectError(parseCrewEvent(JSON.stringify(rawEnvelope({ type }))), 'unknown_type');
      expect(err.message).toContain(type);
    },
  );

  it.each(CREW_EVENT_TYPES)('rejects an empty %s payload as bad_payload', (type) => {
    const err = expectError(
      parseCrewEvent(JSON.stringify(rawEnvelope({ type, payload: {} }))),
      'bad_payload',
    );
    expect(err.message).toContain(type);
  });

  it.each<[CrewEventType, Record<string, unknown>, string]>([
    ['transcript.segment', { confidence: 2 }, 'confidence'],
    ['transcript.segment', { speaker: { identity: '', name: 'x' } }, 'speaker'],
    ['transcript.segment', { language: 'e' }, 'language'],
    ['vision.observation', { changeScore: -0.1 }, 'changeScore'],
    ['vision.observation', { source: 'microphone' }, 'source'],
    ['crew.state', { state: 'sleeping' }, 'state'],
    ['reasoning.insight', { text: '' }, 'text'],
    ['tool.result', { status: 'maybe' }, 'status'],
    ['escalation.request', { deadline: 0 }, 'deadline'],
    ['escalation.request', { recommended: 'takeover' }, 'recommended'],
    ['escalation.decision', { decidedBy: '' }, 'decidedBy'],
    ['tool.call', { args: 'rm -rf /' }, 'args'],
  ])('rejects %s with bad %j as bad_payload naming %s', (type, patch, field) => {
    const payload = { ...samplePayloads[type], ...patch };
    const err = expectError(parseCrewEvent(JSON.stringify(rawEnvelope({ type, payload }))), 'bad_payload');
    expect(err.message).toMatch(namesField(field));
  });
});

describe('parseCrewEvent never throws', () => {
  const depth = 6000;
  const garbage: [string, string | Uint8Array][] = [
    ['empty string', ''],
    ['null', 'null'],
    ['empty array', '[]'],
    ['number', '42'],
    ['string', '"crew"'],
    ['boolean', 'true'],
    ['empty object', '{}'],
    ['whitespace', '   \n\t'],
    ['nested arrays', `${'['.repeat(depth)}${']'.repeat(depth)}`],
    ['nested objects', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`],
    [
      'nested payload',
      JSON.stringify(rawEnvelope({ payload: { agent: 'a' } })).replace(
        '"a"}',
        `"a","x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      ),
    ],
    ['lone surrogate', '"\ud800"'],
    ['NUL bytes', new Uint8Array(64)],
    ['empty bytes', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 256 }, (_, i) => (i * 131 + 7) % 256)],
    ['prototype keys', '{"__proto__":{"v":1},"constructor":{"prototype":{}}}'],
  ];

  it.each(garbage)('%s yields a result', (_name, raw) => {
    let result: Result<CrewEvent, CrewEventError> | undefined;
    expect(() => {
      result = parseCrewEvent(raw);
    }).not.toThrow();
    expect(result).toBeDefined();
    if (result && !result.ok) {
      expect(result.error).toBeInstanceOf(CrewEventError);
      expect(ALL_CODES).toContain(result.error.code);
    }
  });

  it('classifies the simple garbage inputs', () => {
    expectError(parseCrewEvent(''), 'not_json');
    expectError(parseCrewEvent(new Uint8Array(0)), 'not_json');
    expectError(parseCrewEvent('null'), 'bad_envelope');
    expectError(parseCrewEvent('[]'), 'bad_envelope');
    expectError(parseCrewEvent('42'), 'bad_envelope');
    expectError(parseCrewEvent('{}'), 'bad_envelope');
    // Refused before parsing: relaying or auditing it would overflow JSON.stringify's stack.
    expectError(parseCrewEvent(`${'['.repeat(depth)}${']'.repeat(depth)}`), 'too_deep');
  });

  it('refuses deeply nested content inside an open-ended payload field', () => {
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const raw = JSON.stringify(
      rawEnvelope({ type: 'tool.call', payload: { callId: 'c', tool: 't', args: {} } }),
    ).replace('"args":{}', `"args":{"deep":${nested}}`);
    expect(encoder.encode(raw).byteLength).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    // It would parse, but relaying or auditing it would not: JSON.stringify overflows its stack.
    expect(() => JSON.stringify(JSON.parse(raw))).toThrow(RangeError);
    expectError(parseCrewEvent(raw), 'too_deep');
    const shallow = raw.replace(nested, '[[[]]]');
    expect(expectOk(parseCrewEvent(shallow)).type).toBe('tool.call');
  });

  it('does not let a __proto__ key in the payload change Object.prototype', () => {
    const raw = JSON.stringify(
      rawEnvelope({ type: 'tool.call', payload: { callId: 'c', tool: 't', args: {} } }),
    ).replace('"args":{}', '"args":{"__proto__":{"polluted":true}}');
    parseCrewEvent(raw);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
