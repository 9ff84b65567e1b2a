/**
 * Benchmark (a): crew dispatch → every crew agent joined, against a bare agents-js worker's
 * dispatch → joined, measured in the same run on the same server, alternating.
 */
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { apiClients, dispatchCrew } from '@roomcrew/cli';
import { startProcess } from '@roomcrew/infra';
import { AGENT_NAMES, ATTR_AGENT_NAME } from '@roomcrew/shared';
import type { Crew } from '../support/crew-harness.js';
import { join } from '../support/room-client.js';
import { sleep } from '../support/wait.js';
import { BARE_AGENT_NAME } from './bare-worker.js';
import { summarize } from './stats.js';

function joinedAll(room: Room, names: string[], timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  const missing = new Set(names);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${[...missing]} did not join in ${timeoutMs} ms`)),
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
  try {
    for (let i = 0; i < iterations; i++) {
      for (const kind of i % 2 === 0 ? (['crew', 'bare'] as const) : (['bare', 'crew'] as const)) {
        const name = `bench-${kind}-${i}`;
        const observer = await join(crew.target, name, `observer-${i}`);
        if (kind === 'crew') {
          // Timed from just before the dispatch call, like the bare case below.
          const done = joinedAll(observer, [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber]);
          await dispatchCrew(crew.target, name);
          crewTimes.push(await done);
        } else {
          const done = joinedAll(observer, [BARE_AGENT_NAME]);
          await dispatch.createDispatch(name, BARE_AGENT_NAME);
          bareTimes.push(await done);
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
  return {
    benchmark: 'dispatch → all agents joined (ms)',
    crew: c,
    bareAgentsJs: b,
    ratioP50: Math.round((c.p50 / b.p50) * 100) / 100,
    budget: 'crew p50 ≤ 1.2 × bare p50',
  };
}
