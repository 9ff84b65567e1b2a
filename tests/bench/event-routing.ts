/**
 * Benchmark (b): one crew event through the orchestrator (agent → orchestrator → operator) against
 * a direct participant-to-participant data packet (agent → operator), alternating, in one room.
 */
import { RoomEvent } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  ATTR_AGENT_NAME,
  CREW_TOPIC,
  createCrewEvent,
  encodeCrewEvent,
  RPC,
} from '@roomcrew/shared';
import type { Crew } from '../support/crew-harness.js';
import { join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';
import { summarize } from './stats.js';

const DIRECT_TOPIC = 'bench.direct';

export async function benchEventRouting(crew: Crew, events: number) {
  const room = 'bench-routing';
  await dispatchCrew(crew.target, room, { agents: [] });
  const operator = await join(crew.target, room, 'bench-operator', 'operator');
  const sender = await join(crew.target, room, 'bench-agent', 'agent');
  const orchestrator = await waitFor(
    () =>
      [...sender.remoteParticipants.values()].find(
        (p) => p.attributes[ATTR_AGENT_NAME] === AGENT_NAMES.orchestrator,
      )?.identity,
    'the orchestrator',
  );
  // Until the orchestrator knows the sender, its packets cannot be attributed (see README).
  await waitFor(
    () =>
      sender
        .localParticipant!.performRpc({ destinationIdentity: orchestrator, method: RPC.ping, payload: '' })
        .then(() => true)
        .catch(() => false),
    'the orchestrator to know the sender',
  );
  await waitFor(() => operator.remoteParticipants.has('bench-agent'), 'the operator to see the sender');

  const arrivals = new Map<string, number>();
  let waiting: { id: string; resolve: (t: number) => void } | undefined;
  operator.on(RoomEvent.DataReceived, (payload, _p, _k, topic) => {
    const now = performance.now();
    const id =
      topic === DIRECT_TOPIC
        ? new TextDecoder().decode(payload)
        : topic === CREW_TOPIC
          ? (JSON.parse(new TextDecoder().decode(payload)) as { id: string }).id
          : undefined;
    if (id && waiting?.id === id) waiting.resolve(now);
    else if (id) arrivals.set(id, now);
  });
  const roundTrip = (id: string, send: () => Promise<void>) =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const timer = setTimeout(() => reject(new Error(`event ${id} never arrived`)), 10_000);
      waiting = {
        id,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t - t0);
        },
      };
      void send();
    });

  const direct: number[] = [];
  const routed: number[] = [];
  const warmup = 50;
  for (let i = 0; i < events + warmup; i++) {
    const event = createCrewEvent(
      'transcript.segment',
      {
        segmentId: `SG_bench${i}`,
        speaker: { identity: 'someone', name: 'Someone' },
        trackId: 'TR_bench',
        text: 'a sentence of ordinary length said by someone in the call, about forty words or so',
        language: 'en-US',
        startTime: i,
        endTime: i + 1,
        final: true,
        engine: 'bench',
      },
      { room, from: 'bench-agent' },
    );
    const bytes = encodeCrewEvent(event);
    const viaOrchestrator = await roundTrip(event.id, () =>
      sender.localParticipant!.publishData(bytes, {
        reliable: true,
        topic: CREW_TOPIC,
        destination_identities: [orchestrator],
      }),
    );
    const directId = `direct-${i}`;
    const directPadded = new TextEncoder().encode(directId);
    const straight = await roundTrip(directId, () =>
      sender.localParticipant!.publishData(directPadded, {
        reliable: true,
        topic: DIRECT_TOPIC,
        destination_identities: ['bench-operator'],
      }),
    );
    if (i >= warmup) {
      routed.push(viaOrchestrator);
      direct.push(straight);
    }
  }
  await Promise.all([operator.disconnect(), sender.disconnect()]);
  const r = summarize(routed);
  const d = summarize(direct);
  return {
    benchmark: 'one crew event: through the orchestrator vs direct data packet (ms)',
    throughOrchestrator: r,
    direct: d,
    addedP50: Math.round((r.p50 - d.p50) * 1000) / 1000,
    budget: 'p50 ≤ direct p50 + 2 ms; p99 ≤ 10 ms',
  };
}
