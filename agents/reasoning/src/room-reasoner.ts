/**
 * The reasoner in one room: takes routed transcript segments, vision observations and chat in as
 * untrusted inputs, thinks about each one (one at a time, newest kept when it falls behind), and
 * acts through the tool registry. High-impact calls go to an operator through the orchestrator's
 * escalation desk and run only once approved. While an operator has taken over, it listens and
 * remembers but neither speaks nor acts.
 *
 * This file is the loop (inputs → brain → acts); the parts live beside it: room-intake (what
 * comes in), tool-calls (run / escalate / refuse), crew-output (what goes out), voice-turns,
 * takeover-watch and agent-state.
 */
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import {
  AGENT_NAMES,
  type CrewEvent,
  LK_TOPIC_CHAT,
  type Logger,
  type TakeoverState,
} from '@roomcrew/shared';
import { type CrewChannel, isAgent } from '@roomcrew/shared/room';
import { AgentStateAttribute } from './agent-state.js';
import type { Brain } from './brains.js';
import { CrewOutput } from './crew-output.js';
import { originOf } from './provenance.js';
import { newStats } from './reasoner-stats.js';
import { addresses, type RoomInput, type Thought } from './room-input.js';
import { chatInput, inputFromEvent, type NewInput } from './room-intake.js';
import type { RoomMemory } from './room-memory.js';
import { TakeoverWatch } from './takeover-watch.js';
import { ToolCalls } from './tool-calls.js';
import type { ToolRegistry } from './tool-registry.js';
import type { Voice } from './voice.js';
import { VoiceTurns } from './voice-turns.js';

/** Inputs waiting to be thought about; beyond this the oldest are dropped (never falls behind). */
const MAX_BACKLOG = 20;

export interface ReasonerOptions {
  room: Room;
  channel: CrewChannel;
  log: Logger;
  registry: ToolRegistry;
  brain: Brain;
  memory: RoomMemory;
  names: readonly string[];
  escalationTimeoutMs: number;
  voice?: Voice;
  /** Called with the end-of-room summary once the last person has left. */
  onSummary?: (text: string) => Promise<void>;
  /**
   * Resolves once the orchestrator answers: inputs are taken in from the start, and acted on
   * once the crew channel works.
   */
  orchestratorReady: Promise<unknown>;
}

export class RoomReasoner {
  readonly #o: ReasonerOptions;
  readonly #backlog: RoomInput[] = [];
  #thinking = false;
  readonly #off: (() => void)[] = [];
  #summarized = false;
  readonly stats = newStats();
  readonly #state: AgentStateAttribute;
  readonly #voice: VoiceTurns;
  readonly #takeover: TakeoverWatch;
  readonly #output: CrewOutput;
  readonly #tools: ToolCalls;

