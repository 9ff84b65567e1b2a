/**
 * Vision capacity and memory, through a real server and the real vision worker:
 * - capacity: N synthetic cameras (a face whose picture changes every half second, so every
 *   sample is worth analysing), each owner speaking (a tone on a microphone, so the SFU reports
 *   them as active speakers and the agent samples at the speaking rate), N = 1, 2, 4, …; per step
 *   the analyses achieved against the target rate, frames skipped at the worker's cap, analysis
 *   latency, shed level, CPU and RSS of the vision worker's process tree;
 * - memory: a few cameras and a screen share whose slide changes, for a long time (10 minutes by
 *   default); RSS of the worker's process tree sampled throughout, with its slope.
 * Rates, caps and budgets are the defaults, except the track cap, raised so it is not what limits.
 */
import { createRequire } from 'node:module';
import { dirname, join as joinPath } from 'node:path';
import { type Room, TrackSource } from '@livekit/rtc-node';
import { apiClients, dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES, type CrewEvent } from '@roomcrew/shared';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import { FakeMicrophone, FakeScreen, imageFrame, renderSlide, SAMPLE_RATE } from '../support/media.js';
import { cpuSecondsBetween, treeUsage } from '../support/process-tree.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

const DEFAULT_CAMERA_FPS = 1; // CREW_VISION_CAMERA_FPS's default: the rate of a speaker's camera

interface VisionMetrics {
  following: number;
  analyses: number;
  skippedAtCap: number;
  latencyMs: number;
  shedLevel: number;
  observations: number;
}

/** The latest metrics the vision agent reported in crew.state, as the operator received them. */
function latestMetrics(events: { event: CrewEvent }[]): VisionMetrics | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!.event;
    if (e.type === 'crew.state' && e.payload.agent === AGENT_NAMES.vision) {
      const m = (e.payload.detail as { metrics?: VisionMetrics } | undefined)?.metrics;
      if (m) return m;
    }
  }
  return undefined;
}

const faceImage = () =>
  joinPath(
    dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/human'))),
    'assets',
    'screenshot-faceid.jpg',
  );

/** 1 s of a 440 Hz tone, loud enough to be an active speaker. */
function tone(): Int16Array {
  const t = new Int16Array(SAMPLE_RATE);
  for (let i = 0; i < t.length; i++)
    t[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE));
  return t;
}

/**
 * The face picture at 24 brightness levels, 4 apart: shown in a sawtooth (a step every 250 ms),
 * two samples a second or more apart always differ by more than the camera threshold, whatever
 * the sampling phase. Shared by every camera.
 */
let faceLevels: Uint8Array[] | undefined;
function faceAt(ms: number, phase: number): Uint8Array {
  if (!faceLevels) {
    const face = imageFrame(faceImage(), 640, 480);
    faceLevels = Array.from({ length: 24 }, (_, k) =>
      face.map((v, i) => (i < 640 * 480 ? Math.min(255, Math.max(0, v + k * 4 - 46)) : v)),
    );
  }
  return faceLevels[(Math.floor(ms / 250) + phase) % faceLevels.length]!;
}

/** A participant with a changing face on camera and, when speaking, a tone on the microphone. */
async function cameraPerson(crew: Crew, room: string, identity: string, speaking: boolean, phase = 0) {
  const r = await join(crew.target, room, identity);
  const cam = new FakeScreen(faceAt(Date.now(), phase), 640, 480);
  await cam.publish(r, TrackSource.SOURCE_CAMERA, 5);
  const change = setInterval(() => {
    cam.picture = faceAt(Date.now(), phase);
  }, 250);
  const mic = speaking ? new FakeMicrophone() : undefined;
  let talking = true;
  if (mic) {
    await mic.publish(r);
    const t = tone();
    void (async () => {
      while (talking) await mic.say(t);
    })();
  }
  return {
    async stop() {
      talking = false;
      clearInterval(change);
      await cam.stop();
      await mic?.stop();
      await r.disconnect();
    },
  };
}

