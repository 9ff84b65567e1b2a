import type { Room, TextStreamReader } from '@livekit/rtc-node';
import {
  type Logger,
  MAX_CHAT_MESSAGE_BYTES,
  MAX_CHAT_MESSAGE_CHARS,
  MAX_STREAMS_PER_SENDER,
} from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { chatRefusals, readChatMessage } from '../src/chat-limits.js';

/** A reader like rtc-node's: chunks on demand, counts how many were pulled, can be held open. */
function reader(chunks: string[], opts: { hold?: Promise<void> } = {}) {
  const r = {
    pulled: 0,
    closed: false,
    info: { streamId: `ST_${Math.random()}`, topic: 'lk.chat', mimeType: 'text/plain', timestamp: 0 },
    async close() {
      r.closed = true;
    },
    [Symbol.asyncIterator]() {
      return {
        next: async () => {
          if (opts.hold) await opts.hold;
          if (r.pulled >= chunks.length) return { done: true as const, value: undefined };
          return { done: false as const, value: chunks[r.pulled++] as string };
        },
        return: async () => {
          r.closed = true;
          return { done: true as const, value: undefined };
        },
      };
    },
  };
  return r;
}
const asReader = (r: ReturnType<typeof reader>) => r as unknown as TextStreamReader;

function logger() {
  const lines: { o: Record<string, unknown>; msg: string }[] = [];
  const log = {
    warn: (o: Record<string, unknown>, msg: string) => lines.push({ o, msg }),
  } as unknown as Logger;
  return { log, lines };
}

describe('chat messages the reasoner reads', () => {
  it('reads a message within the caps', async () => {
    const room = {} as Room;
    const { log } = logger();
    expect(await readChatMessage(room, asReader(reader(['hello ', 'crew'])), 'alice', log)).toBe(
      'hello crew',
    );
    expect(chatRefusals(room)).toEqual({});
  });

  it('stops reading a message at the byte cap and refuses it whole, with the sender logged', async () => {
    const room = {} as Room;
    const { log, lines } = logger();
    const r = reader(Array.from({ length: 10_000 }, () => 'x'.repeat(1000)));
    expect(await readChatMessage(room, asReader(r), 'mallory', log)).toBeUndefined();
    expect(r.pulled).toBe(Math.floor(MAX_CHAT_MESSAGE_BYTES / 1000) + 1);
    expect(r.closed).toBe(true);
    expect(chatRefusals(room)).toEqual({ too_large: 1 });
    expect(lines[0]?.o).toMatchObject({ from: 'mallory', reason: 'too_large', refusedSoFar: 1 });
  });

  it('refuses a message over the character cap instead of cutting it', async () => {
    const room = {} as Room;
    const { log } = logger();
    const long = 'y'.repeat(MAX_CHAT_MESSAGE_CHARS + 1);
    expect(await readChatMessage(room, asReader(reader([long])), 'bob', log)).toBeUndefined();
    expect(await readChatMessage(room, asReader(reader([long.slice(1)])), 'bob', log)).toHaveLength(
      MAX_CHAT_MESSAGE_CHARS,
    );
    expect(chatRefusals(room)).toEqual({ too_long: 1 });
  });

  it('reads only a few messages of one sender at once; more are closed unread', async () => {
    const room = {} as Room;
    const { log } = logger();
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const open = Array.from({ length: MAX_STREAMS_PER_SENDER }, () =>
      readChatMessage(room, asReader(reader(['a'], { hold })), 'flood', log),
    );
    const extra = reader(['b']);
    expect(await readChatMessage(room, asReader(extra), 'flood', log)).toBeUndefined();
    expect(extra.pulled).toBe(0);
    expect(extra.closed).toBe(true);
    // another sender is not affected
    expect(await readChatMessage(room, asReader(reader(['hi'])), 'carol', log)).toBe('hi');
    release();
    expect(await Promise.all(open)).toEqual(Array(MAX_STREAMS_PER_SENDER).fill('a'));
    // once those are read, the sender may send again
    expect(await readChatMessage(room, asReader(reader(['c'])), 'flood', log)).toBe('c');
    expect(chatRefusals(room)).toEqual({ too_many_streams: 1 });
  });
});
