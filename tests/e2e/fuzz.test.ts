/**
 * Fuzzing the crew's inputs on a real SFU with the real workers (issue 10): over 10,000 generated
 * or mutated packets at topic `crew.v1` and over 10,000 payloads across every crew RPC method,
 * from a participant token and from an agent token. Nothing may crash, nothing may be accepted,
 * every refusal is counted (by the orchestrator's counters for packets, by the caller's RpcError
 * codes for RPCs and, where it reports them, the orchestrator's own RPC counters), and real events
 * sent in between by an agent keep reaching their subscriber.
 *
 * FUZZ_SEED replays a run; FUZZ_SCALE (default 1) scales the number of payloads.
 */
import { readFileSync } from 'node:fs';
import { type Room, RpcError } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  ATTR_AGENT_NAME,
  CREW_TOPIC,
  type CrewEventType,
  CrewEventValidator,
  createCrewEvent,
  encodeCrewEvent,
  LIVEKIT_MAX_RPC_PAYLOAD_BYTES,
  MAX_RPC_PAYLOAD_BYTES,
  RPC,
  utf8ByteLength,
  visionControlSchema,
} from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { fuzzEvent, fuzzRpc, Rng } from '../support/fuzz.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

const ROOM = 'fuzz-1';
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_210);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Per token: 2 × 5,100 ≥ 10,000 packets at `crew.v1`. */
const EVENTS_PER_TOKEN = Math.round(5_100 * SCALE);
/** Per token and method: 2 × 7 × 750 = 10,500 RPC payloads. */
const RPCS_PER_TARGET = Math.round(750 * SCALE);
/** A real event from a real agent client every this many fuzz payloads. */
const REAL_EVERY = 1_000;
/** Packets in flight before pausing, and the pause: the SFU drops reliable packets it cannot queue. */
const BURST = 100;
const BURST_PAUSE_MS = 15;
const RPC_CONCURRENCY = 8;

/** Types only the orchestrator sends (orchestrator/src/routing-table.ts): refused after validation. */
const ORCHESTRATOR_ONLY = new Set<CrewEventType>(['escalation.update', 'escalation.decision']);
/** Some LiveKit SDKs refuse an RPC over 15 KiB before sending it (rtc-node 0.13.35 sends it). */
const LIVEKIT_TOO_LARGE = RpcError.ErrorCode.REQUEST_PAYLOAD_TOO_LARGE;

const REFUSAL_OF_CODE: Record<number, string> = {
  2400: 'bad_request',
  2403: 'permission',
  2404: 'not_found',
  2409: 'conflict',
  2413: 'too_large',
};

type Token = 'participant' | 'agent';
const FUZZER: Record<Token, string> = { participant: 'fuzz-person', agent: 'fuzz-agent' };

let crew: Crew;
let watcher: Room;
let probe: Room;
const fuzzers = {} as Record<Token, Room>;
let agents: Record<string, string>;
let workerPids: number[];

const agentIdentities = (room: Room): Record<string, string> =>
  Object.fromEntries(
    [...room.remoteParticipants.values()]
      .filter((p) => p.attributes[ATTR_AGENT_NAME])
      .map((p) => [p.attributes[ATTR_AGENT_NAME] as string, p.identity]),
  );

async function rpc(
  from: Room,
  to: string,
  method: string,
  payload: string,
  timeout = 10_000,
): Promise<string> {
  return from.localParticipant!.performRpc({
    destinationIdentity: to,
    method,
    payload,
    responseTimeout: timeout,
  });
}

interface Stats {
  accepted?: number;
  rejected: Record<string, number>;
  bySender?: Record<string, { accepted: number; rejected: number }>;
  routed: Record<string, number>;
  rpc?: { accepted: number | Record<string, number>; refused: Record<string, number> };
}
let statsReads = 0;
async function stats(): Promise<Stats> {
  statsReads++;
  return JSON.parse(await rpc(probe, agents[AGENT_NAMES.orchestrator]!, RPC.controlStats, ''));
}

