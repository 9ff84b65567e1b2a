/**
 * Chat messages (`lk.chat` text streams) as the reasoner reads them, with caps (issue 10): a
 * message is read only up to MAX_CHAT_MESSAGE_BYTES (reading stops there, nothing more is
 * buffered), must arrive within STREAM_READ_TIMEOUT_MS, may be at most MAX_CHAT_MESSAGE_CHARS
 * long, and one sender may have at most MAX_STREAMS_PER_SENDER messages being read at once. What
 * breaks a cap is refused whole (never cut to fit), counted per reason for the room, and logged
 * with the sender.
 */
import type { Room, TextStreamReader } from '@livekit/rtc-node';
import {
  LogBudget,
  type Logger,
  MAX_CHAT_MESSAGE_BYTES,
  MAX_CHAT_MESSAGE_CHARS,
  MAX_STREAMS_PER_SENDER,
  RefusalCounts,
  readTextBounded,
} from '@roomcrew/shared';

export type ChatRefusal = 'too_large' | 'too_long' | 'timeout' | 'failed' | 'too_many_streams';

class ChatGate {
  readonly refused = new RefusalCounts();
  readonly #reading = new Map<string, number>();
  readonly #logBudget = new LogBudget();

  async read(reader: TextStreamReader, identity: string, log: Logger): Promise<string | undefined> {
    const open = this.#reading.get(identity) ?? 0;
    if (open >= MAX_STREAMS_PER_SENDER) {
      await reader.close().catch(() => undefined);
      this.#refuse(
        log,
        identity,
        reader,
        'too_many_streams',
        `${open} messages from them are still arriving`,
      );
      return undefined;
    }
    this.#reading.set(identity, open + 1);
    try {
      const read = await readTextBounded(reader, { maxBytes: MAX_CHAT_MESSAGE_BYTES });
      if (!read.ok) {
        this.#refuse(log, identity, reader, read.error.reason, read.error.message);
        return undefined;
      }
      if (read.value.length > MAX_CHAT_MESSAGE_CHARS) {
        this.#refuse(
          log,
          identity,
          reader,
          'too_long',
          `${read.value.length} characters, over the ${MAX_CHAT_MESSAGE_CHARS}-character limit`,
        );
        return undefined;
      }
      return read.value;
    } finally {
      const left = (this.#reading.get(identity) ?? 1) - 1;
      if (left > 0) this.#reading.set(identity, left);
      else this.#reading.delete(identity);
    }
  }

  #refuse(log: Logger, from: string, reader: TextStreamReader, reason: ChatRefusal, message: string): void {
    const n = this.refused.count(reason);
    const budget = this.#logBudget.take(from);
    if (!budget.log) return;
    log.warn(
      {
        from,
        reason,
        streamId: reader.info.streamId,
        refusedSoFar: n,
        ...(budget.suppressed ? { suppressedBefore: budget.suppressed } : {}),
      },
      `chat message refused: ${message}`,
    );
  }
}

const gates = new WeakMap<Room, ChatGate>();

function gateOf(room: Room): ChatGate {
  let g = gates.get(room);
  if (!g) {
    g = new ChatGate();
    gates.set(room, g);
  }
  return g;
}

/** The message's text, or undefined when a cap refused it (counted and logged). Never throws. */
export function readChatMessage(
  room: Room,
  reader: TextStreamReader,
  identity: string,
  log: Logger,
): Promise<string | undefined> {
  return gateOf(room).read(reader, identity, log);
}

/** Chat messages refused in this room so far, by reason (for the reasoner's metrics). */
export function chatRefusals(room: Room): Record<string, number> {
  return gates.get(room)?.refused.snapshot() ?? {};
}
