/**
 * crew-orchestrator: subscribes to no media; brings the crew into the room, validates and routes
 * crew events, answers control RPCs. One per room.
 */
import { defineAgent, type JobContext } from '@livekit/agents';
import { type RemoteParticipant, RoomEvent, RpcError } from '@livekit/rtc-node';
import {
  AGENT_NAMES,
  AuditLog,
  type CrewEvent,
  createLogger,
  decideRequestSchema,
  emptyRequestSchema,
  RPC,
  RPC_ERROR,
  takeoverRequestSchema,
} from '@roomcrew/shared';
import { agentNameOf, CrewRpcServer } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
import { orchestratorConfig } from './config.js';
import { CrewDispatcher } from './crew-dispatcher.js';
import { crewPlan, dispatchApi } from './crew-plan.js';
import { CrewTakeover } from './crew-takeover.js';
import { EscalationDesk } from './escalation-desk.js';
import { EventRouter } from './event-router.js';

/** The escalation a refused decision was about, when its payload says so. */
function escalationIdIn(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as { escalationId?: unknown }).escalationId;
    return typeof id === 'string' ? id.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

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
    // One writer per room: while a leaving copy still holds the trail, open() waits for it; a job
    // that cannot have the trail leaves rather than fork it.
    const leaving = new AbortController();
    ctx.addShutdownCallback(async () => leaving.abort());
    let audit: AuditLog;
    try {
      audit = await AuditLog.open(cfg.CREW_DATA_DIR, roomName, {
        key: cfg.CREW_AUDIT_KEY,
        log,
        signal: leaving.signal,
      });
    } catch (e) {
      dispatcher.stop();
      log.error({ err: e }, 'the audit trail could not be opened; this orchestrator leaves the room');
      ctx.shutdown('audit trail unavailable');
      return;
    }
    log.info({ audit: audit.path }, 'audit trail opened');
    const desk = new EscalationDesk({ room, channel, audit, log, fallback: cfg.CREW_ESCALATION_FALLBACK });
    const takeover = new CrewTakeover(room, audit, log);

    const router = new EventRouter(room, channel, log);
    const crewState = new Map<string, { agent: string; state: string; at: number }>();
    /** Each member's latest state report, replayed to an operator the server confirms later. */
    const lastReport = new Map<string, CrewEvent>();
    router.onAccepted = (event) => {
      switch (event.type) {
        case 'crew.state':
        case 'crew.hello': {
          const state = event.type === 'crew.state' ? event.payload.state : 'ready';
          crewState.set(event.from, { agent: event.payload.agent, state, at: event.ts });
          lastReport.set(event.from, event);
          break;
        }
        case 'escalation.request':
          void desk.request(event);
          break;
        case 'crew.refusal': {
          const { caller, message, reason, ...detail } = event.payload;
          audit.append({
            kind: 'rpc.refused',
            actor: caller,
            detail: { ...detail, refusal: reason, reason: message, agent: event.from, eventId: event.id },
          });
          break;
        }
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

    // Every refused crew RPC is on the audit trail (issue 10), decisions under their own kind.
    // Pings are not: agents ping until the orchestrator has been told about them.
    const rpc = new CrewRpcServer(room, job.authority, log, (r) => {
      if (r.method === RPC.ping) return;
      const escalationId = r.method === RPC.escalationDecide ? escalationIdIn(r.payload) : undefined;
      audit.append({
        kind: r.method === RPC.escalationDecide ? 'escalation.refused' : 'rpc.refused',
        actor: r.caller,
        ...(escalationId ? { escalationId } : {}),
        detail: {
          method: r.method,
          code: r.code,
          refusal: r.reason,
          reason: r.message,
          payload: r.payload,
          ...(r.suppressed ? { suppressed: r.suppressed } : {}),
        },
      });
    });
    const crewOrOperators = { operators: true, agents: true };
    // A ping succeeds only once this orchestrator knows the caller: packets from a participant the
    // room has not announced yet arrive without a sender and cannot be validated, so agents ping
    // until this succeeds before sending events.
    rpc.register(
      RPC.ping,
      { allowed: 'anyone', what: 'ping', schema: emptyRequestSchema },
      async (_req, _c, data) => {
        if (!room.remoteParticipants.has(data.callerIdentity)) {
          throw new RpcError(RPC_ERROR.notFound, 'the orchestrator does not know you yet; retry shortly');
        }
        return { ok: true, agent: AGENT_NAMES.orchestrator, ts: Date.now() };
      },
    );
    rpc.register(
      RPC.controlStats,
      { allowed: crewOrOperators, what: 'read crew stats', schema: emptyRequestSchema },
      async () => ({
        ...router.stats(),
        rpc: rpc.stats(),
        crew: Object.fromEntries(crewState),
        escalations: desk.snapshot(),
        takeover: takeover.holder ?? null,
      }),
    );
    const operators = { operators: true };
    rpc.register(
      RPC.escalationDecide,
      { allowed: operators, what: 'decide escalations', schema: decideRequestSchema },
      (req, caller) => desk.decide(caller as RemoteParticipant, req),
    );
    rpc.register(
      RPC.escalationTakeover,
      { allowed: operators, what: 'take over the crew', schema: takeoverRequestSchema },
      (req, caller) => takeover.take(caller as RemoteParticipant, req),
    );
    rpc.register(
      RPC.escalationHandback,
      { allowed: operators, what: 'hand the crew back', schema: takeoverRequestSchema },
      (req, caller) => takeover.handback(caller as RemoteParticipant, req),
    );
    // Operators the server confirms (on joining, or granted the role later) get every open escalation.
    // Their role is confirmed by a server call after they join: reports routed in between reached
    // no operator, so the newly confirmed one gets each member's latest.
    const stopOperators = job.authority.onOperator((p) => {
      void desk.operatorArrived(p);
      for (const report of lastReport.values()) {
        channel
          .publish(report, [p.identity])
          .catch((e) =>
            log.warn({ err: e, operator: p.identity }, 'replaying crew state to an operator failed'),
          );
      }
    });
    // A holder who is an operator no longer (revoked by the server) no longer holds the crew.
    const stopRevoked = job.authority.onRevoked(
      (p) => void takeover.release(p.identity, 'the operator role was revoked'),
    );

    const onLeave = (p: RemoteParticipant) => {
      crewState.delete(p.identity);
      lastReport.delete(p.identity);
      void takeover.release(p.identity, 'the operator who took over left the room');
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
      stopOperators();
      stopRevoked();
      rpc.close();
      desk.stop();
      audit.close();
      log.info({ stats: router.stats(), rpc: rpc.stats() }, 'orchestrator stopping; final routing counters');
    });
    log.info('orchestrator ready');
  },
});
