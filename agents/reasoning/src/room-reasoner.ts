/**
 * The reasoner in one room: takes routed transcript segments, vision observations and chat in as
 * untrusted inputs, thinks about each one (one at a time, newest kept when it falls behind), and
 * acts through the tool registry. High-impact calls go to an operator through the orchestrator's
 * escalation desk and run only once approved. While an operator has taken over, it listens and
 * remembers but neither speaks nor acts.
 */
import { randomUUID } from 'node:crypto';
import {
  type RemoteParticipant,
  type Room,
  RoomEvent,
  type TextStreamReader,
  TrackSource,
} from '@livekit/rtc-node';
import {
  AGENT_NAMES,
  ATTR_TAKEOVER,
  type CrewEvent,
  type CrewPayload,
  LK_ATTR_AGENT_STATE,
  LK_TOPIC_CHAT,
  type Logger,
  parseTakeover,
  type TakeoverState,
} from '@roomcrew/shared';
import { agentNameOf, announcedParticipant, type CrewChannel, isAgent } from '@roomcrew/shared/room';
import type { Brain } from './brains.js';
import { ESCALATE_TOOL } from './builtin-tools.js';
import { addresses, type RoomInput, type Thought } from './room-input.js';
import type { RoomMemory } from './room-memory.js';
import type { ToolHost, ToolRegistry, ToolSpec } from './tool-registry.js';
import type { Voice } from './voice.js';

/** Inputs waiting to be thought about; beyond this the oldest are dropped (never falls behind). */
const MAX_BACKLOG = 20;
const MAX_OPEN_ESCALATIONS = 20;
/** How long after its deadline an escalation with no answer is given up (orchestrator gone). */
const DECISION_GRACE_MS = 10_000;
const INJECTION = /\b(ignore|disregard|forget)\b.{0,40}\b(instructions|rules|prompt)\b/i;

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

type Decision = CrewPayload<'escalation.decision'>;

export class RoomReasoner {
  readonly #o: ReasonerOptions;
  readonly #backlog: RoomInput[] = [];
  #thinking = false;
  #takeover?: TakeoverState;
  readonly #waiting = new Map<
    string,
    { resolve: (d: Decision | undefined) => void; timer: NodeJS.Timeout }
  >();
  readonly #off: (() => void)[] = [];
  #summarized = false;
  readonly stats = { inputs: 0, dropped: 0, thoughts: 0, silenced: 0, tools: 0, escalations: 0, refused: 0 };

  constructor(o: ReasonerOptions) {
    this.#o = o;
  }

  get room(): Room {
    return this.#o.room;
  }

  get takenOver(): TakeoverState | undefined {
    return this.#takeover;
  }

