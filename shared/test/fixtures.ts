/** Valid payloads for every crew event type, shared by the event tests. */
import type { CrewEventType, CrewPayload } from '../src/events.js';

export const samplePayloads: { [K in CrewEventType]: CrewPayload<K> } = {
  'crew.hello': { agent: 'crew-transcriber', version: '0.1.0' },
  'crew.state': {
    agent: 'crew-transcriber',
    state: 'ready',
    subscriptions: ['TR_audio1'],
    detail: { engine: 'pocketsphinx' },
  },
  'crew.refusal': {
    method: 'crew.transcript.get',
    caller: 'mallory',
    code: 2403,
    reason: 'permission',
    message: 'only operators and crew agents may read the transcript',
    payload: '{}',
    suppressed: 0,
  },
  'transcript.segment': {
    segmentId: 'SG_1',
    speaker: { identity: 'alice', name: 'Alice' },
    trackId: 'TR_audio1',
    text: 'hello everyone',
    language: 'en',
    startTime: 1.5,
    endTime: 2.75,
    confidence: 0.8,
    final: true,
    engine: 'pocketsphinx',
  },
  'vision.observation': {
    trackId: 'TR_video1',
    participant: 'bob',
    source: 'screen',
    frameTs: 1234,
    changeScore: 0.42,
    summary: 'a slide titled Q3 roadmap',
    fields: { ocr: 'Q3 roadmap' },
  },
  'reasoning.insight': { kind: 'summary', text: 'the team agreed on the roadmap', refs: ['SG_1'] },
  'reasoning.action_item': { owner: 'alice', text: 'send the slides', due: 'friday', refs: [] },
  'tool.call': { callId: 'call-1', tool: 'calendar.create', args: { title: 'sync', minutes: 30 } },
  'tool.result': { callId: 'call-1', tool: 'calendar.create', status: 'ok', result: { id: 'ev-9' } },
  'escalation.request': {
    escalationId: 'esc-1',
    tool: 'email.send',
    args: { to: 'all@example.com' },
    reason: 'sends mail outside the room',
    context: 'alice asked to mail the notes',
    recommended: 'approve',
    deadline: 1_700_000_000_000,
  },
  'escalation.update': { escalationId: 'esc-1', status: 'offered', operators: ['op-1'] },
  'escalation.decision': {
    escalationId: 'esc-1',
    decision: 'reject',
    note: 'not now',
    decidedBy: 'op-1',
    fallback: false,
  },
};

export const ROOM = 'room-1';
export const SENDER = 'crew-transcriber';

/** A raw envelope object (not validated) for hand-built wire inputs. */
export function rawEnvelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    id: 'evt-1',
    type: 'crew.hello',
    ts: 1_700_000_000_000,
    room: ROOM,
    from: SENDER,
    payload: { agent: SENDER },
    ...overrides,
  };
}
