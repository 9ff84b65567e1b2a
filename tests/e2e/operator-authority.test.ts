/**
 * Issue 10: nobody becomes an operator by what they set on themselves. Hostile participants with a
 * permissive token (the kind an integrator's token service might hand out: `canUpdateOwnMetadata`)
 * try attributes, metadata, name, identity, a forged `crew.hello` and forged payload fields against
 * every crew RPC; the server side grants and revokes the role mid-call; two operators race for
 * the takeover.
 */
import { ParticipantKind, Room, RpcError } from '@livekit/rtc-node';
import { dispatchCrew, setOperator } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  ATTR_ROLE,
  ATTR_TAKEOVER,
  type AuditRecord,
  CREW_TOPIC,
  createCrewEvent,
  encodeCrewEvent,
  parseTakeover,
  ROLE_OPERATOR,
  RPC,
  RPC_ERROR,
  readAudit,
} from '@roomcrew/shared';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOrchestrator, decide, identityOf, waitForEvent } from '../support/crew-chat.js';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import { collectCrewEvents, join, type ReceivedCrewEvent } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

const ROOM = 'authority-1';
let crew: Crew;
const rooms: Room[] = [];
let operator: Room;
let operatorEvents: ReceivedCrewEvent[];
let raiser: Room;

/** A participant whose token lets it write its own name, metadata and attributes. */
async function permissive(identity: string, name = identity): Promise<Room> {
  const at = new AccessToken(crew.target.apiKey, crew.target.apiSecret, { identity, name, ttl: '10m' });
  at.addGrant({
    room: ROOM,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: true,
  });
  const r = new Room();
  await r.connect(crew.target.url, await at.toJwt(), { autoSubscribe: false, dynacast: false });
  rooms.push(r);
  return r;
}

async function rpcTo(
  room: Room,
  agentName: string,
  method: string,
  payload: string,
): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
  const to = await waitFor(() => identityOf(room, agentName), agentName);
  try {
    await room.localParticipant?.performRpc({
      destinationIdentity: to,
      method,
      payload,
      responseTimeout: 15_000,
    });
    return { ok: true };
  } catch (e) {
    if (e instanceof RpcError) return { ok: false, code: Number(e.code), message: e.message };
    throw e;
  }
}

/** A fresh escalation, raised by an agent-token client the way the reasoner raises one. */
async function raiseEscalation(tool = 'send_webhook'): Promise<string> {
  const orchestrator = await waitFor(() => identityOf(raiser, AGENT_NAMES.orchestrator), 'orchestrator');
  const escalationId = `esc-${Math.random().toString(36).slice(2, 10)}`;
  const event = createCrewEvent(
    'escalation.request',
    {
      escalationId,
      tool,
      args: { text: 'wire the money', channel: '#finance' },
      reason: 'high impact',
      context: 'said in the room',
      recommended: 'reject',
      deadline: Date.now() + 120_000,
    },
    { room: ROOM, from: raiser.localParticipant?.identity ?? '' },
  );
  await raiser.localParticipant?.publishData(encodeCrewEvent(event), {
    reliable: true,
    topic: CREW_TOPIC,
    destination_identities: [orchestrator],
  });
  await waitForEvent(operatorEvents, 'escalation.request', (e) => e.payload.escalationId === escalationId);
  return escalationId;
}

/** Every guarded crew RPC, each as a caller who is not an operator would try it. */
async function everyCrewRpc(room: Room, escalationId: string) {
  return {
    stats: await rpcTo(room, AGENT_NAMES.orchestrator, RPC.controlStats, ''),
    takeover: await rpcTo(room, AGENT_NAMES.orchestrator, RPC.escalationTakeover, '{"reason":"mine now"}'),
    handback: await rpcTo(room, AGENT_NAMES.orchestrator, RPC.escalationHandback, '{}'),
    decide: await rpcTo(
      room,
      AGENT_NAMES.orchestrator,
      RPC.escalationDecide,
      JSON.stringify({ escalationId, decision: 'approve' }),
    ),
    transcript: await rpcTo(room, AGENT_NAMES.transcriber, RPC.transcriptGet, '{}'),
    vision: await rpcTo(room, AGENT_NAMES.vision, RPC.controlVision, '{"screenFps":0}'),
  };
}

function expectAllRefused(answers: Record<string, { ok: boolean; code?: number }>) {
  for (const [method, a] of Object.entries(answers)) {
    expect({ method, ...a }).toMatchObject({ method, ok: false, code: RPC_ERROR.permissionDenied });
  }
}

