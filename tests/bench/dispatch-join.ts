/**
 * Benchmark (a): crew dispatch → every crew agent joined, against a bare agents-js worker's
 * dispatch → joined, measured in the same run on the same server, alternating.
 */
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { apiClients, dispatchCrew, type ServerTarget } from '@roomcrew/cli';
import { startProcess } from '@roomcrew/infra';
import { AGENT_NAMES, ATTR_AGENT_NAME } from '@roomcrew/shared';
import type { Crew } from '../support/crew-harness.js';
import { join } from '../support/room-client.js';
import { sleep } from '../support/wait.js';
import { BARE_AGENT_NAME } from './bare-worker.js';
import { summarize } from './stats.js';

const ACTIVE = 2; // ParticipantInfo.State.ACTIVE: joined with media connected

/**
 * Resolves with two durations since the call: when the server reports every named agent ACTIVE
 * (polled every 20 ms), and when an observer in the room has been told about all of them.
 */
function joinedAll(t: ServerTarget, room: Room, names: string[], timeoutMs = 30_000) {
  const t0 = performance.now();
  const { rooms } = apiClients(t);
  const active = (async () => {
    while (performance.now() - t0 < timeoutMs) {
      const ps = await rooms.listParticipants(room.name ?? '');
      const up = new Set(ps.filter((p) => p.state === ACTIVE).map((p) => p.attributes[ATTR_AGENT_NAME]));
      if (names.every((n) => up.has(n))) return performance.now() - t0;
      await sleep(20);
    }
    throw new Error(`${names} not active within ${timeoutMs} ms`);
  })();
  const missing = new Set(names);
  const seen = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${[...missing]} never seen in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const on = (p: RemoteParticipant) => {
      missing.delete(p.attributes[ATTR_AGENT_NAME] ?? '');
      if (missing.size === 0) {
        clearTimeout(timer);
        room.off(RoomEvent.ParticipantConnected, on);
        resolve(performance.now() - t0);
      }
    };
    room.on(RoomEvent.ParticipantConnected, on);
  });
  return Promise.all([active, seen]);
}

export async function benchDispatchJoin(crew: Crew, iterations: number) {
  const bare = startProcess(
    'bench-bare',
    process.execPath,
    [new URL('./bare-worker.js', import.meta.url).pathname],
    {
      env: { ...process.env, ...crew.env },
    },
  );
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (bare.tail(200).includes('worker registered')) {
        clearInterval(check);
        resolve();
      } else if (!bare.running) {
        clearInterval(check);
        reject(new Error(`bare worker exited:\n${bare.tail()}`));
      }
    }, 50);
  });
  const { rooms, dispatch } = apiClients(crew.target);
  const crewTimes: number[] = [];
  const bareTimes: number[] = [];
  const crewSeen: number[] = [];
  const bareSeen: number[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      for (const kind of i % 2 === 0 ? (['crew', 'bare'] as const) : (['bare', 'crew'] as const)) {
        const name = `bench-${kind}-${i}`;
        const observer = await join(crew.target, name, `observer-${i}`);
        if (kind === 'crew') {
          // Timed from just before the dispatch call, like the bare case below.
          const done = joinedAll(crew.target, observer, [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber]);
          await dispatchCrew(crew.target, name);
          const [active, seen] = await done;
          crewTimes.push(active);
          crewSeen.push(seen);
        } else {
          const done = joinedAll(crew.target, observer, [BARE_AGENT_NAME]);
          await dispatch.createDispatch(name, BARE_AGENT_NAME);
          const [active, seen] = await done;
          bareTimes.push(active);
          bareSeen.push(seen);
        }
        await observer.disconnect();
        await rooms.deleteRoom(name);
        await sleep(1500); // let both workers' warm process pools refill between samples
      }
    }
  } finally {
    await bare.stop();
  }
  const c = summarize(crewTimes);
  const b = summarize(bareTimes);
  const cs = summarize(crewSeen);
  const bs = summarize(bareSeen);
  return {
    benchmark: 'dispatch → all agents joined (ms)',
    joinedActive: { crew: c, bareAgentsJs: b, ratioP50: Math.round((c.p50 / b.p50) * 100) / 100 },
    seenByAnotherParticipant: {
      crew: cs,
      bareAgentsJs: bs,
      ratioP50: Math.round((cs.p50 / bs.p50) * 100) / 100,
    },
    budget: 'crew p50 ≤ 1.2 × bare p50',
  };
}
