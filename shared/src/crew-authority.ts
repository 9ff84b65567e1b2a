/**
 * Who may act on the crew (DESIGN.md, Trust; issue 10). The one place that decides whether a
 * participant is an operator or a crew agent; every guard in every agent asks it.
 *
 * - A crew agent is a participant of kind AGENT (`isAgent`): the SFU sets the kind from the
 *   token, which only a holder of the API secret can mint.
 * - An operator is a non-agent participant that has the attribute `crew.role=operator` AND whose
 *   permission, as the LiveKit server reports it, does not let it update its own metadata. A client
 *   that may update its own metadata can set any attribute of its own (FACTS.md), so on such a
 *   participant the attribute proves nothing. The server side grants the role either in the token
 *   (`operatorToken`) or during the call with `RoomServiceClient.updateParticipant`
 *   (`grantOperator`), and revokes it by removing the attribute (`revokeOperator`).
 *
 * rtc-node does not expose a remote participant's permission, so the verdict comes from the
 * server API (`getParticipant`), once per attribute change, and is cached per participant object.
 * Without a verdict, nobody is an operator: the guard fails closed.
 */
import type { ParticipantKind, RemoteParticipant, Room } from '@livekit/rtc-node';
import { RoomEvent, RpcError } from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { LIVEKIT_ENV, readConfig, serverApiUrl } from './config.js';
import { ATTR_ROLE, ROLE_OPERATOR } from './crew.js';
import type { Logger } from './logger.js';
import { operatorByServer, type ServerParticipant } from './operator-role.js';
import { announcedParticipant, isAgent } from './room-helpers.js';
import { RPC_ERROR } from './rpc.js';

export type CrewRole = 'operator' | 'agent' | 'participant';

interface ParticipantLike {
  identity: string;
  kind: ParticipantKind;
  attributes: Record<string, string>;
}

/** Looks a participant up on the server; undefined when it is not in the room. Throws when the server cannot answer. */
export type ParticipantLookup = (identity: string) => Promise<ServerParticipant | undefined>;

function claimsOperator(p: { attributes: Record<string, string> }): boolean {
  return p.attributes[ATTR_ROLE] === ROLE_OPERATOR;
}

/** Verified operators: the participant object and the attribute value the verdict was made on. */
const verified = new WeakMap<object, string>();

/**
 * Synchronous check, for routing and offering: an operator is a non-agent whose role the server
 * confirmed and whose attribute still says so (a revocation removes the attribute: it counts at
 * once, with no server round trip).
 */
export function isOperator(p: ParticipantLike): boolean {
  return !isAgent(p) && claimsOperator(p) && verified.get(p) === p.attributes[ATTR_ROLE];
}

export function roleOf(p: ParticipantLike): CrewRole {
  if (isAgent(p)) return 'agent';
  return isOperator(p) ? 'operator' : 'participant';
}

