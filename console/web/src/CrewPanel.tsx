import { useRoomContext } from '@livekit/components-react';
import type { TakeoverState } from '@roomcrew/shared/contracts';
import { RoomEvent } from 'livekit-client';
import { useCallback, useEffect, useState } from 'react';
import type { CrewStatus, TokenResponse } from '../../src/api';
import { api } from './api';
import type { CrewRoomState } from './crew-room';
import { agentLabel } from './crew-room';

/** Operators: the crew as the server sees it; dispatch it, remove an agent. */
export function CrewPanel({
  session,
  agentStates,
  takeover,
}: {
  session: TokenResponse;
  agentStates: CrewRoomState['agentStates'];
  takeover: TakeoverState | undefined;
}) {
  const room = useRoomContext();
  const [status, setStatus] = useState<CrewStatus>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setStatus(await api.crew(session.room, session.session ?? ''));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [session]);

  useEffect(() => {
    void refresh();
    room.on(RoomEvent.ParticipantConnected, refresh);
    room.on(RoomEvent.ParticipantDisconnected, refresh);
    return () => {
      room.off(RoomEvent.ParticipantConnected, refresh);
      room.off(RoomEvent.ParticipantDisconnected, refresh);
    };
  }, [room, refresh]);

  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await what();
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="rc-crew">
      <div className="rc-section-head">
        <h2>Crew in {session.room}</h2>
        <button
          type="button"
          className="rc-primary"
          disabled={busy}
          onClick={() => act(() => api.dispatch(session.room, session.session ?? ''))}
        >
          Dispatch crew
        </button>
      </div>
      {takeover && <p className="rc-muted">Taken over by {takeover.name || takeover.operator}.</p>}
      {error && (
        <p className="rc-error" role="alert">
          {error}
        </p>
      )}
      {status && status.agents.length === 0 && (
        <p className="rc-empty rc-empty-small">
          {status.dispatched ? 'The crew is on its way…' : 'No crew in this room. Dispatch it to start.'}
        </p>
      )}
      <ul className="rc-crew-list">
        {status?.agents.map((a) => {
          const reported = agentStates[a.agentName]?.state;
          const healthy = a.healthy && reported !== 'degraded';
          return (
            <li key={a.identity} data-agent={a.agentName} data-healthy={healthy}>
              <span className={`rc-dot rc-dot-${healthy ? 'ok' : 'warn'}`} />
              <div className="rc-crew-who">
                <b>{agentLabel(a.agentName)}</b>
                <span className="rc-muted">
                  {a.identity} · {reported ?? a.agentState ?? a.state}
                </span>
              </div>
              <button
                type="button"
                className="rc-secondary rc-small"
                disabled={busy}
                onClick={() => act(() => api.remove(session.room, a.identity, session.session ?? ''))}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