const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);
const diff = (after: Record<string, number> = {}, before: Record<string, number> = {}) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );
const bump = (r: Record<string, number>, k: string, n = 1) => {
  r[k] = (r[k] ?? 0) + n;
};

// ---- real events in between -------------------------------------------------------------------

const realIds: string[] = [];
async function sendReal(n: number): Promise<void> {
  const event = createCrewEvent(
    'reasoning.insight',
    { kind: 'note', text: `real event ${n} between the fuzz`, refs: [] },
    { room: ROOM, from: probe.localParticipant!.identity },
  );
  realIds.push(event.id);
  await probe.localParticipant!.publishData(encodeCrewEvent(event), {
    reliable: true,
    topic: CREW_TOPIC,
    destination_identities: [agents[AGENT_NAMES.orchestrator]!],
  });
}

// ---- what could be accepted (then the generator draws again) ---------------------------------

const pageRequest = z.object({
  after: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(200).optional(),
});
const lenientVision = visionControlSchema.strip();

/**
 * Conservative: true for anything a correct server might accept from this caller. Participants
 * may call only `crew.ping` (with an empty payload or `{}`); agents also the stats (same payloads),
 * the transcript and vision control; the escalation RPCs are for operators only.
 */
function mightBeAccepted(method: string, token: Token, payload: string): boolean {
  const readOnly = method === RPC.ping || method === RPC.controlStats;
  if (utf8ByteLength(payload) > MAX_RPC_PAYLOAD_BYTES) return false; // the cap under test
  if (token === 'participant' && method !== RPC.ping) return false;
  if (!readOnly && method !== RPC.transcriptGet && method !== RPC.controlVision) return false;
  if (payload.trim() === '') return true;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  if (readOnly) return Object.keys(body).length === 0;
  const schema = method === RPC.transcriptGet ? pageRequest : lenientVision;
  return schema.safeParse(body).success;
}

beforeAll(async () => {
  crew = await startCrew('fuzz', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber, AGENT_NAMES.vision],
  });
  await dispatchCrew(crew.target, ROOM, { agents: [AGENT_NAMES.transcriber, AGENT_NAMES.vision] });
  watcher = await join(crew.target, ROOM, 'alice');
  probe = await join(crew.target, ROOM, 'probe-agent', 'agent');
  fuzzers.participant = await join(crew.target, ROOM, FUZZER.participant);
  fuzzers.agent = await join(crew.target, ROOM, FUZZER.agent, 'agent');
  agents = await waitFor(() => {
    const a = agentIdentities(watcher);
    return a[AGENT_NAMES.orchestrator] && a[AGENT_NAMES.transcriber] && a[AGENT_NAMES.vision] ? a : undefined;
  }, 'the orchestrator, the transcriber and the vision agent in the room');
  // Every client is known to the agents (and the agents serve their RPCs) before the fuzz starts:
  // packets from a participant the room has not announced yet arrive without a sender.
  const reached = async (from: Room, to: string, method: string, payload: string) =>
    waitFor(
      () =>
        rpc(from, to, method, payload, 3000).then(
          () => true,
          () => false,
        ),
      `${method} answered for ${from.localParticipant?.identity}`,
    );
  for (const r of [probe, fuzzers.participant, fuzzers.agent])
    await reached(r, agents[AGENT_NAMES.orchestrator]!, RPC.ping, '');
  await reached(probe, agents[AGENT_NAMES.transcriber]!, RPC.transcriptGet, '{}');
  await reached(probe, agents[AGENT_NAMES.vision]!, RPC.controlVision, '{}');
  workerPids = crew.workers.processes().map((p) => p.child.pid ?? 0);
}, 240_000);

afterAll(async () => {
  for (const r of [watcher, probe, fuzzers.participant, fuzzers.agent])
    await r?.disconnect().catch(() => undefined);
  await crew?.stop();
});

