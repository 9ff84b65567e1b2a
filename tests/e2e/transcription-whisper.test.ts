/**
 * The accurate local engine: Whisper tiny.en first, pocketsphinx behind it, fully offline.
 */
import type { Room } from '@livekit/rtc-node';
import { LK_ATTR_TRANSCRIPTION_FINAL } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { enterCrewRoom } from '../support/crew-room.js';
import { FakeMicrophone, synthesize, wordOverlap } from '../support/media.js';
import { join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';

let crew: Crew;
const rooms: Room[] = [];

beforeAll(async () => {
  crew = await startCrew('transcription-whisper', {
    // Whisper's accuracy is what this file tests: on a loaded machine it may take well over the
    // default 3 s, and falling back to pocketsphinx (tested elsewhere) would measure the wrong engine.
    env: { CREW_STT_PROVIDERS: 'whisper,local', CREW_STT_TIMEOUT_MS: '30000' },
  });
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
});

describe('transcriber on the local Whisper engine', () => {
  it('transcribes open speech closely, attributed to the speaker', async () => {
    const { operator, captions, events } = await enterCrewRoom(crew, 'whisper-1', { operator: 'op' });
    const speaker = await join(crew.target, 'whisper-1', 'talker');
    rooms.push(operator, speaker);
    const mic = new FakeMicrophone();
    await mic.publish(speaker);
    // pocketsphinx gets this one badly wrong ("the reports in marketing team tomorrow mining")
    const phrase = 'please send the report to the marketing team tomorrow morning';
    await mic.say(synthesize(phrase));
    const final = await waitFor(
      () =>
        captions.find((c) => c.sender === 'talker' && c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true'),
      'the final caption',
    );
    expect(wordOverlap(final.text, phrase)).toBeGreaterThanOrEqual(0.9);
    const seg = await waitFor(() => events.find((e) => e.event.type === 'transcript.segment'), 'the segment');
    if (seg.event.type !== 'transcript.segment') throw new Error('unreachable');
    expect(seg.event.payload.engine).toBe('whisper');
    await mic.stop();
  });
});
