/**
 * The control plane on livekit-server-sdk: dispatching the crew, tokens and room status. Used by
 * the `roomcrew` command and by tests and benchmarks.
 */
import {
  AGENT_NAMES,
  ATTR_AGENT_NAME,
  ATTR_ROLE,
  type Credentials,
  type CrewMember,
  crewJobMetadataSchema,
  grantOperator,
  LK_ATTR_AGENT_STATE,
  memberMetadataOf,
  operatorByServer,
  operatorToken,
  participantToken,
  ROLE_OPERATOR,
  revokeOperator,
  SERVER_PARTICIPANT_KIND,
  serverApiUrl,
  toMs,
} from '@roomcrew/shared';
import { AgentDispatchClient, RoomServiceClient, TrackSource, TrackType } from 'livekit-server-sdk';

export interface ServerTarget extends Credentials {
  url: string;
}

export function apiClients(t: ServerTarget) {
  const http = serverApiUrl(t.url);
  return {
    rooms: new RoomServiceClient(http, t.apiKey, t.apiSecret),
    dispatch: new AgentDispatchClient(http, t.apiKey, t.apiSecret),
  };
}

/** A dispatch no worker has taken after this long is considered lost. */
const STALE_DISPATCH_MS = 15_000;

export interface DispatchCrewOptions {
  agents?: CrewMember[];
  language?: string;
  /** Participants whose cameras the vision agent always follows. */
  watch?: string[];
  /** An unserved orchestrator dispatch older than this is replaced (default 15 s). */
  staleAfterMs?: number;
}

export interface DispatchCrewResult {
  dispatchId: string;
  /** False when the crew was already dispatched into the room (nothing new was created). */
  created: boolean;
  metadata: string;
}

/**
 * Dispatches the crew: the members' dispatches first, all at once, then crew-orchestrator's with
 * the crew in its metadata. Each dispatch hop costs the server's worker selection (~200 ms);
 * dispatching the members here lets the crew join in parallel rather than in two hops, and the
 * orchestrator finds these dispatches and does not repeat them (dispatching the orchestrator alone,
 * as any LiveKit client can, still brings the whole crew). Idempotent: when the room already has
 * an orchestrator dispatch, it is returned instead.
 */
export async function dispatchCrew(
  t: ServerTarget,
  room: string,
  opts: DispatchCrewOptions = {},
): Promise<DispatchCrewResult> {
  const crew = crewJobMetadataSchema.parse({
    ...(opts.agents ? { crew: opts.agents } : {}),
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.watch?.length ? { watch: opts.watch } : {}),
  });
  const metadata = JSON.stringify(crew);
  const { rooms, dispatch } = apiClients(t);
  await rooms.createRoom({ name: room });
  const dispatches = await dispatch.listDispatch(room);
  const existing = dispatches.find((d) => d.agentName === AGENT_NAMES.orchestrator);
  if (existing) {
    // The server never retries a dispatch no worker took: replace one that is stale and unserved.
    const age = Date.now() - toMs(existing.state?.createdAt);
    const served = (existing.state?.jobs ?? []).length > 0;
    if (served || age < (opts.staleAfterMs ?? STALE_DISPATCH_MS)) {
      return { dispatchId: existing.id, created: false, metadata: existing.metadata };
    }
    await dispatch.deleteDispatch(existing.id, room);
  }
  const dispatched = new Set(dispatches.map((d) => d.agentName));
  const memberMetadata = memberMetadataOf(crew);
  await Promise.all(
    crew.crew
      .filter((member) => !dispatched.has(member))
      .map((member) => dispatch.createDispatch(room, member, { metadata: memberMetadata })),
  );
  const d = await dispatch.createDispatch(room, AGENT_NAMES.orchestrator, { metadata });
  return { dispatchId: d.id, created: true, metadata };
}

export interface TrackStatus {
  sid: string;
  type: 'audio' | 'video' | 'data';
  source: string;
  muted: boolean;
}

