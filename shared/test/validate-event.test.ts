import { describe, expect, it } from 'vitest';
import { AGENT_ONLY_TYPES, CREW_EVENT_TYPES, type CrewEvent, type CrewEventType } from '../src/events.js';
import { createCrewEvent, encodeCrewEvent } from '../src/parse-event.js';
import type { Result } from '../src/result.js';
import { CrewEventValidator, type EventSender, RecentIds, type Rejection } from '../src/validate-event.js';
import { ROOM, rawEnvelope, SENDER, samplePayloads } from './fixtures.js';

const agent: EventSender = { identity: SENDER, isAgent: true };

function event<T extends CrewEventType = 'crew.hello'>(
  type: T = 'crew.hello' as T,
  fields: { room?: string; from?: string } = {},
): CrewEvent<T> {
  return createCrewEvent(type, samplePayloads[type] as never, {
    room: fields.room ?? ROOM,
    from: fields.from ?? SENDER,
  });
}

function expectRejected(result: Result<CrewEvent, Rejection>, reason: Rejection['reason']): Rejection {
  if (result.ok) throw new Error(`expected rejection ${reason}, got ok`);
  expect(result.error.reason).toBe(reason);
  expect(result.error.message.length).toBeGreaterThan(0);
  return result.error;
}

function expectAccepted(result: Result<CrewEvent, Rejection>): CrewEvent {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.reason}: ${result.error.message}`);
  return result.value;
}

describe('CrewEventValidator.accept', () => {
  it.each(CREW_EVENT_TYPES)('accepts a genuine %s from the agent that sent it', (type) => {
    const v = new CrewEventValidator(ROOM);
    const e = event(type);
    expect(expectAccepted(v.accept(encodeCrewEvent(e), agent))).toEqual(e);
  });

  it('accepts string input too', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event();
    expect(expectAccepted(v.accept(JSON.stringify(e), agent))).toEqual(e);
  });

  it('passes parse failures through with their code', () => {
    const v = new CrewEventValidator(ROOM);
    expectRejected(v.accept('{', agent), 'not_json');
    expectRejected(v.accept('[]', agent), 'bad_envelope');
    expectRejected(v.accept(JSON.stringify(rawEnvelope({ v: 2 })), agent), 'unsupported_version');
    expectRejected(v.accept(JSON.stringify(rawEnvelope({ type: 'crew.nope' })), agent), 'unknown_type');
    expectRejected(v.accept(JSON.stringify(rawEnvelope({ payload: {} })), agent), 'bad_payload');
    expectRejected(v.accept('x'.repeat(20_000), agent), 'too_large');
  });

  it('rejects an event whose from is not the sender identity as forged_from', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event('tool.call', { from: 'crew-orchestrator' });
    const rej = expectRejected(
      v.accept(encodeCrewEvent(e), { identity: 'mallory-agent', isAgent: true }),
      'forged_from',
    );
    expect(rej.message).toContain('crew-orchestrator');
    expect(rej.message).toContain('mallory-agent');
  });

  it('lets the relaying orchestrator (isRelay and isAgent) forward another sender’s event', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event('transcript.segment', { from: 'crew-transcriber' });
    const relay: EventSender = { identity: 'crew-orchestrator', isAgent: true, isRelay: true };
    expect(expectAccepted(v.accept(encodeCrewEvent(e), relay))).toEqual(e);
  });

  it('does not trust a relay flag on a non-agent sender', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event('tool.call', { from: 'crew-orchestrator' });
    const human: EventSender = { identity: 'mallory', isAgent: false, isRelay: true };
    expectRejected(v.accept(encodeCrewEvent(e), human), 'forged_from');
  });

  it('does not treat isRelay false as a relay', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event('crew.hello', { from: 'someone-else' });
    expectRejected(v.accept(encodeCrewEvent(e), { ...agent, isRelay: false }), 'forged_from');
  });

  it('treats every crew event type as agent-only', () => {
    expect([...AGENT_ONLY_TYPES].sort()).toEqual([...CREW_EVENT_TYPES].sort());
  });

  it.each([...AGENT_ONLY_TYPES])('rejects %s from a non-agent participant as not_agent', (type) => {
    const v = new CrewEventValidator(ROOM);
    const e = event(type, { from: 'alice' });
    const rej = expectRejected(
      v.accept(encodeCrewEvent(e), { identity: 'alice', isAgent: false }),
      'not_agent',
    );
    expect(rej.message).toContain('alice');
    expect(rej.message).toContain(type);
  });

  it('rejects an event naming another room as wrong_room', () => {
    const v = new CrewEventValidator(ROOM);
    const e = event('crew.hello', { room: 'other-room' });
    const rej = expectRejected(v.accept(encodeCrewEvent(e), agent), 'wrong_room');
    expect(rej.message).toContain('other-room');
    expect(rej.message).toContain(ROOM);
  });

  it('rejects a replayed id as duplicate_id and accepts a different id', () => {
    const v = new CrewEventValidator(ROOM);
    const first = event();
    const bytes = encodeCrewEvent(first);
    expectAccepted(v.accept(bytes, agent));
    const rej = expectRejected(v.accept(bytes, agent), 'duplicate_id');
    expect(rej.message).toContain(first.id);

    // same id, different content: still a duplicate
    const sameId = { ...event('crew.state'), id: first.id };
    expectRejected(v.accept(encodeCrewEvent(sameId), agent), 'duplicate_id');

    const second = event();
    expect(second.id).not.toBe(first.id);
    expect(expectAccepted(v.accept(encodeCrewEvent(second), agent))).toEqual(second);
  });

  it('does not let a rejected event use up its id', () => {
    const v = new CrewEventValidator(ROOM);
    const genuine = event('tool.call');
    const forged = { ...genuine, from: 'mallory' };
    expectRejected(v.accept(encodeCrewEvent(forged), agent), 'forged_from');
    const wrongRoom = { ...genuine, room: 'elsewhere' };
    expectRejected(v.accept(encodeCrewEvent(wrongRoom), agent), 'wrong_room');
    expectRejected(v.accept(encodeCrewEvent(genuine), { identity: SENDER, isAgent: false }), 'not_agent');
    expectAccepted(v.accept(encodeCrewEvent(genuine), agent));
  });

  it('keeps duplicate detection per validator (per room)', () => {
    const e = event();
    const bytes = encodeCrewEvent(e);
    const a = new CrewEventValidator(ROOM);
    const b = new CrewEventValidator(ROOM);
    expectAccepted(a.accept(bytes, agent));
    expectAccepted(b.accept(bytes, agent));
    expectRejected(a.accept(bytes, agent), 'duplicate_id');
  });

  it('remembers only the most recent ids (bounded)', () => {
    const v = new CrewEventValidator(ROOM, 2);
    const [e1, e2, e3] = [event(), event(), event()].map((e) => encodeCrewEvent(e)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    expectAccepted(v.accept(e1, agent));
    expectAccepted(v.accept(e2, agent));
    expectAccepted(v.accept(e3, agent)); // evicts e1
    expectRejected(v.accept(e3, agent), 'duplicate_id');
    expectRejected(v.accept(e2, agent), 'duplicate_id');
    expectAccepted(v.accept(e1, agent)); // forgotten, so new again
  });

  it('never throws on garbage', () => {
    const v = new CrewEventValidator(ROOM);
    const inputs: (string | Uint8Array)[] = [
      '',
      'null',
      '[]',
      '42',
      '{}',
      new Uint8Array([0xff]),
      '"\ud800"',
    ];
    for (const raw of inputs) {
      let result: Result<CrewEvent, Rejection> | undefined;
      expect(() => {
        result = v.accept(raw, { identity: 'x', isAgent: false, isRelay: true });
      }).not.toThrow();
      expect(result?.ok).toBe(false);
    }
  });
});

describe('RecentIds', () => {
  it('reports new ids as true and repeats as false', () => {
    const ids = new RecentIds(10);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(false);
    expect(ids.size).toBe(2);
  });

  it('evicts the oldest id beyond capacity', () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) expect(ids.add(id)).toBe(true);
    expect(ids.size).toBe(3);
    // 'a' was evicted; b, c, d are remembered
    expect(ids.add('d')).toBe(false);
    expect(ids.add('c')).toBe(false);
    expect(ids.add('b')).toBe(false);
    expect(ids.add('a')).toBe(true); // evicts 'b', the oldest
    expect(ids.size).toBe(3);
    expect(ids.add('c')).toBe(false);
    expect(ids.add('b')).toBe(true);
  });

  it('never grows past its capacity', () => {
    const capacity = 100;
    const ids = new RecentIds(capacity);
    let maxSize = 0;
    for (let i = 0; i < 5_000; i++) {
      ids.add(`id-${i}`);
      maxSize = Math.max(maxSize, ids.size);
    }
    expect(maxSize).toBe(capacity);
    expect(ids.size).toBe(capacity);
    // the last `capacity` ids are the ones remembered
    expect(ids.add('id-4999')).toBe(false);
    expect(ids.add(`id-${5_000 - capacity}`)).toBe(false);
    expect(ids.add(`id-${5_000 - capacity - 1}`)).toBe(true);
  });

  it('defaults to a capacity of 10 000', () => {
    const ids = new RecentIds();
    for (let i = 0; i <= 10_000; i++) ids.add(String(i));
    expect(ids.size).toBe(10_000);
    expect(ids.add('0')).toBe(true);
    expect(ids.add('10000')).toBe(false);
  });
});
