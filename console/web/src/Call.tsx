import {
  CarouselLayout,
  ControlBar,
  FocusLayout,
  FocusLayoutContainer,
  GridLayout,
  LayoutContextProvider,
  LiveKitRoom,
  ParticipantTile,
  RoomAudioRenderer,
  useConnectionState,
  useParticipants,
  useRoomContext,
  useTracks,
} from '@livekit/components-react';
import { ATTR_TAKEOVER, parseTakeover } from '@roomcrew/shared/contracts';
import { ConnectionState, type Room, RoomEvent, Track } from 'livekit-client';
import { useEffect, useState } from 'react';
import type { TokenResponse } from '../../src/api';
import { AgentsStrip } from './AgentsStrip';
import { orchestratorOf, useCrewRoom } from './crew-room';
import { Logo } from './Logo';
import { Sidebar } from './Sidebar';

declare global {
  interface Window {
    /** The connected room, for the browser's developer tools. */
    roomcrew?: { room: Room };
  }
}

export function Call({ session, onLeave }: { session: TokenResponse; onLeave: () => void }) {
  const [error, setError] = useState<string>();
  return (
    <LiveKitRoom
      serverUrl={session.url}
      token={session.token}
      connect
      video
      audio
      className="rc-call"
      data-lk-theme="default"
      onConnected={() => performance.mark('roomcrew:joined')}
      onDisconnected={onLeave}
      onError={(e) => setError(e.message)}
      onMediaDeviceFailure={(failure) =>
        setError(`Camera or microphone unavailable (${failure ?? 'unknown'})`)
      }
    >
      <RoomAudioRenderer />
      <CallView session={session} error={error} />
    </LiveKitRoom>
  );
}

function CallView({ session, error }: { session: TokenResponse; error: string | undefined }) {
  const room = useRoomContext();
  const crew = useCrewRoom(room);
  const connection = useConnectionState();
  const participants = useParticipants();
  const people = participants.filter((p) => !p.isAgent).length;
  const takeover = useTakeover(room);

  useEffect(() => {
    window.roomcrew = { room };
    return () => {
      window.roomcrew = undefined;
    };
  }, [room]);

  return (
    <div className="rc-shell" data-connection={connection}>
      <header className="rc-header">
        <Logo small />
        <div className="rc-room">
          <span className="rc-room-name">{session.room}</span>
          <span className="rc-muted">
            {people} {people === 1 ? 'person' : 'people'} · {participants.length - people} agents
          </span>
        </div>
        {takeover && (
          <span className="rc-pill rc-pill-warn" data-testid="takeover-banner">
            {takeover.name || takeover.operator} has taken over the crew
          </span>
        )}
        <div className="rc-header-end">
          {session.operator && <span className="rc-pill rc-pill-operator">Operator</span>}
          <span className={`rc-status rc-status-${connection}`}>
            {connection === ConnectionState.Connected ? 'Live' : connection}
          </span>
          <span className="rc-me">{session.name}</span>
        </div>
      </header>
      {error && (
        <div className="rc-banner" role="alert">
          {error}
        </div>
      )}
      <div className="rc-body">
        <section className="rc-stage">
          <AgentsStrip agentStates={crew.agentStates} />
          <Stage />
          <ControlBar
            className="rc-controls"
            variation="verbose"
            controls={{
              microphone: true,
              camera: true,
              screenShare: true,
              leave: true,
              chat: false,
              settings: false,
            }}
          />
        </section>
        <Sidebar crew={crew} session={session} takeover={takeover} />
      </div>
    </div>
  );
}

function Stage() {
  const tracks = useTracks(
    [
      { source: Track.Source.Camera, withPlaceholder: true },
      { source: Track.Source.ScreenShare, withPlaceholder: false },
    ],
    { onlySubscribed: false },
  ).filter((t) => !t.participant.isAgent);
  const share = tracks.find((t) => t.source === Track.Source.ScreenShare && t.publication);
  return (
    <LayoutContextProvider>
      <div className="rc-tiles">
        {share?.publication ? (
          <FocusLayoutContainer>
            <CarouselLayout tracks={tracks.filter((t) => t !== share)}>
              <ParticipantTile />
            </CarouselLayout>
            <FocusLayout trackRef={share} />
          </FocusLayoutContainer>
        ) : (
          <GridLayout tracks={tracks}>
            <ParticipantTile />
          </GridLayout>
        )}
      </div>
    </LayoutContextProvider>
  );
}

/** Who has taken over the crew, from the orchestrator's server-side attribute. */
function useTakeover(room: Room) {
  const [value, setValue] = useState(() => orchestratorOf(room)?.attributes[ATTR_TAKEOVER]);
  useEffect(() => {
    const update = () => setValue(orchestratorOf(room)?.attributes[ATTR_TAKEOVER]);
    room.on(RoomEvent.ParticipantAttributesChanged, update);
    room.on(RoomEvent.ParticipantConnected, update);
    room.on(RoomEvent.ParticipantDisconnected, update);
    update();
    return () => {
      room.off(RoomEvent.ParticipantAttributesChanged, update);
      room.off(RoomEvent.ParticipantConnected, update);
      room.off(RoomEvent.ParticipantDisconnected, update);
    };
  }, [room]);
  return parseTakeover(value);
}
