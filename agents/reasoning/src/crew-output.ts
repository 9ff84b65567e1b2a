/**
 * How the reasoner speaks to the crew and the room: crew events to the orchestrator (which
 * routes and audits them), chat messages, and the host handed to running tools. While an
 * operator has taken over, nothing is posted to the chat.
 */
import type { Room } from '@livekit/rtc-node';
import { type CrewPayload, LK_TOPIC_CHAT, type Logger } from '@roomcrew/shared';
import type { CrewChannel } from '@roomcrew/shared/room';
import type { RoomMemory } from './room-memory.js';
import type { ToolHost } from './tool-registry.js';

export type OutgoingType =
  | 'tool.call'
  | 'tool.result'
  | 'escalation.request'
  | 'reasoning.insight'
  | 'reasoning.action_item';

export interface CrewOutputOptions {
  room: Pick<Room, 'localParticipant'>;
  channel: Pick<CrewChannel, 'sendToOrchestrator'>;
  log: Logger;
  memory: RoomMemory;
  /** True while an operator has taken over: the crew stays quiet. */
  silenced: () => boolean;
}

export class CrewOutput {
  readonly #o: CrewOutputOptions;

  constructor(o: CrewOutputOptions) {
    this.#o = o;
  }

  /** Sends a crew event to the orchestrator; false when it could not be sent. */
  async send<T extends OutgoingType>(type: T, payload: CrewPayload<T>, corr?: string): Promise<boolean> {
    try {
      const sent = await this.#o.channel.sendToOrchestrator(type, payload, corr);
      if (!sent) this.#o.log.warn({ type }, 'no orchestrator in the room; crew event not sent');
      return sent !== undefined;
    } catch (e) {
      this.#o.log.error({ err: e, type }, 'sending a crew event failed');
      return false;
    }
  }

  /** What a running tool (or the reasoner itself) can do in the room; `ref` is the input it answers. */
  host(signal: AbortSignal, ref?: string): ToolHost {
    const refs = ref ? [ref] : [];
    return {
      signal,
      chat: async (text) => {
        if (this.#o.silenced()) return;
        try {
          await this.#o.room.localParticipant?.sendText(text, { topic: LK_TOPIC_CHAT });
        } catch (e) {
          this.#o.log.error({ err: e }, 'posting to the chat failed');
        }
      },
      insight: async (kind, text) => {
        await this.send('reasoning.insight', { kind, text: text.slice(0, 4000), refs });
      },
      actionItem: async (item) => {
        if (!this.#o.memory.addActionItem(item)) return;
        await this.send('reasoning.action_item', { ...item, refs });
      },
    };
  }
}