async function auditOf(match: (r: AuditRecord) => boolean): Promise<AuditRecord[]> {
  return (await readAudit(crew.env.CREW_DATA_DIR as string, ROOM)).records.filter(match);
}

/** Another participant sees this attribute on `identity`: the server accepted the change. */
function seenBy(
  room: Room,
  identity: string,
  check: (p: { attributes: Record<string, string>; metadata: string; name?: string }) => boolean,
) {
  return waitFor(() => {
    const p = room.remoteParticipants.get(identity);
    return p !== undefined && check(p);
  }, `${identity}'s change to be seen`);
}

beforeAll(async () => {
  crew = await startCrew('operator-authority', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber, AGENT_NAMES.vision],
  });
  await dispatchCrew(crew.target, ROOM, { agents: [AGENT_NAMES.transcriber, AGENT_NAMES.vision] });
  operator = await join(crew.target, ROOM, 'olivia', 'operator', 'Olivia');
  rooms.push(operator);
  operatorEvents = collectCrewEvents(operator);
  raiser = await join(crew.target, ROOM, 'tool-agent', 'agent');
  rooms.push(raiser);
  for (const a of [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber, AGENT_NAMES.vision]) {
    await waitForAgent(operator, a);
  }
  // The genuine operator is served: the guards below refuse for the right reason.
  await waitFor(
    async () => (await callOrchestrator(operator, RPC.controlStats, '')).ok || undefined,
    'stats',
  );
});

afterAll(async () => {
  for (const r of rooms) await r.disconnect().catch(() => undefined);
  await crew?.stop();
});

