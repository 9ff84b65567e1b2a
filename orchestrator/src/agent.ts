/**
 * crew-orchestrator: subscribes to no media; brings the crew into the room, validates and routes
 * crew events, answers control RPCs. One per room.
 */
import { defineAgent, type JobContext } from '@livekit/agents';
import { type RemoteParticipant, RoomEvent, RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import { AGENT_NAMES, createLogger, RPC, RPC_ERROR } from '@roomcrew/shared';
import { agentNameOf, requireCrewCaller } from '@roomcrew/shared/room';
import { startCrewJob } from '@roomcrew/shared/worker';
import { CrewDispatcher } from './crew-dispatcher.js';
import { crewPlan, dispatchApi } from './crew-plan.js';
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
    dispatcher.start();

    const job = await startCrewJob(ctx, AGENT_NAMES.orchestrator);
    if (!job) {
      dispatcher.stop(); // a copy of this agent is already in the room and keeps the crew
      return;
    }
    const { log, channel } = job;
    const room = ctx.room;

    const router = new EventRouter(room, channel, log);
    const crewState = new Map<string, { agent: string; state: string; at: number }>();
    router.onAccepted = (event) => {
      if (event.type === 'crew.state' || event.type === 'crew.hello') {
        const state = event.type === 'crew.state' ? event.payload.state : 'ready';
        crewState.set(event.from, { agent: event.payload.agent, state, at: event.ts });
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
        requireCrewCaller(room, data.callerIdentity, 'read crew stats');
      } catch (e) {
        log.warn(
          { caller: data.callerIdentity, method: RPC.controlStats },
          'refused RPC from a non-operator',
        );
        throw e;
      }
      return JSON.stringify({ ...router.stats(), crew: Object.fromEntries(crewState) });
    });

    const onLeave = (p: RemoteParticipant) => {
      crewState.delete(p.identity);
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
      log.info({ stats: router.stats() }, 'orchestrator stopping; final routing counters');
    });
    log.info('orchestrator ready');
  },
});
