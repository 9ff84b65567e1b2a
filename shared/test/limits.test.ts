import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../src/events.js';
import {
  exceedsUtf8Bytes,
  jsonDepthExceeds,
  LIMITS,
  LIVEKIT_MAX_RPC_PAYLOAD_BYTES,
  LogBudget,
  MAX_CHAT_MESSAGE_BYTES,
  MAX_CHAT_MESSAGE_CHARS,
  MAX_CREW_EVENT_BYTES,
  MAX_JSON_DEPTH,
  MAX_RPC_PAYLOAD_BYTES,
  RefusalCounts,
  utf8ByteLength,
} from '../src/limits.js';
import { parseCrewEvent } from '../src/parse-event.js';
import { rawEnvelope } from './fixtures.js';

const encoder = new TextEncoder();

describe('the caps', () => {
  it('keep a crew event inside one data packet and an RPC inside LiveKit’s own limit', () => {
    expect(MAX_CREW_EVENT_BYTES).toBe(MAX_EVENT_BYTES);
    expect(MAX_CREW_EVENT_BYTES).toBeLessThan(15 * 1024);
    expect(MAX_RPC_PAYLOAD_BYTES).toBeLessThan(LIVEKIT_MAX_RPC_PAYLOAD_BYTES);
    // the longest chat message in characters fits the byte cap whatever the characters
    expect(MAX_CHAT_MESSAGE_CHARS * 4).toBeLessThanOrEqual(MAX_CHAT_MESSAGE_BYTES);
    for (const v of Object.values(LIMITS)) expect(v).toBeGreaterThan(0);
  });
});

describe('utf8ByteLength', () => {
  const samples = ['', 'abc', 'é', '€', '😀', 'a😀b€é', '\ud800', '\udc00x', 'x\ud800', '\u0000'];
  it.each(samples)('agrees with TextEncoder for %j', (s) => {
    expect(utf8ByteLength(s)).toBe(encoder.encode(s).byteLength);
  });

  it('answers the cap question without encoding, at the edges', () => {
    expect(exceedsUtf8Bytes('a'.repeat(10), 10)).toBe(false);
    expect(exceedsUtf8Bytes('a'.repeat(11), 10)).toBe(true);
    expect(exceedsUtf8Bytes('€€€', 9)).toBe(false);
    expect(exceedsUtf8Bytes('€€€', 8)).toBe(true);
    expect(exceedsUtf8Bytes('😀😀', 8)).toBe(false);
    expect(exceedsUtf8Bytes('😀😀', 7)).toBe(true);
  });
});

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonDepthExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('[],[],[],[]', 1)).toBe(false);
  });

  it('refuses a deeply nested crew event before parsing it', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    const ok = JSON.stringify(rawEnvelope({ payload: { agent: 'a', x: 1 } })).replace('1}', `${deep}}`);
    // envelope + payload are two levels: the payload's value may nest MAX_JSON_DEPTH - 2 more
    const r = parseCrewEvent(ok);
    expect(r.ok ? undefined : r.error.code).toBe('too_deep');
    const shallow = `${'['.repeat(MAX_JSON_DEPTH - 2)}${']'.repeat(MAX_JSON_DEPTH - 2)}`;
    const fine = parseCrewEvent(
      JSON.stringify(rawEnvelope({ payload: { agent: 'a', x: 1 } })).replace('1}', `${shallow}}`),
    );
    expect(fine.ok ? 'ok' : fine.error.code).toBe('ok');
  });

  it('checks the byte size of a string event without encoding it', () => {
    const big = JSON.stringify(rawEnvelope({ payload: { agent: '€'.repeat(MAX_EVENT_BYTES / 3) } }));
    expect(big.length).toBeLessThan(MAX_EVENT_BYTES);
    const r = parseCrewEvent(big);
    expect(r.ok ? undefined : r.error.code).toBe('too_large');
  });
});

describe('RefusalCounts', () => {
  it('counts per reason', () => {
    const c = new RefusalCounts();
    expect(c.count('too_large')).toBe(1);
    expect(c.count('too_large')).toBe(2);
    c.count('timeout');
    expect(c.snapshot()).toEqual({ too_large: 2, timeout: 1 });
    expect(c.total).toBe(3);
  });
});

describe('LogBudget', () => {
  it('logs the first few per window and reports how many it held back', () => {
    let t = 0;
    const b = new LogBudget(2, 1000, 10, () => t);
    expect(b.take('mallory')).toEqual({ log: true, suppressed: 0 });
    expect(b.take('mallory')).toEqual({ log: true, suppressed: 0 });
    expect(b.take('mallory')).toEqual({ log: false, suppressed: 0 });
    expect(b.take('mallory')).toEqual({ log: false, suppressed: 0 });
    expect(b.take('alice')).toEqual({ log: true, suppressed: 0 }); // per sender
    t = 1000;
    expect(b.take('mallory')).toEqual({ log: true, suppressed: 2 });
  });

  it('forgets the oldest sender beyond its bound', () => {
    const b = new LogBudget(1, 1000, 2, () => 0);
    b.take('a');
    b.take('b');
    b.take('c'); // forgets a
    expect(b.take('a').log).toBe(true);
    expect(b.take('c').log).toBe(false);
  });
});