  start(): void {
    const { room, channel } = this.#o;
    const onEvent = (event: CrewEvent, sender: RemoteParticipant) => this.#onEvent(event, sender);
    channel.on('event', onEvent);
    this.#off.push(() => channel.off('event', onEvent));

    room.registerTextStreamHandler(LK_TOPIC_CHAT, (reader, info) => void this.#onChat(reader, info.identity));
    this.#off.push(() => room.unregisterTextStreamHandler(LK_TOPIC_CHAT));

    const onSpeakers = (speakers: { identity: string }[]) => {
      const human = speakers.some((s) => {
        const p = room.remoteParticipants.get(s.identity);
        return p !== undefined && !isAgent(p);
      });
      if (human && this.#o.voice?.speaking) this.#o.voice.interrupt('someone started speaking');
    };
    room.on(RoomEvent.ActiveSpeakersChanged, onSpeakers);
    this.#off.push(() => room.off(RoomEvent.ActiveSpeakersChanged, onSpeakers));
    const onPublished = () => {
      if (this.#o.voice?.speaking) this.#hearPeople(true);
    };
    room.on(RoomEvent.TrackPublished, onPublished);
    this.#off.push(() => room.off(RoomEvent.TrackPublished, onPublished));

    const onAttributes = (_changed: Record<string, string>, p: { identity: string }) => {
      const rp = room.remoteParticipants.get(p.identity);
      if (rp && agentNameOf(rp) === AGENT_NAMES.orchestrator) this.#readTakeover(rp);
    };
    room.on(RoomEvent.ParticipantAttributesChanged, onAttributes);
    this.#off.push(() => room.off(RoomEvent.ParticipantAttributesChanged, onAttributes));
    for (const p of room.remoteParticipants.values()) {
      if (agentNameOf(p) === AGENT_NAMES.orchestrator) this.#readTakeover(p);
    }

    const onLeft = () => {
      const people = [...room.remoteParticipants.values()].filter((p) => !isAgent(p));
      if (people.length === 0 && this.#o.memory.inputs > 0) void this.summarize();
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
    this.#off.push(() => room.off(RoomEvent.ParticipantDisconnected, onLeft));
    void this.#o.orchestratorReady.then(() => this.#setState('listening'));
  }

  /** The end-of-room summary: once per room, as an insight, in the chat and to `onSummary`. */
  async summarize(): Promise<string> {
    const text = this.#o.memory.summary(this.#o.room.name ?? '');
    if (this.#summarized) return text;
    this.#summarized = true;
    await this.#o.onSummary?.(text);
    await this.#host(new AbortController().signal).insight('summary', text);
    return text;
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.resolve(undefined);
      this.#waiting.delete(id);
    }
  }

  // ---- inputs -------------------------------------------------------------------------------

  #onEvent(event: CrewEvent, sender: RemoteParticipant): void {
    switch (event.type) {
      case 'transcript.segment': {
        const p = event.payload;
        if (!p.final || !p.text.trim()) return;
        this.#input({ source: 'transcript', who: p.speaker, text: p.text, ref: event.id });
        return;
      }
      case 'vision.observation': {
        const p = event.payload;
        // A screen's words when it was read (OCR), else what the vision agent says it saw.
        const ocr = (p.fields.ocr as { text?: unknown } | undefined)?.text;
        const who = this.#o.room.remoteParticipants.get(p.participant);
        const text = typeof ocr === 'string' && ocr.trim() ? ocr.trim() : p.summary;
        if (!text.trim()) return;
        this.#input({
          source: 'vision',
          who: { identity: p.participant, name: who?.name || p.participant },
          text,
          ref: event.id,
        });
        return;
      }
      case 'escalation.decision': {
        // Only the orchestrator decides, and only first-hand (never relayed from someone else).
        if (agentNameOf(sender) !== AGENT_NAMES.orchestrator || event.from !== sender.identity) {
          this.#o.log.warn(
            { from: event.from, sender: sender.identity },
            'decision not from the orchestrator; ignored',
          );
          return;
        }
        const waiter = this.#waiting.get(event.payload.escalationId);
        if (!waiter) return;
        clearTimeout(waiter.timer);
        this.#waiting.delete(event.payload.escalationId);
        waiter.resolve(event.payload);
        return;
      }
      default:
    }
  }

  async #onChat(reader: TextStreamReader, identity: string): Promise<void> {
    // A message can arrive before the room has announced its sender to us: wait for that.
    const p = await announcedParticipant(this.#o.room, identity);
    let text: string;
    try {
      text = await reader.readAll();
    } catch (e) {
      this.#o.log.warn({ err: e, from: identity }, 'chat message could not be read');
      return;
    }
    if (!p || isAgent(p) || !text.trim()) return; // the crew's own messages are not inputs
    this.#input({
      source: 'chat',
      who: { identity, name: p.name || identity },
      text: text.slice(0, 4000),
      ref: reader.info.streamId,
    });
  }

  #input(i: Omit<RoomInput, 'ts' | 'addressed'>): void {
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
    await this.#setState('thinking');
    try {
      thoughts = await this.#o.brain.think(input, this.#o.memory);
    } catch (e) {
      this.#o.log.error({ err: e, ref: input.ref }, 'could not think about an input');
      return;
    } finally {
      await this.#setState('listening');
    }
    if (thoughts.length === 0) return;
    if (this.#takeover) {
      this.stats.silenced += thoughts.length;
      this.#o.log.info(
        { operator: this.#takeover.operator, thoughts: thoughts.map((t) => t.kind), ref: input.ref },
        'an operator has taken over: listening only, not acting',
      );
      // Operators see what the crew held back (nothing of it ran or was said).
      await this.#o.channel
        .sendToOrchestrator('crew.state', {
          agent: AGENT_NAMES.reasoner,
          state: 'ready',
          detail: {
            takenOverBy: this.#takeover.operator,
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
    const host = this.#host(new AbortController().signal, input.ref);
    switch (t.kind) {
      case 'insight':
        if (t.insight === 'alert') this.#o.memory.note('alerts', t.text);
        if (t.insight === 'decision') this.#o.memory.note('decisions', t.text);
        await host.insight(t.insight, t.text);
        await host.chat(t.text);
        return;
      case 'say':
        await host.insight('answer', t.text);
        await host.chat(t.text);
        if (this.#o.voice && !this.#takeover) {
          await this.#setState('speaking');
          // The SFU tells a participant who is speaking only about tracks it subscribes to: listen
          // to people's microphones while speaking, so someone talking can interrupt.
          this.#hearPeople(true);
          void this.#o.voice.say(t.text).finally(() => {
            if (!this.#o.voice?.speaking) this.#hearPeople(false);
            void this.#setState('listening');
          });
        }
        return;
      case 'tool':
        await this.call(t.tool, t.args, t.reason, input);
    }
  }

  /** A tool call as the registry decides it: run, ask an operator first, or refuse (all reported). */
  async call(name: string, args: Record<string, unknown>, reason: string, input?: RoomInput): Promise<void> {
    const callId = `call-${randomUUID()}`;
    const plan = this.#o.registry.plan(AGENT_NAMES.reasoner, name, args);
    if (plan.kind === 'refuse') {
      this.stats.refused++;
      this.#o.log.warn({ tool: name, code: plan.code, callId }, `tool call refused: ${plan.error}`);
      await this.#send('tool.result', { callId, tool: name, status: 'rejected', error: plan.error });
      return;
    }
    await this.#send('tool.call', { callId, tool: name, args: plan.args });
    if (plan.kind === 'run') {
      await this.#run(callId, plan.tool, plan.args, input?.ref);
      return;
    }
    if (this.#waiting.size >= MAX_OPEN_ESCALATIONS) {
      await this.#send('tool.result', {
        callId,
        tool: name,
        status: 'dropped',
        error: `${MAX_OPEN_ESCALATIONS} escalations are already waiting for an operator`,
      });
      return;
    }
    // Waiting for a human must not hold up listening: the decision is awaited on the side.
    void this.#escalate(callId, plan.tool, plan.args, reason, input);
  }

  async #escalate(
    callId: string,
    tool: ToolSpec,
    args: Record<string, unknown>,
    reason: string,
    input?: RoomInput,
  ): Promise<void> {
    const escalationId = `esc-${randomUUID()}`;
    const deadline = Date.now() + this.#o.escalationTimeoutMs;
    const suspicious = input ? INJECTION.test(input.text) : false;
    const answered = new Promise<Decision | undefined>((resolve) => {
      const timer = setTimeout(
        () => {
          this.#waiting.delete(escalationId);
          resolve(undefined);
        },
        deadline - Date.now() + DECISION_GRACE_MS,
      );
      this.#waiting.set(escalationId, { resolve, timer });
    });
    this.stats.escalations++;
    const sent = await this.#send(
      'escalation.request',
      {
        escalationId,
        tool: tool.name,
        args,
        reason: reason.slice(0, 500),
        context: this.#o.memory.recap(600),
        // Content that tries to instruct the crew is flagged to the operator.
        recommended: suspicious ? 'reject' : 'approve',
        deadline,
      },
      callId,
    );
    if (!sent) {
      const w = this.#waiting.get(escalationId);
      if (w) clearTimeout(w.timer);
      this.#waiting.delete(escalationId);
      await this.#send('tool.result', {
        callId,
        tool: tool.name,
        status: 'dropped',
        error: 'no orchestrator in the room to ask an operator; the call was not run',
      });
      return;
    }
    this.#o.log.info({ escalationId, tool: tool.name, callId }, 'asked an operator');
    const decision = await answered;
    if (!decision) {
      await this.#send('tool.result', {
        callId,
        tool: tool.name,
        status: 'dropped',
        error: 'no decision arrived; the call was not run',
      });
      return;
    }
    const who = this.#nameOf(decision.decidedBy);
    const summary = `${decision.fallback ? 'Nobody decided in time, so the fallback' : who} ${decision.decision === 'approve' ? 'approved' : 'rejected'} ${tool.name}${decision.note ? ` (${decision.note})` : ''}`;
    this.#o.memory.note('decisions', summary);
    const host = this.#host(new AbortController().signal, input?.ref);
    await host.insight('decision', summary);
    if (decision.decision === 'reject') {
      await this.#send('tool.result', {
        callId,
        tool: tool.name,
        status: 'rejected',
        error: decision.fallback
          ? 'nobody decided before the deadline; rejected by default'
          : `rejected by ${who}${decision.note ? `: ${decision.note}` : ''}`,
      });
      if (tool.name === ESCALATE_TOOL) await host.chat('No operator could help this time.');
      return;
    }
    // Edited arguments are checked against the tool's schema like the original ones.
    let runArgs = args;
    if (decision.args) {
      const checked = tool.validate(decision.args);
      if (!checked.ok) {
        await this.#send('tool.result', {
          callId,
          tool: tool.name,
          status: 'error',
          error: `the operator's edited arguments are invalid: ${checked.error}`,
        });
        return;
      }
      runArgs = checked.args;
    }
    if (tool.name === ESCALATE_TOOL && decision.note) await host.chat(`${who}: ${decision.note}`);
    await this.#run(callId, tool, runArgs, input?.ref, decision.decidedBy);
  }

  async #run(
    callId: string,
    tool: ToolSpec,
    args: Record<string, unknown>,
    ref?: string,
    approvedBy?: string,
  ): Promise<void> {
    this.stats.tools++;
    const ctl = new AbortController();
    try {
      const result = await tool.run(args, this.#host(ctl.signal, ref));
      await this.#send('tool.result', {
        callId,
        tool: tool.name,
        status: 'ok',
        result: approvedBy ? { ...(result as object), approvedBy, args } : result,
      });
    } catch (e) {
      this.#o.log.error({ err: e, tool: tool.name, callId }, 'tool failed');
      await this.#send('tool.result', {
        callId,
        tool: tool.name,
        status: 'error',
        error: (e as Error).message,
      });
    }
  }

  #host(signal: AbortSignal, ref?: string): ToolHost {
    const refs = ref ? [ref] : [];
    return {
      signal,
      chat: async (text) => {
        if (this.#takeover) return;
        try {
          await this.#o.room.localParticipant?.sendText(text, { topic: LK_TOPIC_CHAT });
        } catch (e) {
          this.#o.log.error({ err: e }, 'posting to the chat failed');
        }
      },
      insight: async (kind, text) => {
        await this.#send('reasoning.insight', { kind, text: text.slice(0, 4000), refs });
      },
      actionItem: async (item) => {
        if (!this.#o.memory.addActionItem(item)) return;
        await this.#send('reasoning.action_item', { ...item, refs });
      },
    };
  }

  async #send<
    T extends
      | 'tool.call'
      | 'tool.result'
      | 'escalation.request'
      | 'reasoning.insight'
      | 'reasoning.action_item',
  >(type: T, payload: CrewPayload<T>, corr?: string): Promise<boolean> {
    try {
      const sent = await this.#o.channel.sendToOrchestrator(type, payload, corr);
      if (!sent) this.#o.log.warn({ type }, 'no orchestrator in the room; crew event not sent');
      return sent !== undefined;
    } catch (e) {
      this.#o.log.error({ err: e, type }, 'sending a crew event failed');
      return false;
    }
  }

  #readTakeover(orchestrator: RemoteParticipant): void {
    const state = parseTakeover(orchestrator.attributes[ATTR_TAKEOVER]);
    const was = this.#takeover;
    this.#takeover = state;
    if (state && !was) {
      this.#o.voice?.interrupt('an operator took over');
      this.#o.log.info({ operator: state.operator }, 'operator took over: listening only');
    } else if (!state && was) {
      this.#o.log.info({ operator: was.operator }, 'crew handed back: acting again');
    }
  }

  #hearPeople(on: boolean): void {
    for (const p of this.#o.room.remoteParticipants.values()) {
      if (isAgent(p)) continue;
      for (const pub of p.trackPublications.values()) {
        if (pub.source === TrackSource.SOURCE_MICROPHONE && pub.subscribed !== on) pub.setSubscribed(on);
      }
    }
  }

  #nameOf(identity: string): string {
    return this.#o.room.remoteParticipants.get(identity)?.name || identity;
  }

  #state = '';
  async #setState(state: 'listening' | 'thinking' | 'speaking'): Promise<void> {
    if (this.#state === state || (this.#state === '' && state !== 'listening')) return;
    this.#state = state;
    try {
      await this.#o.room.localParticipant?.setAttributes({ [LK_ATTR_AGENT_STATE]: state });
    } catch (e) {
      this.#o.log.debug({ err: e }, 'agent state not updated');
    }
  }
}
