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

/**
 * A verdict, either way, stands this long (ms): operators are re-asked this often while they act
 * or receive operator traffic, and a participant claiming the role without the grant cannot make
 * every RPC cost a server call.
 */
const REVERIFY_MS = 5000;
/** A change of attributes is asked about at once, but at most this often per participant (ms). */
const MIN_ASK_INTERVAL_MS = 250;

type Listener = (p: RemoteParticipant) => void;

/**
 * The room's authority: keeps the operator verdicts fresh as participants join, as the server
 * changes their attributes, and every few seconds for confirmed operators; guards RPCs.
 */
export class CrewAuthority {
  readonly #checkedAt = new WeakMap<object, number>();
  readonly #pending = new WeakMap<object, Promise<boolean>>();
  readonly #granted = new Set<Listener>();
  readonly #revoked = new Set<Listener>();
  readonly #timer: NodeJS.Timeout;
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
    // LiveKit tells agents nothing when only another participant's permission changes: confirmed
    // operators are re-asked, so routing and offering follow such a change within REVERIFY_MS.
    this.#timer = setInterval(() => {
      for (const p of room.remoteParticipants.values()) if (isOperator(p)) void this.verify(p);
    }, REVERIFY_MS);
    this.#timer.unref?.();
  }

  /** Called with each participant the server confirms as an operator (on join or on a grant). */
  onOperator(listener: Listener): () => void {
    this.#granted.add(listener);
    return () => this.#granted.delete(listener);
  }

  /** Called with each confirmed operator who is one no longer (revoked, or no longer provable). */
  onRevoked(listener: Listener): () => void {
    this.#revoked.add(listener);
    return () => this.#revoked.delete(listener);
  }

  /**
   * Whether this participant is an operator now, asking the server when the last verdict is older
   * than REVERIFY_MS (or, with `force`, after an attribute change). Only participants whose
   * attribute claims the role ever cost a server call, one at a time.
   */
  verify(p: RemoteParticipant, force = false): Promise<boolean> {
    if (isAgent(p) || !claimsOperator(p)) {
      this.#settle(p, false);
      return Promise.resolve(false);
    }
    const inFlight = this.#pending.get(p);
    if (inFlight) {
      // A change during the call is asked about after it.
      return force ? inFlight.then(() => this.verify(p, true)) : inFlight;
    }
    const since = Date.now() - (this.#checkedAt.get(p) ?? 0);
    if (!force && since < REVERIFY_MS) return Promise.resolve(isOperator(p));
    const wait = force ? Math.max(0, MIN_ASK_INTERVAL_MS - since) : 0;
    const check = (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve())
      .then(() => this.#ask(p))
      .finally(() => {
        if (this.#pending.get(p) === check) this.#pending.delete(p);
      });
    this.#pending.set(p, check);
    return check;
  }

  async #ask(p: RemoteParticipant): Promise<boolean> {
    let info: ServerParticipant | undefined;
    try {
      info = await this.lookup(p.identity);
    } catch (e) {
      this.#checkedAt.set(p, Date.now());
      this.log.error(
        { err: e, participant: p.identity },
        'could not verify a participant role with the LiveKit server (is it reachable with LIVEKIT_API_KEY/SECRET?); treating it as no operator',
      );
      return this.#settle(p, false);
    }
    this.#checkedAt.set(p, Date.now());
    const value = info?.attributes[ATTR_ROLE];
    // The verdict holds for the attribute value the server saw, and only while the local one agrees.
    if (info && operatorByServer(info) && value !== undefined && p.attributes[ATTR_ROLE] === value) {
      return this.#settle(p, true, value);
    }
    if (claimsOperator(p)) {
      this.log.warn(
        { participant: p.identity, canUpdateMetadata: info?.permission?.canUpdateMetadata ?? null },
        'participant claims the operator role but the server did not grant it (it can write its own attributes)',
      );
    }
    return this.#settle(p, false);
  }

  #settle(p: RemoteParticipant, operator: boolean, value?: string): boolean {
    const was = verified.has(p);
    if (operator && value !== undefined) verified.set(p, value);
    else verified.delete(p);
    if (operator && !was) {
      this.log.info({ participant: p.identity }, 'operator role confirmed by the server');
      for (const l of this.#granted) l(p);
    } else if (!operator && was) {
      this.log.info({ participant: p.identity }, 'operator role withdrawn');
      for (const l of this.#revoked) l(p);
    }
    return operator;
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
    clearInterval(this.#timer);
    this.#granted.clear();
    this.#revoked.clear();
  }
}
