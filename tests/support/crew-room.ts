/**
 * A room with the transcriber (or the crew asked for) and an operator watching: where the
 * transcription tests start.
 */
import type { Room } from '@livekit/rtc-node';
import { type DispatchCrewOptions, dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES, ATTR_AGENT_NAME, LK_ATTR_AGENT_STATE } from '@roomcrew/shared';
import type { Crew } from './crew-harness.js';
import { collectCrewEvents, collectTranscriptions, join } from './room-client.js';
import { waitFor } from './wait.js';

/** Resolves once `room` has been told about an agent with this agentName. */
export function waitForAgent(room: Room, agentName: string): Promise<true> {
  return waitFor(
    () =>
      [...room.remoteParticipants.values()].some((p) => p.attributes[ATTR_AGENT_NAME] === agentName) ||
      undefined,
    `${agentName} to join`,
  );
}

/** Resolves once the agent with this agentName reports `lk.agent.state` = state (e.g. listening). */
export function waitForAgentState(room: Room, agentName: string, state: string): Promise<true> {
  return waitFor(
    () =>
      [...room.remoteParticipants.values()].some(
        (p) => p.attributes[ATTR_AGENT_NAME] === agentName && p.attributes[LK_ATTR_AGENT_STATE] === state,
      ) || undefined,
    `${agentName} to be ${state}`,
  );
}

export async function enterCrewRoom(
  crew: Crew,
  room: string,
  opts: DispatchCrewOptions & { operator?: string } = {},
) {
  const { operator: identity = `op-${room}`, ...dispatch } = opts;
  // Transcription tests bring the transcriber alone unless they ask for more: rooms stay open for
  // a whole file, and other members (vision decoding cameras) would share the two cores.
  await dispatchCrew(crew.target, room, { agents: [AGENT_NAMES.transcriber], ...dispatch });
  const operator = await join(crew.target, room, identity, 'operator');
  const captions = collectTranscriptions(operator);
  const events = collectCrewEvents(operator);
  await waitForAgent(operator, AGENT_NAMES.transcriber);
  return { operator, captions, events };
}