export interface ParticipantStatus {
  identity: string;
  name: string;
  kind: 'human' | 'agent' | 'other';
  /** joining → joined → active (media connected, visible to others) → disconnected */
  state: string;
  agentName?: string;
  /** `lk.agent.state` (listening, thinking, speaking, …) where the agent sets it. */
  agentState?: string;
  /** `operator` where the server granted the role (crew-authority.ts). */
  role?: string;
  /** A role attribute the participant set on itself, which grants nothing. */
  claimedRole?: string;
  tracks: TrackStatus[];
}

export interface RoomStatus {
  room: string;
  exists: boolean;
  participants: ParticipantStatus[];
  dispatches: {
    id: string;
    agentName: string;
    jobs: { id: string; status: string; participant: string }[];
  }[];
}

/** Names of the server API's job, participant and track enums (the SDK does not re-export them). */
const JOB_STATUS = ['pending', 'running', 'success', 'failed'];
const PARTICIPANT_STATE = ['joining', 'joined', 'active', 'disconnected'];
const SOURCE: Record<number, string> = {
  [TrackSource.CAMERA]: 'camera',
  [TrackSource.MICROPHONE]: 'microphone',
  [TrackSource.SCREEN_SHARE]: 'screen_share',
  [TrackSource.SCREEN_SHARE_AUDIO]: 'screen_share_audio',
};

export async function roomStatus(t: ServerTarget, room: string): Promise<RoomStatus> {
  const { rooms, dispatch } = apiClients(t);
  const found = await rooms.listRooms([room]);
  if (found.length === 0) return { room, exists: false, participants: [], dispatches: [] };
  const [participants, dispatches] = await Promise.all([
    rooms.listParticipants(room),
    dispatch.listDispatch(room),
  ]);
  return {
    room,
    exists: true,
    participants: participants.map((p) => ({
      identity: p.identity,
      name: p.name,
      state: PARTICIPANT_STATE[p.state] ?? 'unknown',
      kind:
        p.kind === SERVER_PARTICIPANT_KIND.agent
          ? 'agent'
          : p.kind === SERVER_PARTICIPANT_KIND.standard
            ? 'human'
            : 'other',
      ...(p.attributes[ATTR_AGENT_NAME] ? { agentName: p.attributes[ATTR_AGENT_NAME] } : {}),
      ...(p.attributes[LK_ATTR_AGENT_STATE] ? { agentState: p.attributes[LK_ATTR_AGENT_STATE] } : {}),
      // The role only where the server granted it; a self-set attribute shows as a claim.
      ...(operatorByServer(p)
        ? { role: ROLE_OPERATOR }
        : p.attributes[ATTR_ROLE]
          ? { claimedRole: p.attributes[ATTR_ROLE] }
          : {}),
      tracks: p.tracks.map((tr) => ({
        sid: tr.sid,
        type: tr.type === TrackType.AUDIO ? 'audio' : tr.type === TrackType.VIDEO ? 'video' : 'data',
        source: SOURCE[tr.source] ?? 'unknown',
        muted: tr.muted,
      })),
    })),
    dispatches: dispatches.map((d) => ({
      id: d.id,
      agentName: d.agentName,
      jobs: (d.state?.jobs ?? []).map((j) => ({
        id: j.id,
        status: JOB_STATUS[j.state?.status ?? 0] ?? 'unknown',
        participant: j.state?.participantIdentity ?? '',
      })),
    })),
  };
}

export function mintToken(
  t: ServerTarget,
  req: { room: string; identity: string; name?: string; operator?: boolean; ttl?: string },
): Promise<string> {
  return req.operator ? operatorToken(t, req) : participantToken(t, req);
}

/** Grants or revokes the operator role of a participant in the call (shared/src/operator-role.ts). */
export async function setOperator(
  t: ServerTarget,
  room: string,
  identity: string,
  operator: boolean,
): Promise<void> {
  const { rooms } = apiClients(t);
  try {
    await (operator ? grantOperator : revokeOperator)(rooms, room, identity);
  } catch (e) {
    if ((e as { status?: number }).status === 404) {
      throw new Error(
        `${identity} is not in room ${room}: the role is granted to someone in the call (or in their token)`,
      );
    }
    throw e;
  }
}
