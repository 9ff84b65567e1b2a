/**
 * crew-orchestrator: subscribes to no media; brings the crew into the room, validates and routes
 * crew events, answers control RPCs. One per room.
 */
import { defineAgent, type JobContext } from '@livekit/agents';
import { type RemoteParticipant, RoomEvent, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import { AGENT_NAMES, AuditLog, createLogger, RPC, RPC_ERROR } from '@roomcrew/shared';
import { agentNameOf, requireCrewCaller } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
import { orchestratorConfig } from './config.js';
import { CrewDispatcher } from './crew-dispatcher.js';
import { crewPlan, dispatchApi } from './crew-plan.js';
import { CrewTakeover } from './crew-takeover.js';
import { EscalationDesk } from './escalation-desk.js';
import { EventRouter } from './event-router.js';

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const roomName = ctx.job.room?.name ?? '';
    const early = createLogger({ agent: AGENT_NAMES.orchestrator, room: roomName, job: ctx.job.id });
    const plan = crewPlan(ctx.job.metadata, ctx.info.acceptArguments.identity);
    const { crew } = plan;
    if (plan.problem) early.error({ metadata: ctx.job.metadata }, `${plan.problem}; using the default crew`);
    // The worker already dispatched missing members when the job was offered (main.ts); this
    // dispatcher keeps them present for the life of the room.
    const dispatcher = new CrewDispatcher({
      api: dispatchApi(),
      room: ctx.room,
      roomName,
      members: crew.crew,
      memberMetadata: plan.memberMetadata,
      log: early,
    });
    // The worker's own dispatch at job offer is still in flight: looking at the same room at the
    // same moment would dispatch the members a second time.
    dispatcher.start(2000);

    const job = await startCrewJob(ctx, AGENT_NAMES.orchestrator);
    if (!job) {
      dispatcher.stop(); // a copy of this agent is already in the room and keeps the crew
      return;
    }
    const { log, channel } = job;
    const room = ctx.room;

    const cfg = orchestratorConfig();
    const audit = new AuditLog(cfg.CREW_DATA_DIR, roomName);
    log.info({ audit: audit.path }, 'audit trail opened');
    const desk = new EscalationDesk({ room, channel, audit, log, fallback: cfg.CREW_ESCALATION_FALLBACK });
    const takeover = new CrewTakeover(room, audit, log);

    const router = new EventRouter(room, channel, log);
    const crewState = new Map<string, { agent: string; state: string; at: number }>();
    router.onAccepted = (event) => {
      switch (event.type) {
        case 'crew.state':
        case 'crew.hello': {
          const state = event.type === 'crew.state' ? event.payload.state : 'ready';
          crewState.set(event.from, { agent: event.payload.agent, state, at: event.ts });
          break;
        }
        case 'escalation.request':
          void desk.request(event);
          break;
        case 'tool.call':
        case 'tool.result': {
          const { callId, ...detail } = event.payload;
          audit.append({
            kind: event.type,
            actor: event.from,
            callId,
            detail: { ...detail, eventId: event.id },
          });
          break;
        }
        default:
      }
    };

    const callerOf = (data: RpcInvocationData): RemoteParticipant | undefined => {
      for (const p of room.remoteParticipants.values()) if (p.identity === data.callerIdentity) return p;
      return undefined;
    };
    const me = room.localParticipant;
    if (!me) throw new Error('orchestrator has no local participant');
    // A ping succeeds only once this orchestrator knows the caller: packets from a participant the
    // room has not announced yet arrive without a sender and cannot be validated, so agents ping
    // until this succeeds before sending events.
    me.registerRpcMethod(RPC.ping, async (data) => {
      if (!callerOf(data)) {
        throw new RpcError(RPC_ERROR.notFound, 'the orchestrator does not know you yet; retry shortly');
      }
      return JSON.stringify({ ok: true, agent: AGENT_NAMES.orchestrator, ts: Date.now() });
    });
    me.registerRpcMethod(RPC.controlStats, async (data) => {
      try {
        await requireCrewCaller(room, data.callerIdentity, 'read crew stats');
      } catch (e) {
        log.warn(
          { caller: data.callerIdentity, method: RPC.controlStats },
          'refused RPC from a non-operator',
        );
        throw e;
      }
      return JSON.stringify({
        ...router.stats(),
        crew: Object.fromEntries(crewState),
        escalations: desk.snapshot(),
        takeover: takeover.holder ?? null,
      });
    });
    me.registerRpcMethod(RPC.escalationDecide, async (data) =>
      JSON.stringify(await desk.decide(data.callerIdentity, data.payload)),
    );
    me.registerRpcMethod(RPC.escalationTakeover, async (data) =>
      JSON.stringify(await takeover.take(data.callerIdentity, data.payload)),
    );
    me.registerRpcMethod(RPC.escalationHandback, async (data) =>
      JSON.stringify(await takeover.handback(data.callerIdentity, data.payload)),
    );
    // Operators who join later, or whose role appears later, get every open escalation.
    const onOperator = (p: RemoteParticipant) => void desk.operatorArrived(p);
    room.on(RoomEvent.ParticipantConnected, onOperator);
    room.on(RoomEvent.ParticipantAttributesChanged, (_changed, p) => {
      if (p !== me) void desk.operatorArrived(p as RemoteParticipant);
    });

    const onLeave = (p: RemoteParticipant) => {
      crewState.delete(p.identity);
      void takeover.participantLeft(p.identity);
      const name = agentNameOf(p);
      log.debug({ participant: p.identity, kind: p.kind, member: name }, 'participant left');
      if (name && crew.crew.includes(name as (typeof crew.crew)[number])) {
        log.warn({ member: name, identity: p.identity }, `${name} left the room; restoring the crew`);
        dispatcher.markSeen(name);
        dispatcher.kick();
      }
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeave);
    ctx.addShutdownCallback(async () => {
      dispatcher.stop();
      room.off(RoomEvent.ParticipantDisconnected, onLeave);
      room.off(RoomEvent.ParticipantConnected, onOperator);
      desk.stop();
      audit.close();
      log.info({ stats: router.stats() }, 'orchestrator stopping; final routing counters');
    });
    log.info('orchestrator ready');
  },
});