describe('a participant cannot make itself an operator', () => {
  it('by setting crew.role=operator on itself: every crew RPC is refused and audited, no escalation reaches it', async () => {
    const escalationId = await raiseEscalation();
    const mallory = await permissive('mallory', 'Mallory');
    const malloryEvents = collectCrewEvents(mallory);
    await mallory.localParticipant?.setAttributes({ [ATTR_ROLE]: ROLE_OPERATOR });
    // The server accepted it (this is the hole the issue found): others see the attribute.
    await seenBy(operator, 'mallory', (p) => p.attributes[ATTR_ROLE] === ROLE_OPERATOR);
    await seenBy(raiser, 'mallory', (p) => p.attributes[ATTR_ROLE] === ROLE_OPERATOR);

    expectAllRefused(await everyCrewRpc(mallory, escalationId));
    // Every refusal is on the room's audit trail with the caller, those at other agents too.
    const every = [
      RPC.controlStats,
      RPC.escalationTakeover,
      RPC.escalationHandback,
      RPC.escalationDecide,
      RPC.transcriptGet,
      RPC.controlVision,
    ];
    const refused = await waitFor(async () => {
      const r = await auditOf((a) => a.actor === 'mallory' && /refused$/.test(a.kind));
      return every.every((m) => r.some((a) => a.detail.method === m)) ? r : undefined;
    }, 'mallory’s refusals at every agent in the audit trail');
    expect(refused.every((r) => r.detail.code === RPC_ERROR.permissionDenied)).toBe(true);
    expect(refused.find((r) => r.detail.method === RPC.transcriptGet)?.detail.agent).toMatch(/./);
    // The escalation is still open, offered to the real operator only; mallory never got it.
    const open = await callOrchestrator(operator, RPC.controlStats, '');
    expect(open.ok).toBe(true);
    const snapshot = (
      open as { value: { escalations: { open: { escalationId: string }[] }; takeover: unknown } }
    ).value;
    expect(snapshot.escalations.open.map((e) => e.escalationId)).toContain(escalationId);
    expect(snapshot.takeover).toBeNull();
    expect(malloryEvents.some((e) => e.event.type === 'escalation.request')).toBe(false);
    // The real operator still decides it.
    expect(await decide(operator, { escalationId, decision: 'reject', note: 'not mallory' })).toMatchObject({
      ok: true,
    });
  });

  it('by metadata, by name, or by an identity that looks like a role', async () => {
    const escalationId = await raiseEscalation();
    const meta = await permissive('mallory-meta');
    await meta.localParticipant?.updateMetadata(
      JSON.stringify({ role: ROLE_OPERATOR, [ATTR_ROLE]: ROLE_OPERATOR }),
    );
    await seenBy(operator, 'mallory-meta', (p) => p.metadata.includes(ROLE_OPERATOR));
    expectAllRefused(await everyCrewRpc(meta, escalationId));

    const named = await permissive('mallory-name');
    await named.localParticipant?.updateName(ROLE_OPERATOR);
    await seenBy(operator, 'mallory-name', (p) => p.name === ROLE_OPERATOR);
    expectAllRefused(await everyCrewRpc(named, escalationId));

    const lookalike = await permissive('crew-orchestrator-operator', 'crew-orchestrator');
    expectAllRefused(await everyCrewRpc(lookalike, escalationId));
    expect(await decide(operator, { escalationId, decision: 'reject' })).toMatchObject({ ok: true });
  });

  it('by a forged crew.hello: the event is rejected as not from an agent, and nothing opens', async () => {
    const escalationId = await raiseEscalation();
    const forger = await permissive('mallory-hello');
    const orchestrator = await waitFor(() => identityOf(forger, AGENT_NAMES.orchestrator), 'orchestrator');
    const before = (await callOrchestrator(operator, RPC.controlStats, '')) as {
      value: { rejected: Record<string, number> };
    };
    const hello = createCrewEvent(
      'crew.hello',
      { agent: AGENT_NAMES.reasoner, version: '1' },
      { room: ROOM, from: 'mallory-hello' },
    );
    await forger.localParticipant?.publishData(encodeCrewEvent(hello), {
      reliable: true,
      topic: CREW_TOPIC,
      destination_identities: [orchestrator],
    });
    await waitFor(async () => {
      const s = (await callOrchestrator(operator, RPC.controlStats, '')) as {
        value: { rejected: Record<string, number> };
      };
      const rejectedNow = Object.values(s.value.rejected).reduce((a, b) => a + b, 0);
      const rejectedBefore = Object.values(before.value.rejected).reduce((a, b) => a + b, 0);
      return rejectedNow > rejectedBefore || undefined;
    }, 'the forged hello to be rejected');
    expectAllRefused(await everyCrewRpc(forger, escalationId));
    expect(await decide(operator, { escalationId, decision: 'reject' })).toMatchObject({ ok: true });
  });

  it('by forged payload fields: unknown fields are refused even from an operator, and a participant stays refused', async () => {
    const escalationId = await raiseEscalation();
    const forger = await permissive('mallory-fields');
    const forged = {
      escalationId,
      decision: 'approve',
      decidedBy: 'olivia',
      operator: true,
      role: ROLE_OPERATOR,
    };
    expect(await decide(forger, forged)).toMatchObject({ ok: false, code: RPC_ERROR.permissionDenied });
    expect(await decide(operator, forged)).toMatchObject({ ok: false, code: RPC_ERROR.badRequest });
    expect(
      await callOrchestrator(operator, RPC.escalationTakeover, { reason: 'x', operator: 'mallory-fields' }),
    ).toMatchObject({ ok: false, code: RPC_ERROR.badRequest });
    expect(await callOrchestrator(operator, RPC.controlStats, { as: 'operator' })).toMatchObject({
      ok: false,
      code: RPC_ERROR.badRequest,
    });
    expect(await decide(operator, { escalationId, decision: 'reject' })).toMatchObject({ ok: true });
  });

  it("a participant from roomcrew's own token service cannot even write the attribute", async () => {
    const plain = await join(crew.target, ROOM, 'mallory-plain', 'participant', 'Plain');
    rooms.push(plain);
    await waitFor(() => operator.remoteParticipants.get('mallory-plain'), 'mallory-plain to join');
    await plain.localParticipant?.setAttributes({ [ATTR_ROLE]: ROLE_OPERATOR }).catch(() => undefined);
    // The server refuses the update: after a while the attribute is still absent for everyone.
    await sleep(1500);
    expect(operator.remoteParticipants.get('mallory-plain')?.attributes[ATTR_ROLE]).toBeUndefined();
    expect(await rpcTo(plain, AGENT_NAMES.orchestrator, RPC.controlStats, '')).toMatchObject({
      ok: false,
      code: RPC_ERROR.permissionDenied,
    });
  });
});

