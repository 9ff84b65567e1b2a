/**
 * The orchestrator's gate: malformed, oversized, wrong-version, forged and not-allowed events are
 * rejected and counted, valid ones keep flowing to their subscribers, and control RPCs refuse
 * callers who are neither operators nor agents.
 */
import { type Room, RpcError } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  CREW_TOPIC,
  createCrewEvent,
  encodeCrewEvent,
  MAX_EVENT_BYTES,
  RPC,
  RPC_ERROR,
} from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';

const ROOM = 'routing-1';
let crew: Crew;
let operator: Room;
let human: Room;
let probe: Room;
let orchestrator: string;

const encoder = new TextEncoder();

function segment(from: string, text: string) {
  return createCrewEvent(
    'transcript.segment',
    {
      segmentId: `SG_${text.replaceAll(' ', '')}`,
      speaker: { identity: 'someone', name: 'Someone' },
      trackId: 'TR_x',
      text,
      language: 'en-US',
      startTime: 0,
      endTime: 1,
      final: true,
      engine: 'test',
    },
    { room: ROOM, from },
  );
}

async function send(room: Room, bytes: Uint8Array): Promise<void> {
  await room.localParticipant!.publishData(bytes, {
    reliable: true,
    topic: CREW_TOPIC,
    destination_identities: [orchestrator],
  });
}

async function stats(caller: Room): Promise<{
  rejected: Record<string, number>;
  routed: Record<string, number>;
}> {
  return JSON.parse(
    await caller.localParticipant!.performRpc({
      destinationIdentity: orchestrator,
      method: RPC.controlStats,
      payload: '',
    }),
  );
}

beforeAll(async () => {
  crew = await startCrew('routing', { roles: [AGENT_NAMES.orchestrator] });
  await dispatchCrew(crew.target, ROOM, { agents: [] });
  operator = await join(crew.target, ROOM, 'op', 'operator');
  human = await join(crew.target, ROOM, 'mallory');
  probe = await join(crew.target, ROOM, 'agent-probe', 'agent');
  orchestrator = await waitFor(
    () =>
      [...operator.remoteParticipants.values()].find(
        (p) => p.attributes['lk.agent.name'] === AGENT_NAMES.orchestrator,
      )?.identity,
    'the orchestrator',
  );
});

afterAll(async () => {
  for (const r of [operator, human, probe]) await r?.disconnect().catch(() => undefined);
  await crew?.stop();
});

describe('orchestrator routing', () => {
  it('rejects and counts bad events, and goes on routing valid ones', async () => {
    const received = collectCrewEvents(operator);
    await send(human, encoder.encode('{"v":1,"id":'));
    await send(human, encoder.encode(JSON.stringify({ pad: 'x'.repeat(MAX_EVENT_BYTES) })));
    await send(human, encoder.encode(JSON.stringify({ ...segment('mallory', 'future'), v: 2 })));
    await send(human, encodeCrewEvent(segment('agent-probe', 'forged')));
    await send(human, encodeCrewEvent(segment('mallory', 'human says')));
    const valid = segment('agent-probe', 'valid after garbage');
    await send(probe, encodeCrewEvent(valid));
    await send(probe, encodeCrewEvent(valid)); // same id again

    const delivered = await waitFor(
      () => received.find((r) => r.event.id === valid.id),
      'the valid event at the operator',
    );
    expect(delivered.via).toBe(orchestrator);
    expect(delivered.event).toEqual(valid);

    const s = await waitFor(async () => {
      const st = await stats(operator);
      return Object.values(st.rejected).reduce((a, b) => a + b, 0) >= 6 ? st : undefined;
    }, 'six rejections to be counted');
    expect(s.rejected).toEqual({
      not_json: 1,
      too_large: 1,
      unsupported_version: 1,
      forged_from: 1,
      not_agent: 1,
      duplicate_id: 1,
    });
    expect(s.routed['transcript.segment']).toBe(1);
    // nothing but the valid event reached the operator
    expect(received.filter((r) => r.event.type === 'transcript.segment').map((r) => r.event.id)).toEqual([
      valid.id,
    ]);
  });

  it('refuses control RPCs from a participant who is neither operator nor agent', async () => {
    const err = await stats(human).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(RPC_ERROR.permissionDenied);
    // agents may read them
    expect((await stats(probe)).routed).toBeDefined();
  });
});
