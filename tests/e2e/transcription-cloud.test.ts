/**
 * The transcriber on cloud recognizers (the real Deepgram and OpenAI plugins against local
 * servers that speak their wire protocols), with the local engine behind them: interim then final
 * under one segment id, no audio to the cloud while nobody speaks, and a provider dying
 * mid-utterance without the utterance being lost.
 */
import type { Room } from '@livekit/rtc-node';
import { AGENT_NAMES, LK_ATTR_SEGMENT_ID, LK_ATTR_TRANSCRIPTION_FINAL } from '@roomcrew/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { enterCrewRoom } from '../support/crew-room.js';
import { type FakeDeepgram, startFakeDeepgram } from '../support/fake-providers/fake-deepgram.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-providers/fake-openai.js';
import { FakeMicrophone, SAMPLE_RATE, synthesize, wordOverlap } from '../support/media.js';
import { join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

const SCRIPT = ['the', 'quarterly', 'numbers', 'look', 'strong'];
let crew: Crew;
let deepgram: FakeDeepgram;
let openai: FakeOpenAI;
const rooms: Room[] = [];

/** A crew room with an operator watching and a speaker with an open microphone. */
async function speakerRoom(c: Crew, room: string, crewOpts: { language?: string } = {}) {
  const { operator, captions, events } = await enterCrewRoom(c, room, crewOpts);
  const speaker = await join(c.target, room, `speaker-${room}`, 'participant', 'Speaker');
  rooms.push(operator, speaker);
  const mic = new FakeMicrophone();
  await mic.publish(speaker);
  return { operator, speaker, captions, events, mic };
}

beforeAll(async () => {
  deepgram = await startFakeDeepgram({ script: SCRIPT, idleFinalMs: 0 });
  openai = await startFakeOpenAI({ script: 'approved by the whole team' });
  crew = await startCrew('transcription-cloud', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber],
    env: {
      CREW_STT_PROVIDERS: 'deepgram,local',
      DEEPGRAM_API_KEY: 'test-key',
      DEEPGRAM_BASE_URL: deepgram.url,
      CREW_STT_TIMEOUT_MS: '1500',
    },
  });
});

// Each test's people leave when it ends: a WebRTC receiver keeps producing (silent) audio frames
// for a track whose microphone stopped, so every room left open would keep the transcriber running
// VAD in real time for the rest of the file, and later tests would wait on a starved machine.
afterEach(async () => {
  await Promise.all(rooms.splice(0).map((r) => r.disconnect().catch(() => undefined)));
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
  await deepgram?.stop();
  await openai?.stop();
});

