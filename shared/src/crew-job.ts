/**
 * What every crew agent does when its job starts: connect without subscribing to anything (each
 * agent then subscribes only to what it needs), log with room/agent/job ids, make sure it is the
 * only copy of itself in the room, and open the crew channel.
 */
import { AutoSubscribe, type JobContext } from '@livekit/agents';
import { type Participant, type RemoteParticipant, RoomEvent } from '@livekit/rtc-node';
import { CrewChannel } from './crew-channel.js';
import { createLogger, type Logger } from './logger.js';
import { shouldYieldTo } from './room-helpers.js';

export interface CrewJob {
  log: Logger;
  channel: CrewChannel;
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

  const checkDuplicate = (): boolean => {
    const winner = shouldYieldTo(me, room.remoteParticipants.values());
    if (!winner) return false;
    log.warn({ keeps: winner }, `another ${agentName} is already in the room; leaving`);
    ctx.shutdown(`duplicate ${agentName}`);
    return true;
  };
  if (checkDuplicate()) return undefined;
  const onJoin = (p: RemoteParticipant) => {
    log.debug({ participant: p.identity, kind: p.kind, attributes: p.attributes }, 'participant joined');
    checkDuplicate();
  };
  const onAttrs = (_c: Record<string, string>, _p: Participant) => checkDuplicate();
  room.on(RoomEvent.ParticipantConnected, onJoin);
  room.on(RoomEvent.ParticipantAttributesChanged, onAttrs);

  const channel = new CrewChannel(room, log);
  ctx.addShutdownCallback(async () => {
    room.off(RoomEvent.ParticipantConnected, onJoin);
    room.off(RoomEvent.ParticipantAttributesChanged, onAttrs);
    channel.close();
    log.info(`${agentName} leaving the room`);
  });
  return { log, channel };
}
