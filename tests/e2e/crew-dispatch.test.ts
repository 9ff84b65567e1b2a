/**
 * Dispatching the crew through the server API brings exactly one of each agent into the room, as
 * AGENT participants, however often it is dispatched, and brings back a member that drops out.
 */
import { readFileSync } from 'node:fs';
import { apiClients, dispatchCrew, roomStatus } from '@roomcrew/cli';
import { AGENT_NAMES, DEFAULT_CREW } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

let crew: Crew;

async function agentCounts(room: string): Promise<Record<string, number>> {
  const status = await roomStatus(crew.target, room);
  const counts: Record<string, number> = {};
  for (const p of status.participants) {
    if (p.kind === 'agent' && p.agentName) counts[p.agentName] = (counts[p.agentName] ?? 0) + 1;
  }
  return counts;
}

/** Active means media connected: only then does the server announce an agent to the others. */
async function activeAgents(room: string) {
  return (await roomStatus(crew.target, room)).participants.filter(
    (p) => p.kind === 'agent' && p.state === 'active',
  );
}

/** The orchestrator and the default crew (transcriber, vision, reasoner). */
const CREW = [AGENT_NAMES.orchestrator, ...DEFAULT_CREW].sort();
const oneOfEach = (c: Record<string, number>) => CREW.every((name) => c[name] === 1);

/** Exactly one of each, and still so after the orchestrator's join grace has had time to act. */
async function expectOneOfEachStable(room: string): Promise<void> {
  await waitFor(async () => oneOfEach(await agentCounts(room)), `one of each agent in ${room}`);
  await sleep(4000);
  // A late duplicate (a second dispatch served by a freshly started job process) may still be on
  // its way out; it has to be gone soon, and no further copy may arrive.
  const exact = Object.fromEntries(CREW.map((name) => [name, 1]));
  const settled = async () => {
    const c = await agentCounts(room);
    return Object.keys(c).length === CREW.length && oneOfEach(c);
  };
  await waitFor(settled, `exactly one of each agent in ${room}`, 15_000);
  // Copies that arrive later still find the room taken and leave at once: after a while the room
  // is (again) exactly one of each.
  await sleep(6000);
  await waitFor(settled, `exactly one of each agent in ${room} after late copies`, 15_000);
  expect(await agentCounts(room)).toEqual(exact);
}

beforeAll(async () => {
  crew = await startCrew('crew-dispatch');
});

afterAll(async () => {
  await crew?.stop();
});

describe('crew dispatch', () => {
  it('brings the orchestrator and the default crew into the room as AGENT participants', async () => {
    const d = await dispatchCrew(crew.target, 'dispatch-1');
    expect(d.created).toBe(true);
    expect(JSON.parse(d.metadata)).toEqual({ crew: DEFAULT_CREW });
    await waitFor(async () => oneOfEach(await agentCounts('dispatch-1')), 'the crew to join');
    const status = await roomStatus(crew.target, 'dispatch-1');
    const agents = status.participants.filter((p) => p.agentName);
    expect(agents.map((a) => a.kind)).toEqual(CREW.map(() => 'agent'));
    expect(agents.map((a) => a.agentName).sort()).toEqual(CREW);
    // one dispatch of each: the members' and the orchestrator's from us, none repeated by the orchestrator
    const named = status.dispatches.filter((x) => x.agentName);
    expect(named.map((x) => x.agentName).sort()).toEqual(CREW);
  });

  it('is idempotent: dispatching the crew twice leaves exactly one of each agent', async () => {
    const first = await dispatchCrew(crew.target, 'dispatch-2');
    const second = await dispatchCrew(crew.target, 'dispatch-2');
    expect(second.created).toBe(false);
    expect(second.dispatchId).toBe(first.dispatchId);
    await expectOneOfEachStable('dispatch-2');
  });

  it('leaves one of each even when the orchestrator is dispatched twice at once through the raw API', async () => {
    const { rooms, dispatch } = apiClients(crew.target);
    await rooms.createRoom({ name: 'dispatch-3' });
    const metadata = JSON.stringify({ crew: DEFAULT_CREW });
    await Promise.all([
      dispatch.createDispatch('dispatch-3', AGENT_NAMES.orchestrator, { metadata }),
      dispatch.createDispatch('dispatch-3', AGENT_NAMES.orchestrator, { metadata }),
    ]);
    await expectOneOfEachStable('dispatch-3');
  });

  it('falls back to the default crew, and says why, when the job metadata is malformed', async () => {
    const { rooms, dispatch } = apiClients(crew.target);
    await rooms.createRoom({ name: 'dispatch-5' });
    await dispatch.createDispatch('dispatch-5', AGENT_NAMES.orchestrator, { metadata: '{"crew": [oops' });
    await expectOneOfEachStable('dispatch-5');
    const log = readFileSync(`${crew.artifacts}/${AGENT_NAMES.orchestrator}.log`, 'utf8');
    expect(log).toMatch(/"room":"dispatch-5".*job metadata is not JSON.*using the default crew/);
  });

  it('re-dispatches a crew member that leaves the room', async () => {
    await dispatchCrew(crew.target, 'dispatch-4');
    const operator = await join(crew.target, 'dispatch-4', 'op', 'operator');
    const events = collectCrewEvents(operator);
    // The transcriber's state reaching the operator through the orchestrator proves both see it.
    await waitFor(
      () =>
        events.find(
          (e) => e.event.type === 'crew.state' && e.event.payload.agent === AGENT_NAMES.transcriber,
        ),
      'the transcriber to report to the orchestrator',
    );
    const transcriber = (await activeAgents('dispatch-4')).find(
      (p) => p.agentName === AGENT_NAMES.transcriber,
    );
    await apiClients(crew.target).rooms.removeParticipant('dispatch-4', transcriber!.identity);
    const replacement = await waitFor(async () => {
      const s = await roomStatus(crew.target, 'dispatch-4');
      return s.participants.find(
        (p) => p.agentName === AGENT_NAMES.transcriber && p.identity !== transcriber!.identity,
      );
    }, 'a new transcriber');
    expect(replacement.kind).toBe('agent');
    await expectOneOfEachStable('dispatch-4');
    await operator.disconnect();
  });
});