describe('transcriber on Deepgram with local fallback', () => {
  it('sends no audio to the cloud while nobody speaks, then interim and final captions under one segment id', async () => {
    const { captions, mic } = await speakerRoom(crew, 'cloud-1');
    await sleep(3000); // an open microphone, silent
    expect(deepgram.audioBytes()).toBe(0);
    expect(deepgram.connections()).toBe(0);

    await mic.say(synthesize('the quarterly numbers look strong this year'));
    const final = await waitFor(
      () => captions.find((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true'),
      'a final caption',
    );
    expect(final.text).toBe(SCRIPT.join(' '));
    expect(final.sender).toBe('speaker-cloud-1');
    const segment = final.attributes[LK_ATTR_SEGMENT_ID];
    const interims = captions.filter(
      (c) =>
        c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'false' && c.attributes[LK_ATTR_SEGMENT_ID] === segment,
    );
    expect(interims.length).toBeGreaterThan(0);
    expect(interims.every((c) => c.at <= final.at)).toBe(true);
    expect(SCRIPT.join(' ').startsWith(interims[0]!.text)).toBe(true);
    // Only speech went out: far less than the time the microphone was open.
    const sentSeconds = deepgram.audioBytes() / 2 / SAMPLE_RATE;
    expect(sentSeconds).toBeGreaterThan(0.5);
    expect(sentSeconds).toBeLessThan(6);
    await mic.stop();
  });

  it('finishes an utterance on the local engine when the provider dies mid-utterance', async () => {
    const { captions, events, mic } = await speakerRoom(crew, 'cloud-2');
    const phrase = 'good morning everyone welcome to the meeting';
    const speech = synthesize(phrase);
    const said = mic.say(speech);
    await waitFor(
      () => deepgram.audioBytes() > 0 && deepgram.connections() > 0,
      'audio reaching Deepgram',
      20_000,
    );
    deepgram.kill();
    await said;
    const final = await waitFor(
      () =>
        captions.find(
          (c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true' && c.sender === 'speaker-cloud-2',
        ),
      'the final caption after the provider died',
    );
    // The local engine heard the whole utterance, including what was said before the failure.
    expect(wordOverlap(final.text, phrase)).toBeGreaterThanOrEqual(0.5);
    const routed = await waitFor(
      () =>
        events.find(
          (e) =>
            e.event.type === 'transcript.segment' &&
            e.event.payload.segmentId === final.attributes[LK_ATTR_SEGMENT_ID],
        ),
      'the routed segment',
    );
    if (routed.event.type !== 'transcript.segment') throw new Error('unreachable');
    expect(routed.event.payload.engine).toBe('local');
    // The switch is counted (state reports carry the transcriber's metrics).
    const state = await waitFor(() => {
      const s = events.filter((e) => e.event.type === 'crew.state').at(-1);
      if (s?.event.type !== 'crew.state') return undefined;
      const stt = s.event.payload.detail?.stt as { fallbacks: number } | undefined;
      return stt && stt.fallbacks >= 1 ? stt : undefined;
    }, 'a state report counting the fallback');
    expect(state.fallbacks).toBeGreaterThanOrEqual(1);
    deepgram.revive();
    await mic.stop();
  });
});

describe('transcriber on OpenAI with local fallback, and room languages', () => {
  let crew2: Crew;

  beforeAll(async () => {
    crew2 = await startCrew('transcription-openai', {
      roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber],
      env: {
        CREW_STT_PROVIDERS: 'openai,local',
        OPENAI_API_KEY: 'test-key',
        OPENAI_BASE_URL: openai.baseURL,
        OPENAI_STT_MODEL: 'whisper-1',
        CREW_STT_TIMEOUT_MS: '1500',
      },
    });
  });

  afterAll(async () => {
    await crew2?.stop();
  });

  it('transcribes each utterance with one request carrying only the speech, in the room language', async () => {
    const before = openai.requests();
    const { captions, events, mic } = await speakerRoom(crew2, 'openai-1', { language: 'fr' });
    await sleep(2000);
    expect(openai.requests()).toBe(before); // silence: no request
    await mic.say(synthesize('approved by the whole team'));
    const final = await waitFor(
      () => captions.find((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true'),
      'the final caption',
    );
    expect(final.text).toBe('approved by the whole team');
    expect(openai.requests()).toBe(before + 1);
    const req = openai.transcriptionRequests().at(-1);
    expect(req?.language).toBe('fr');
    const seg = await waitFor(() => events.find((e) => e.event.type === 'transcript.segment'), 'the segment');
    if (seg.event.type !== 'transcript.segment') throw new Error('unreachable');
    expect(seg.event.payload).toMatchObject({ engine: 'openai', language: 'fr' });
    await mic.stop();
  });

  it('falls back to the local engine when the provider answers 500', async () => {
    openai.failNext(5, 500);
    const { captions, events, mic } = await speakerRoom(crew2, 'openai-2');
    const phrase = 'one two three four five six seven eight nine ten';
    await mic.say(synthesize(phrase, 'rms'));
    const final = await waitFor(
      () => captions.find((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true'),
      'the final caption from the local engine',
    );
    expect(wordOverlap(final.text, phrase)).toBeGreaterThanOrEqual(0.5);
    const seg = await waitFor(() => events.find((e) => e.event.type === 'transcript.segment'), 'the segment');
    if (seg.event.type !== 'transcript.segment') throw new Error('unreachable');
    expect(seg.event.payload.engine).toBe('local');
    await mic.stop();
  });
});
