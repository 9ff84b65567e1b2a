/**
 * What every crew agent does when its job starts: connect without subscribing to anything (each
 * agent then subscribes only to what it needs), log with room/agent/job ids, make sure it is the
 * only copy of itself in the room, open the crew channel and start the room's authority.
 */
import { AutoSubscribe, type JobContext } from '@livekit/agents';
import { type RemoteParticipant, RoomEvent } from '@livekit/rtc-node';
import { CrewAuthority, serverLookup } from './crew-authority.js';
import { CrewChannel } from './crew-channel.js';
import { createLogger, type Logger } from './logger.js';
import { copiesOf, losesTieTo } from './room-helpers.js';

/** How long a newcomer copy has to leave on its own before the tie-break applies. */
const DUPLICATE_SETTLE_MS = 3000;

export interface CrewJob {
  log: Logger;
  channel: CrewChannel;
  /** Decides who is an operator or a crew agent in this room; every guard asks it. */
  authority: CrewAuthority;
}

/**
 * Returns undefined when another copy of this agent is already in the room (this one is leaving);
 * the entry function should then return without doing anything. The entry must not block: the job
 * lives on after it returns, and agents-js waits for it before leaving the room.
 */
export async function startCrewJob(ctx: JobContext, agentName: string): Promise<CrewJob | undefined> {
  const roomName = ctx.job.room?.name ?? '';
  const log = createLogger({ agent: agentName, room: roomName, job: ctx.job.id });
  await ctx.connect(undefined, AutoSubscribe.SUBSCRIBE_NONE);
  const room = ctx.room;
  const me = room.localParticipant;
  if (!me) throw new Error('connected room has no local participant');
  log.info(
    { identity: me.identity, participants: room.remoteParticipants.size },
    `${agentName} joined the room`,
  );

  // One copy of each agent per room. A copy that finds another already here leaves at once; the
  // copy already here learns of the newcomer a moment later, by which time it has normally gone.
  // Two that joined together (neither saw the other) settle it by identity.
  const yieldTo = (other: string) => {
    log.warn({ keeps: other }, `another ${agentName} is already in the room; leaving`);
    ctx.shutdown(`duplicate ${agentName}`);
  };
  const existing = copiesOf(me, room.remoteParticipants.values());
  if (existing[0]) {
    yieldTo(existing[0].identity);
    return undefined;
  }
  const timers = new Set<NodeJS.Timeout>();
  const onJoin = (p: RemoteParticipant) => {
    log.debug({ participant: p.identity, kind: p.kind, attributes: p.attributes }, 'participant joined');
    if (copiesOf(me, [p]).length === 0) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const still = room.remoteParticipants.get(p.identity);
      if (still && losesTieTo(me, still)) yieldTo(still.identity);
    }, DUPLICATE_SETTLE_MS);
    timers.add(t);
  };
  room.on(RoomEvent.ParticipantConnected, onJoin);

  const channel = new CrewChannel(room, log);
  const authority = new CrewAuthority(room, serverLookup(roomName), log);
  ctx.addShutdownCallback(async () => {
    room.off(RoomEvent.ParticipantConnected, onJoin);
    for (const t of timers) clearTimeout(t);
    channel.close();
    authority.close();
    log.info(`${agentName} leaving the room`);
  });
  return { log, channel, authority };
}