function visionWorkerPid(crew: Crew): number {
  const pid = crew.workers.processes().find((p) => p.name === AGENT_NAMES.vision)?.child.pid;
  if (!pid) throw new Error('the vision worker is not running');
  return pid;
}

async function operatorIn(crew: Crew, room: string, watch: string[]) {
  await dispatchCrew(crew.target, room, { agents: [AGENT_NAMES.vision], watch });
  const operator = await join(crew.target, room, 'bench-op', 'operator');
  const events = collectCrewEvents(operator);
  await waitForAgent(operator, AGENT_NAMES.vision);
  return { operator, events };
}

async function capacityStep(crew: Crew, cameras: number, seconds: number, speaking: boolean) {
  const room = `bench-vision-cap-${cameras}`;
  const ids = Array.from({ length: cameras }, (_, i) => `cam-${i}`);
  const { operator, events } = await operatorIn(crew, room, ids);
  const people = [];
  for (const [i, id] of ids.entries()) people.push(await cameraPerson(crew, room, id, speaking, i * 5));
  await waitFor(
    () => (latestMetrics(events)?.following ?? 0) >= cameras,
    `the vision agent to follow ${cameras} cameras`,
    120_000,
  );
  await sleep(5000); // past the first analyses and the speaker detection
  const worker = visionWorkerPid(crew);
  const m0 = latestMetrics(events)!;
  const u0 = treeUsage(worker);
  const t0 = Date.now();
  let maxShed = m0.shedLevel;
  let maxLatency = m0.latencyMs;
  const watch = setInterval(() => {
    const m = latestMetrics(events);
    if (m) {
      maxShed = Math.max(maxShed, m.shedLevel);
      maxLatency = Math.max(maxLatency, m.latencyMs);
    }
  }, 500);
  await sleep(seconds * 1000);
  // crew.state arrives every 10 s: wait for one reported after the window.
  const reportsBefore = events.length;
  await waitFor(
    () => events.slice(reportsBefore).some((e) => e.event.type === 'crew.state') || undefined,
    'a state report after the window',
    30_000,
  );
  clearInterval(watch);
  const m1 = latestMetrics(events)!;
  const u1 = treeUsage(worker);
  const elapsed = (Date.now() - t0) / 1000;
  for (const p of people) await p.stop();
  await operator.disconnect();
  await apiClients(crew.target).rooms.deleteRoom(room);
  await sleep(3000); // its job ends before the next step
  const achieved = (m1.analyses - m0.analyses) / elapsed;
  const target = cameras * (speaking ? DEFAULT_CAMERA_FPS : 0.3);
  return {
    cameras,
    followed: m1.following,
    analysesPerSecond: Math.round(achieved * 100) / 100,
    targetPerSecond: Math.round(target * 100) / 100,
    achievedShare: Math.round((achieved / target) * 100) / 100,
    skippedAtCapPerSecond: Math.round(((m1.skippedAtCap - m0.skippedAtCap) / elapsed) * 100) / 100,
    latencyMsEnd: m1.latencyMs,
    latencyMsMax: maxLatency,
    shedLevelMax: maxShed,
    cpuCoresUsed: Math.round((cpuSecondsBetween(u0, u1) / elapsed) * 100) / 100,
    visionWorkerTreeRssMb: Math.round(u1.rssKb / 1024),
  };
}