describe('the server side grants and revokes the role during the call', () => {
  it('grant → served and offered open escalations within a second; revoke → refused again', async () => {
    const pat = await join(crew.target, ROOM, 'pat', 'participant', 'Pat');
    rooms.push(pat);
    const patEvents = collectCrewEvents(pat);
    await waitFor(() => identityOf(pat, AGENT_NAMES.orchestrator), 'orchestrator');
    expect(await rpcTo(pat, AGENT_NAMES.orchestrator, RPC.controlStats, '')).toMatchObject({
      ok: false,
      code: RPC_ERROR.permissionDenied,
    });
    const escalationId = await raiseEscalation();

    const granted = Date.now();
    await setOperator(crew.target, ROOM, 'pat', true);
    // Pat's own view shows the role once the server has applied it.
    await waitFor(
      () => pat.localParticipant?.attributes[ATTR_ROLE] === ROLE_OPERATOR || undefined,
      'the grant',
    );
    const served = await waitFor(
      async () => (await rpcTo(pat, AGENT_NAMES.orchestrator, RPC.controlStats, '')).ok || undefined,
      'pat to be served as an operator',
      10_000,
      50,
    );
    const servedMs = Date.now() - granted;
    const offered = await waitForEvent(
      patEvents,
      'escalation.request',
      (e) => e.payload.escalationId === escalationId,
    );
    const offeredMs = Date.now() - granted;
    console.log(JSON.stringify({ grant: { servedMs, offeredMs } }));
    expect(served).toBe(true);
    expect(offered.payload.escalationId).toBe(escalationId);
    expect(await rpcTo(pat, AGENT_NAMES.transcriber, RPC.transcriptGet, '{}')).toMatchObject({ ok: true });

    // While an operator, pat takes the crew over; revoking the role hands it back.
    expect(await callOrchestrator(pat, RPC.escalationTakeover, { reason: 'testing' })).toMatchObject({
      ok: true,
    });
    await setOperator(crew.target, ROOM, 'pat', false);
    await waitFor(
      async () =>
        (await rpcTo(pat, AGENT_NAMES.orchestrator, RPC.controlStats, '')).ok === false || undefined,
      'pat to be refused again',
      10_000,
      50,
    );
    expectAllRefused(await everyCrewRpc(pat, escalationId));
    const orchestrator = await waitFor(() => identityOf(operator, AGENT_NAMES.orchestrator), 'orchestrator');
    await waitFor(
      () =>
        !parseTakeover(operator.remoteParticipants.get(orchestrator)?.attributes[ATTR_TAKEOVER]) || undefined,
      'the takeover to be handed back',
    );
    // Revoked, pat cannot put the attribute back: the grant withdrew self-updates.
    await pat.localParticipant?.setAttributes({ [ATTR_ROLE]: ROLE_OPERATOR }).catch(() => undefined);
    await sleep(1500);
    expect(operator.remoteParticipants.get('pat')?.attributes[ATTR_ROLE] ?? '').toBe('');
    expect(await decide(operator, { escalationId, decision: 'reject' })).toMatchObject({ ok: true });
  });

  it('refuses to make an agent an operator', async () => {
    await expect(setOperator(crew.target, ROOM, 'tool-agent', true)).rejects.toThrow(/agent/);
    expect([...operator.remoteParticipants.values()].find((p) => p.identity === 'tool-agent')?.kind).toBe(
      ParticipantKind.AGENT,
    );
  });
});

describe('takeover is decided atomically', () => {
  it('two operators taking over at the same moment, 20 times: exactly one holder each time', async () => {
    const a = await join(crew.target, ROOM, 'op-a', 'operator', 'A');
    const b = await join(crew.target, ROOM, 'op-b', 'operator', 'B');
    rooms.push(a, b);
    await waitFor(
      async () => (await callOrchestrator(a, RPC.controlStats, '')).ok || undefined,
      'op-a served',
    );
    await waitFor(
      async () => (await callOrchestrator(b, RPC.controlStats, '')).ok || undefined,
      'op-b served',
    );
    const holders: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [ra, rb] = await Promise.all([
        callOrchestrator(a, RPC.escalationTakeover, { reason: `race ${i}` }),
        callOrchestrator(b, RPC.escalationTakeover, { reason: `race ${i}` }),
      ]);
      const won = [ra, rb].filter((r) => r.ok);
      const lost = [ra, rb].filter((r) => !r.ok);
      expect(won).toHaveLength(1);
      expect(lost[0]).toMatchObject({ ok: false, code: RPC_ERROR.conflict });
      const winner = ra.ok ? a : b;
      const holder = (won[0] as { value: { operator: string } }).value.operator;
      expect(holder).toBe(winner.localParticipant?.identity);
      holders.push(holder);
      // The loser cannot hand back for the holder, who is still here.
      const loser = ra.ok ? b : a;
      expect(await callOrchestrator(loser, RPC.escalationHandback, {})).toMatchObject({
        ok: false,
        code: RPC_ERROR.conflict,
      });
      expect(await callOrchestrator(winner, RPC.escalationHandback, {})).toMatchObject({
        ok: true,
        value: { handedBack: true },
      });
    }
    console.log(JSON.stringify({ takeoverRace: { rounds: 20, holders: holders.length } }));
    const takes = await auditOf((r) => r.kind === 'takeover' && /^race /.test(String(r.detail.reason)));
    expect(takes).toHaveLength(20);
  });
});
