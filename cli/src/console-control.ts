/** The console's crew controls on the control plane: status, dispatch, removing an agent. */
import type { CrewControl } from '@roomcrew/console';
import { operatorByServer } from '@roomcrew/shared';
import { apiClients, dispatchCrew, roomStatus, type ServerTarget } from './control-plane.js';

export function consoleCrewControl(t: ServerTarget): CrewControl {
  return {
    async status(room) {
      const s = await roomStatus(t, room);
      return {
        room,
        dispatched: s.dispatches.length > 0,
        agents: s.participants
          .filter((p) => p.kind === 'agent')
          .map((p) => ({
            identity: p.identity,
            agentName: p.agentName ?? p.name,
            state: p.state,
            ...(p.agentState ? { agentState: p.agentState } : {}),
            healthy: p.state === 'active' || p.state === 'joined',
            tracks: p.tracks.length,
          })),
      };
    },
    async dispatch(room) {
      const d = await dispatchCrew(t, room);
      return { dispatchId: d.dispatchId, created: d.created };
    },
    async roleOf(room, identity) {
      try {
        return operatorByServer(await apiClients(t).rooms.getParticipant(room, identity))
          ? 'operator'
          : 'not_operator';
      } catch (e) {
        // 404: not in the room (or the room does not exist yet).
        if ((e as { status?: number }).status === 404) return 'absent';
        throw e;
      }
    },
    async remove(room, identity) {
      const s = await roomStatus(t, room);
      if (!s.participants.some((p) => p.identity === identity && p.kind === 'agent')) return false;
      await apiClients(t).rooms.removeParticipant(room, identity);
      return true;
    },
  };
}