export async function benchVisionCapacity(opts: { cameras: number[]; seconds: number; speaking: boolean }) {
  const crew = await startCrew('bench-vision-capacity', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    env: { LOG_LEVEL: 'info', CREW_VISION_MAX_TRACKS: '32' },
  });
  try {
    const steps = [];
    for (const n of opts.cameras) {
      const step = await capacityStep(crew, n, opts.seconds, opts.speaking);
      console.error(JSON.stringify(step)); // progress: steps take a while
      steps.push(step);
    }
    const firstShed = steps.find((s) => s.shedLevelMax > 0);
    const firstBehind = steps.find((s) => s.achievedShare < 0.9);
    return {
      benchmark: `camera tracks one vision worker follows at the default rates (${
        opts.speaking ? 'every owner speaking: 1 fps each' : 'nobody speaking: 0.3 fps each'
      }), ${opts.seconds} s per step`,
      camerasBeforeShedding: firstShed
        ? (steps[steps.indexOf(firstShed) - 1]?.cameras ?? 0)
        : `no shedding up to ${steps.at(-1)?.cameras}`,
      camerasAtFullRate: firstBehind
        ? (steps[steps.indexOf(firstBehind) - 1]?.cameras ?? 0)
        : `all ${steps.at(-1)?.cameras}`,
      steps,
    };
  } finally {
    await crew.stop();
  }
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function benchVisionMemory(opts: { minutes: number; cameras: number }) {
  const crew = await startCrew('bench-vision-memory', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    env: { LOG_LEVEL: 'info' },
  });
  const rooms: Room[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const room = 'bench-vision-memory';
    const ids = Array.from({ length: opts.cameras }, (_, i) => `cam-${i}`);
    const { operator, events } = await operatorIn(crew, room, ids);
    rooms.push(operator);
    for (const [i, id] of ids.entries()) stops.push((await cameraPerson(crew, room, id, true, i * 5)).stop);
    const presenter = await join(crew.target, room, 'presenter');
    rooms.push(presenter);
    const screen = new FakeScreen(renderSlide(['Slide 1', 'Agenda']));
    await screen.publish(presenter);
    stops.push(() => screen.stop());
    const topics = ['budget', 'hiring', 'roadmap', 'risks', 'travel', 'pricing'];
    let slideNo = 1;
    const slides = setInterval(() => {
      slideNo++;
      screen.picture = renderSlide([`Slide ${slideNo}`, `Topic ${topics[slideNo % topics.length]}`]);
    }, 10_000);
    await waitFor(
      () => (latestMetrics(events)?.following ?? 0) >= opts.cameras + 1,
      'the vision agent to follow every track',
      120_000,
    );
    const worker = visionWorkerPid(crew);
    const t0 = Date.now();
    const minutes: number[] = [];
    const rssMb: number[] = [];
    const u0 = treeUsage(worker);
    while (Date.now() - t0 < opts.minutes * 60_000) {
      minutes.push((Date.now() - t0) / 60_000);
      rssMb.push(treeUsage(worker).rssKb / 1024);
      await sleep(10_000);
    }
    minutes.push((Date.now() - t0) / 60_000);
    const u1 = treeUsage(worker);
    rssMb.push(u1.rssKb / 1024);
    clearInterval(slides);
    const m = latestMetrics(events);
    const r = (x: number) => Math.round(x * 10) / 10;
    // The first minute includes model loading and warm-up; the slope is also given without it.
    const settled = minutes.map((t, i) => [t, rssMb[i]!] as const).filter(([t]) => t >= 1);
    return {
      benchmark: `vision worker process tree RSS over ${opts.minutes} min: ${opts.cameras} speaking cameras + 1 screen share (slide changes every 10 s)`,
      samples: rssMb.length,
      startMb: r(rssMb[0]!),
      endMb: r(rssMb.at(-1)!),
      maxMb: r(Math.max(...rssMb)),
      minMb: r(Math.min(...rssMb)),
      slopeMbPerMin: Math.round(slope(minutes, rssMb) * 100) / 100,
      slopeMbPerMinAfterFirstMinute:
        settled.length > 2
          ? Math.round(
              slope(
                settled.map(([t]) => t),
                settled.map(([, y]) => y),
              ) * 100,
            ) / 100
          : null,
      cpuCoresUsed: Math.round((cpuSecondsBetween(u0, u1) / ((Date.now() - t0) / 1000)) * 100) / 100,
      processes: u1.procs.length,
      agentMetricsAtEnd: m,
      rssMbSeries: rssMb.map(r),
    };
  } finally {
    for (const s of stops) await s().catch(() => undefined);
    await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
    await crew.stop();
  }
}