/** The server API lookup, from the worker's LIVEKIT_* configuration. */
export function serverLookup(roomName: string, env: NodeJS.ProcessEnv = process.env): ParticipantLookup {
  const { LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET } = readConfig(LIVEKIT_ENV, env);
  const rooms = new RoomServiceClient(serverApiUrl(LIVEKIT_URL), LIVEKIT_API_KEY, LIVEKIT_API_SECRET);
  return async (identity) => {
    try {
      const info = await rooms.getParticipant(roomName, identity);
      return {
        identity: info.identity,
        kind: info.kind,
        attributes: { ...info.attributes },
        ...(info.permission ? { permission: { canUpdateMetadata: info.permission.canUpdateMetadata } } : {}),
      };
    } catch (e) {
      // The server answers 404 for a participant that is not (or no longer) in the room.
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
  };
}

/** Who may call a guarded RPC. */
export interface Allowed {
  operators?: boolean;
  agents?: boolean;
}

/** Re-ask the server at most this often for a participant whose role is used to act (ms). */
const REVERIFY_MS = 5000;

/**
 * The room's authority: keeps the operator verdicts fresh as participants join and as the server
 * changes their attributes, and guards RPCs.
 */
export class CrewAuthority {
  readonly #checkedAt = new WeakMap<object, number>();
  readonly #pending = new WeakMap<object, Promise<boolean>>();
  readonly #listeners = new Set<(p: RemoteParticipant) => void>();
  readonly #onJoin = (p: RemoteParticipant) => void this.verify(p);
  readonly #onAttributes = (_changed: Record<string, string>, p: { identity: string }) => {
    const remote = this.room.remoteParticipants.get(p.identity);
    if (remote) void this.verify(remote, true);
  };

  constructor(
    private readonly room: Room,
    private readonly lookup: ParticipantLookup,
    private readonly log: Logger,
  ) {
    room.on(RoomEvent.ParticipantConnected, this.#onJoin);
    room.on(RoomEvent.ParticipantAttributesChanged, this.#onAttributes);
    for (const p of room.remoteParticipants.values()) void this.verify(p);
  }

  /** Called with each participant the server confirms as an operator (on join or on a grant). */
  onOperator(listener: (p: RemoteParticipant) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Asks the server whether this participant is an operator now and records the verdict. Only
   * participants whose attribute claims the role cost a server call.
   */
  verify(p: RemoteParticipant, force = false): Promise<boolean> {
    if (isAgent(p) || !claimsOperator(p)) {
      verified.delete(p);
      return Promise.resolve(false);
    }
    const inFlight = this.#pending.get(p);
    if (inFlight) {
      // One question per participant at a time: a participant toggling its own attributes costs at
      // most one server call per round trip, and a change during the call is asked about after it.
      if (!force) return inFlight;
      const again = inFlight.then(() => this.verify(p));
      return again;
    }
    const fresh = Date.now() - (this.#checkedAt.get(p) ?? 0) < REVERIFY_MS;
    if (!force && fresh && verified.has(p)) return Promise.resolve(isOperator(p));
    const check = this.#ask(p).finally(() => {
      if (this.#pending.get(p) === check) this.#pending.delete(p);
    });
    this.#pending.set(p, check);
    return check;
  }

  async #ask(p: RemoteParticipant): Promise<boolean> {
    const wasOperator = isOperator(p);
    let info: ServerParticipant | undefined;
    try {
      info = await this.lookup(p.identity);
    } catch (e) {
      verified.delete(p);
      this.log.error(
        { err: e, participant: p.identity },
        'could not verify a participant role with the LiveKit server (is it reachable with LIVEKIT_API_KEY/SECRET?); treating it as no operator',
      );
      return false;
    }
    this.#checkedAt.set(p, Date.now());
    const value = info?.attributes[ATTR_ROLE];
    // The verdict holds for the attribute value the server saw, and only while the local one agrees.
    if (info && operatorByServer(info) && value !== undefined && p.attributes[ATTR_ROLE] === value) {
      verified.set(p, value);
      if (!wasOperator) {
        this.log.info({ participant: p.identity }, 'operator role confirmed by the server');
        for (const l of this.#listeners) l(p);
      }
      return true;
    }
    verified.delete(p);
    if (claimsOperator(p)) {
      this.log.warn(
        { participant: p.identity, canUpdateMetadata: info?.permission?.canUpdateMetadata ?? null },
        'participant claims the operator role but the server did not grant it (it can write its own attributes)',
      );
    }
    return false;
  }

  /**
   * The caller, if it is allowed; otherwise a 2403 RpcError. A caller the room has not announced
   * yet (its RPC overtook the announcement) is waited for briefly. Operators are re-verified with
   * the server when their verdict is older than a few seconds.
   */
  async require(callerIdentity: string, allowed: Allowed, what: string): Promise<RemoteParticipant> {
    const caller = await announcedParticipant(this.room, callerIdentity, 3000);
    if (caller) {
      if (allowed.agents && isAgent(caller)) return caller;
      if (allowed.operators && (await this.verify(caller))) return caller;
    }
    const who = [allowed.operators ? 'operators' : '', allowed.agents ? 'crew agents' : '']
      .filter(Boolean)
      .join(' and ');
    throw new RpcError(RPC_ERROR.permissionDenied, `only ${who} may ${what}`);
  }

  close(): void {
    this.room.off(RoomEvent.ParticipantConnected, this.#onJoin);
    this.room.off(RoomEvent.ParticipantAttributesChanged, this.#onAttributes);
    this.#listeners.clear();
  }
}
