/**
 * Makes the crew named in the job metadata present in the room, through the server's
 * AgentDispatch API, idempotently: an agent that is in the room, or whose dispatch is still
 * within its grace period to join, is never dispatched again. Self-hosted LiveKit neither retries
 * a dispatch no worker took nor re-dispatches a job whose worker died, so reconciliation runs
 * again whenever a member leaves and periodically while the crew is incomplete, with backoff.
 */
import type { Room } from '@livekit/rtc-node';
import { ATTR_AGENT_NAME, type Logger, toMs } from '@roomcrew/shared';
import { agentNameOf } from '@roomcrew/shared/room';
import type { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';

export interface DispatchApi {
  dispatch: AgentDispatchClient;
  rooms: RoomServiceClient;
}

export interface DispatcherOptions {
  api: DispatchApi;
  roomName: string;
  members: readonly string[];
  memberMetadata: string;
  log: Logger;
  /** The connected room, for a local presence check; absent before the orchestrator joins. */
  room?: Pick<Room, 'remoteParticipants'>;
  /** Time an agent has to join after its dispatch before it is dispatched again. */
  joinGraceMs?: number;
  /** Longest wait between reconciliations while the crew is incomplete. */
  maxBackoffMs?: number;
  /** Interval of the presence check once the crew is complete. */
  watchMs?: number;
}

export type MemberStatus = 'present' | 'joining' | 'dispatched';

export class CrewDispatcher {
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = 1000;
  #stopped = false;
  readonly #ours = new Map<string, number>(); // agentName → when we last dispatched it
  readonly #seen = new Map<string, number>(); // agentName → when we last saw it in the room
  readonly #grace: number;
  readonly #maxBackoff: number;
  readonly #watchMs: number;

  private readonly api: DispatchApi;
  private readonly room: Pick<Room, 'remoteParticipants'> | undefined;
  private readonly roomName: string;
  private readonly members: readonly string[];
  private readonly memberMetadata: string;
  private readonly log: Logger;

  constructor(opts: DispatcherOptions) {
    this.api = opts.api;
    this.room = opts.room;
    this.roomName = opts.roomName;
    this.members = opts.members;
    this.memberMetadata = opts.memberMetadata;
    this.log = opts.log;
    this.#grace = opts.joinGraceMs ?? 15_000;
    this.#maxBackoff = opts.maxBackoffMs ?? 60_000;
    this.#watchMs = opts.watchMs ?? 10_000;
  }

  /** Runs one reconciliation after any in progress (never two at once). */
  reconcile(): Promise<Record<string, MemberStatus>> {
    const run = this.#queue.then(() => this.#reconcileOnce());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Reconciles (after `delayMs`), and again until complete; call `kick()` when a member leaves.
   */
  start(delayMs = 0): void {
    if (delayMs <= 0) void this.#loop();
    else this.#timer = setTimeout(() => void this.#loop(), delayMs);
  }

  kick(): void {
    this.#backoffMs = 1000;
    if (this.#timer) clearTimeout(this.#timer);
    void this.#loop();
  }

  /** Records that a member was in the room until now (e.g. it just left). */
  markSeen(name: string): void {
    this.#seen.set(name, Date.now());
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #loop(): Promise<void> {
    if (this.#stopped) return;
    let complete = false;
    try {
      const status = await this.reconcile();
      complete = Object.values(status).every((s) => s === 'present');
    } catch (e) {
      this.log.warn(
        { err: e },
        'could not reconcile the crew with the dispatch API; will retry (is the server reachable?)',
      );
    }
    if (this.#stopped) return;
    if (complete) {
      // Keep checking presence now and then (a local check, no API call while complete): a member
      // that joins and drops out within one participant update is never announced as leaving.
      this.#backoffMs = 1000;
      this.#timer = setTimeout(() => void this.#loop(), this.#watchMs);
      return;
    }
    this.#timer = setTimeout(() => void this.#loop(), this.#backoffMs);
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoff);
  }

  #present(name: string): boolean {
    for (const p of this.room?.remoteParticipants.values() ?? []) if (agentNameOf(p) === name) return true;
    return false;
  }

  async #reconcileOnce(): Promise<Record<string, MemberStatus>> {
    const roomName = this.roomName;
    const status: Record<string, MemberStatus> = {};
    const missing = this.members.filter((m) => {
      if (this.#present(m)) {
        status[m] = 'present';
        this.#seen.set(m, Date.now());
      }
      return status[m] !== 'present';
    });
    if (missing.length === 0) return status;
    // The server's view too: this runs before the orchestrator has joined, to save the crew a
    // round of joining, and the room may know members this participant was not told about yet.
    const [dispatches, participants] = await Promise.all([
      this.api.dispatch.listDispatch(roomName),
      this.api.rooms.listParticipants(roomName),
    ]);
    const joined = new Set(participants.map((p) => p.attributes[ATTR_AGENT_NAME]).filter(Boolean));
    const now = Date.now();
    for (const name of missing) {
      if (this.#present(name) || joined.has(name)) {
        status[name] = 'present';
        continue;
      }
      const mine = dispatches.filter((d) => d.agentName === name);
      const newest = Math.max(this.#ours.get(name) ?? 0, ...mine.map((d) => toMs(d.state?.createdAt)));
      // A dispatch whose agent already joined (and left) gets no grace: it is spent.
      const spent = (this.#seen.get(name) ?? 0) >= newest;
      if (!spent && now - newest < this.#grace) {
        status[name] = 'joining';
        continue;
      }
      if (mine.length > 0) {
        this.log.warn(
          { member: name, dispatches: mine.map((d) => d.id) },
          `${name} was dispatched but is not in the room; dispatching it again (is a ${name} worker running?)`,
        );
        await Promise.all(
          mine.map((d) => this.api.dispatch.deleteDispatch(d.id, roomName).catch(() => undefined)),
        );
      }
      const d = await this.api.dispatch.createDispatch(roomName, name, { metadata: this.memberMetadata });
      this.#ours.set(name, Date.now());
      this.log.info({ member: name, dispatchId: d.id }, `dispatched ${name}`);
      status[name] = 'dispatched';
    }
    return status;
  }
}