  constructor(o: ReasonerOptions) {
    this.#o = o;
    this.#state = new AgentStateAttribute(o.room, o.log);
    this.#voice = new VoiceTurns(o.room, o.voice, this.#state);
    this.#takeover = new TakeoverWatch(o.room, o.log, () => this.#voice.interrupt('an operator took over'));
    this.#output = new CrewOutput({
      room: o.room,
      channel: o.channel,
      log: o.log,
      memory: o.memory,
      silenced: () => this.#takeover.state !== undefined,
    });
    this.#tools = new ToolCalls({
      registry: o.registry,
      output: this.#output,
      memory: o.memory,
      log: o.log,
      escalationTimeoutMs: o.escalationTimeoutMs,
      stats: this.stats,
      nameOf: (identity) => o.room.remoteParticipants.get(identity)?.name || identity,
    });
  }

  get room(): Room {
    return this.#o.room;
  }

  get takenOver(): TakeoverState | undefined {
    return this.#takeover.state;
  }

  start(): void {
    const { room, channel } = this.#o;
    const onEvent = (event: CrewEvent, sender: RemoteParticipant) => this.#onEvent(event, sender);
    channel.on('event', onEvent);
    this.#off.push(() => channel.off('event', onEvent));

    room.registerTextStreamHandler(LK_TOPIC_CHAT, (reader, info) => {
      void chatInput(room, reader, info.identity, this.#o.log).then((i) => i && this.#input(i));
    });
    this.#off.push(() => room.unregisterTextStreamHandler(LK_TOPIC_CHAT));

    this.#off.push(this.#voice.start());
    this.#off.push(this.#takeover.start());

    const onLeft = () => {
      const people = [...room.remoteParticipants.values()].filter((p) => !isAgent(p));
      if (people.length === 0 && this.#o.memory.inputs > 0) void this.summarize();
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
    this.#off.push(() => room.off(RoomEvent.ParticipantDisconnected, onLeft));
    void this.#o.orchestratorReady.then(() => this.#state.set('listening'));
  }

  /** The end-of-room summary: once per room, as an insight, in the chat and to `onSummary`. */
  async summarize(): Promise<string> {
    const text = this.#o.memory.summary(this.#o.room.name ?? '');
    if (this.#summarized) return text;
    this.#summarized = true;
    await this.#o.onSummary?.(text);
    await this.#output.host(new AbortController().signal).insight('summary', text);
    return text;
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#tools.close();
  }

  // ---- inputs -------------------------------------------------------------------------------

  #onEvent(event: CrewEvent, sender: RemoteParticipant): void {
    if (event.type === 'escalation.decision') {
      this.#tools.onDecision(event, sender);
      return;
    }
    const input = inputFromEvent(event, this.#o.room);
    if (input) this.#input(input);
  }

  #input(i: NewInput): void {
    const input: RoomInput = { ...i, ts: Date.now(), addressed: addresses(i.text, this.#o.names) };
    this.stats.inputs++;
    this.#o.memory.add(input);
    if (this.#backlog.length >= MAX_BACKLOG) {
      const dropped = this.#backlog.shift();
      this.stats.dropped++;
      this.#o.log.warn({ ref: dropped?.ref }, 'reasoner behind real time; dropped the oldest input');
    }
    this.#backlog.push(input);
    if (!this.#thinking) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#thinking = true;
    try {
      await this.#o.orchestratorReady;
      for (let input = this.#backlog.shift(); input; input = this.#backlog.shift()) {
        await this.#think(input);
      }
    } finally {
      this.#thinking = false;
    }
  }

  async #think(input: RoomInput): Promise<void> {
    let thoughts: Thought[];
    await this.#state.set('thinking');
    try {
      thoughts = await this.#o.brain.think(input, this.#o.memory);
    } catch (e) {
      this.#o.log.error({ err: e, ref: input.ref }, 'could not think about an input');
      return;
    } finally {
      await this.#state.set('listening');
    }
    if (thoughts.length === 0) return;
    const takeover = this.#takeover.state;
    if (takeover) {
      this.stats.silenced += thoughts.length;
      this.#o.log.info(
        { operator: takeover.operator, thoughts: thoughts.map((t) => t.kind), ref: input.ref },
        'an operator has taken over: listening only, not acting',
      );
      // Operators see what the crew held back (nothing of it ran or was said).
      await this.#o.channel
        .sendToOrchestrator('crew.state', {
          agent: AGENT_NAMES.reasoner,
          state: 'ready',
          detail: {
            takenOverBy: takeover.operator,
            heldBack: this.stats.silenced,
            latest: thoughts.map((t) => (t.kind === 'tool' ? `${t.tool} ${JSON.stringify(t.args)}` : t.text)),
          },
        })
        .catch((e) => this.#o.log.warn({ err: e }, 'could not report held-back thoughts'));
      return;
    }
    for (const t of thoughts) {
      this.stats.thoughts++;
      await this.#act(t, input);
    }
  }

  // ---- acting -------------------------------------------------------------------------------

  async #act(t: Thought, input: RoomInput): Promise<void> {
    const host = this.#output.host(new AbortController().signal, input.ref);
    switch (t.kind) {
      case 'insight': {
        // A post to everyone, caused by someone's content: it counts against their budget.
        const refused = this.#o.registry.admit(originOf(input), `${t.insight} insight`);
        if (refused) {
          await this.#tools.refused('reasoning.insight', refused, input);
          return;
        }
        if (t.insight === 'alert') this.#o.memory.note('alerts', t.text);
        if (t.insight === 'decision') this.#o.memory.note('decisions', t.text);
        await host.insight(t.insight, t.text);
        await host.chat(t.text);
        return;
      }
      case 'say':
        await host.insight('answer', t.text);
        await host.chat(t.text);
        if (!this.#takeover.state) await this.#voice.speak(t.text);
        return;
      case 'tool':
        await this.#tools.call(t.tool, t.args, t.reason, input, t.recommend);
    }
  }
}