describe('fuzzing the crew', () => {
  it('refuses and counts every hostile packet and RPC, crashes nowhere, and keeps routing', async () => {
    const started = Date.now();
    const orchestrator = agents[AGENT_NAMES.orchestrator]!;
    const delivered = collectCrewEvents(watcher);
    const before = await stats();
    const rng = new Rng(SEED);
    let realSent = 0;

    // ---- crew.v1 ------------------------------------------------------------------------------
    const expected: Record<string, number> = {};
    const sentEvents: Record<Token, number> = { participant: 0, agent: 0 };
    const kinds: Record<string, number> = {};
    let redrawnEvents = 0;
    const others = [orchestrator, agents[AGENT_NAMES.transcriber]!, 'alice', 'probe-agent', 'someone'];
    const eventsStarted = Date.now();
    for (let i = 0; i < EVENTS_PER_TOKEN * 2; i++) {
      const token: Token = i % 2 === 0 ? 'participant' : 'agent';
      const self = FUZZER[token];
      let reason: string | undefined;
      let fuzz: ReturnType<typeof fuzzEvent>;
      do {
        fuzz = fuzzEvent(rng, { room: ROOM, self, others }, token === 'agent');
        // The receiver's own validator decides; an event it accepts is refused only if the
        // router refuses its type. Anything else could be accepted: draw again. A fresh one each
        // time: ids of events never sent must not count as seen (nothing sent is accepted, so
        // the orchestrator never sees a fuzz id twice either).
        const r = new CrewEventValidator(ROOM).accept(fuzz.bytes, {
          identity: self,
          isAgent: token === 'agent',
        });
        reason = r.ok
          ? ORCHESTRATOR_ONLY.has(r.value.type)
            ? 'orchestrator_only'
            : undefined
          : r.error.reason;
        if (!reason) redrawnEvents++;
      } while (!reason);
      bump(expected, reason);
      bump(kinds, fuzz.kind);
      // Mostly to the orchestrator; some to everyone, so every agent's channel sees them too.
      const broadcast = rng.chance(0.1);
      await fuzzers[token].localParticipant!.publishData(fuzz.bytes, {
        reliable: true,
        topic: CREW_TOPIC,
        ...(broadcast ? {} : { destination_identities: [orchestrator] }),
      });
      sentEvents[token]++;
      if ((i + 1) % BURST === 0) await sleep(BURST_PAUSE_MS);
      if ((i + 1) % REAL_EVERY === 0) await sendReal(realSent++);
    }
    const sentTotal = sentEvents.participant + sentEvents.agent;
    const afterEvents = await waitFor(
      async () => {
        const s = await stats();
        return sum(s.rejected) - sum(before.rejected) >= sentTotal ? s : undefined;
      },
      `${sentTotal} refusals to be counted`,
      60_000,
      500,
    ).catch(async (e: Error) => {
      const s = await stats();
      throw new Error(
        `${e.message}: counted ${sum(s.rejected) - sum(before.rejected)} (${JSON.stringify(diff(s.rejected, before.rejected))}), expected ${JSON.stringify(expected)}`,
      );
    });
    const eventsSeconds = (Date.now() - eventsStarted) / 1000;
    expect(diff(afterEvents.rejected, before.rejected)).toEqual(expected);
    for (const token of ['participant', 'agent'] as Token[]) {
      const c = afterEvents.bySender?.[FUZZER[token]];
      expect(c, `bySender counters for ${FUZZER[token]}`).toBeDefined();
      expect(c?.accepted).toBe(0);
      expect(c?.rejected).toBe(sentEvents[token]);
    }

    // ---- RPC ----------------------------------------------------------------------------------
    const targets: [string, string][] = [
      [RPC.ping, orchestrator],
      [RPC.controlStats, orchestrator],
      [RPC.escalationDecide, orchestrator],
      [RPC.escalationTakeover, orchestrator],
      [RPC.escalationHandback, orchestrator],
      [RPC.transcriptGet, agents[AGENT_NAMES.transcriber]!],
      [RPC.controlVision, agents[AGENT_NAMES.vision]!],
    ];
    const jobs: { token: Token; method: string; to: string; payload: string; kind: string }[] = [];
    let redrawnRpcs = 0;
    for (const [method, to] of targets) {
      for (const token of ['participant', 'agent'] as Token[]) {
        for (let i = 0; i < RPCS_PER_TARGET; i++) {
          let f = fuzzRpc(rng, method, {
            crew: MAX_RPC_PAYLOAD_BYTES,
            livekit: LIVEKIT_MAX_RPC_PAYLOAD_BYTES,
          });
          while (mightBeAccepted(method, token, f.payload)) {
            redrawnRpcs++;
            f = fuzzRpc(rng, method, { crew: MAX_RPC_PAYLOAD_BYTES, livekit: LIVEKIT_MAX_RPC_PAYLOAD_BYTES });
          }
          jobs.push({ token, method, to, payload: f.payload, kind: f.kind });
        }
      }
    }
    // Interleaved, so every agent sees every kind of caller all along.
    for (let i = jobs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [jobs[i], jobs[j]] = [jobs[j]!, jobs[i]!];
    }
    const accepted: typeof jobs = [];
    const codes: Record<string, Record<string, number>> = {};
    const otherErrors: string[] = [];
    /** Refusals the orchestrator itself answered (LiveKit's 1402 never reaches it), by reason. */
    const orchestratorRefusals: Record<string, number> = {};
    const rpcKinds: Record<string, number> = {};
    const rpcsStarted = Date.now();
    let next = 0;
    let done = 0;
    const worker = async () => {
      for (let j = jobs[next++]; j; j = jobs[next++]) {
        bump(rpcKinds, j.kind);
        try {
          await rpc(fuzzers[j.token], j.to, j.method, j.payload);
          accepted.push(j);
        } catch (e) {
          const code = e instanceof RpcError ? Number(e.code) : -1;
          const key = `${j.method} ${j.token}`;
          codes[key] ??= {};
          bump(codes[key], String(code));
          const refusedByUs = code >= 2400 && code <= 2413;
          if (!refusedByUs && code !== LIVEKIT_TOO_LARGE) otherErrors.push(`${key}: ${String(e)}`);
          if (refusedByUs && j.to === orchestrator)
            bump(orchestratorRefusals, REFUSAL_OF_CODE[code] ?? 'failed');
        }
        if (++done % REAL_EVERY === 0) await sendReal(realSent++);
      }
    };
    await Promise.all(Array.from({ length: RPC_CONCURRENCY }, worker));
    const rpcSeconds = (Date.now() - rpcsStarted) / 1000;

    // ---- the crew is still there and still routing ---------------------------------------------
    await sendReal(realSent++);
    await waitFor(
      () => realIds.every((id) => delivered.some((d) => d.event.id === id)),
      `all ${realIds.length} real events at their subscriber`,
      30_000,
    ).catch(() => {
      const missing = realIds.filter((id) => !delivered.some((d) => d.event.id === id));
      throw new Error(`${missing.length} of ${realIds.length} real events never reached the watcher`);
    });
    // Nothing the fuzzers sent came out of the orchestrator: it relayed the real events only.
    const relayed = delivered.filter((d) => d.via === orchestrator).map((d) => d.event.id);
    expect(relayed.filter((id) => !realIds.includes(id))).toEqual([]);

    const after = await stats();
    for (const p of crew.workers.processes()) expect(p.running, `${p.name} worker running`).toBe(true);
    expect(crew.workers.processes().map((p) => p.child.pid ?? 0)).toEqual(workerPids);
    // A job that crashed would have left the room and come back under another identity.
    expect(agentIdentities(watcher)).toMatchObject({
      [AGENT_NAMES.orchestrator]: orchestrator,
      [AGENT_NAMES.transcriber]: agents[AGENT_NAMES.transcriber],
      [AGENT_NAMES.vision]: agents[AGENT_NAMES.vision],
    });
    expect(JSON.parse(await rpc(probe, agents[AGENT_NAMES.vision]!, RPC.controlVision, '{}'))).toBeDefined();
    expect(
      JSON.parse(await rpc(probe, agents[AGENT_NAMES.transcriber]!, RPC.transcriptGet, '{}')),
    ).toBeDefined();
    expect(after.bySender?.['probe-agent']?.accepted).toBe(realIds.length);
    for (const role of [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber, AGENT_NAMES.vision]) {
      const log = readFileSync(`${crew.artifacts}/${role}.log`, 'utf8');
      // agents-js logs a job's unhandled rejections (at debug level) instead of crashing on them
      expect(log, `${role} log`).not.toMatch(
        /Unhandled promise rejection|uncaughtException|panicked at|"level":60/,
      );
      // Refusals are logged with their sender, but a flood of them is not a flood of lines.
      expect(log.split('\n').length, `${role} log lines`).toBeLessThan(5_000);
    }
    const orchestratorLog = readFileSync(`${crew.artifacts}/${AGENT_NAMES.orchestrator}.log`, 'utf8');
    for (const who of Object.values(FUZZER)) expect(orchestratorLog).toContain(`"sender":"${who}"`);
    // No more refusals than the fuzzers caused (the crew's own traffic is all accepted).
    expect(sum(after.rejected) - sum(before.rejected)).toBe(sentTotal);

    const summary = {
      seed: SEED,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      crewTopic: {
        sent: sentEvents,
        seconds: eventsSeconds,
        kinds,
        redrawnBecauseAcceptable: redrawnEvents,
        refusedByReason: diff(afterEvents.rejected, before.rejected),
        accepted: {
          [FUZZER.participant]: afterEvents.bySender?.[FUZZER.participant]?.accepted,
          [FUZZER.agent]: afterEvents.bySender?.[FUZZER.agent]?.accepted,
        },
      },
      rpc: {
        sent: jobs.length,
        perTarget: RPCS_PER_TARGET,
        seconds: rpcSeconds,
        kinds: rpcKinds,
        redrawnBecauseAcceptable: redrawnRpcs,
        accepted: accepted.length,
        codesByMethodAndToken: codes,
        orchestratorCounters: after.rpc
          ? {
              refused: diff(after.rpc.refused, before.rpc?.refused),
              accepted:
                typeof after.rpc.accepted === 'number'
                  ? after.rpc.accepted - ((before.rpc?.accepted as number | undefined) ?? 0)
                  : diff(after.rpc.accepted, before.rpc?.accepted as Record<string, number>),
            }
          : 'not reported by this orchestrator',
      },
      realEvents: { sent: realIds.length, delivered: realIds.length },
    };
    console.log(`fuzz summary ${JSON.stringify(summary, null, 2)}`);

    expect(accepted.map((j) => `${j.method} ${j.token} ${j.payload.slice(0, 80)}`)).toEqual([]);
    expect(otherErrors.slice(0, 10)).toEqual([]);
    // The orchestrator's own RPC counters (crew.control.stats `rpc`), where it reports them: every
    // refusal it answered is counted under its reason, and no fuzz method was accepted.
    if (after.rpc && before.rpc) {
      expect(diff(after.rpc.refused, before.rpc.refused)).toEqual(orchestratorRefusals);
      if (typeof after.rpc.accepted === 'object') {
        const { [RPC.ping]: _crewPings, ...acceptedNow } = diff(
          after.rpc.accepted,
          before.rpc.accepted as Record<string, number>,
        );
        // Besides the crew agents' own pings (a late one may land after the baseline), the probe's
        // stats reads are the only orchestrator RPCs accepted in between.
        expect(acceptedNow).toEqual({ [RPC.controlStats]: statsReads - 1 });
      }
    }
  }, 420_000);
});
