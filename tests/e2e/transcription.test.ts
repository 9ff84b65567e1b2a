/**
 * Speech in a real room → captions (`lk.transcription`, attributed to the speaker) and routed
 * `transcript.segment` events; the transcriber hears microphones only and cleans up after
 * speakers who leave.
 */
import type { Room } from '@livekit/rtc-node';
import { RoomEvent, TrackKind } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  LK_ATTR_SEGMENT_ID,
  LK_ATTR_TRANSCRIBED_TRACK_ID,
  LK_ATTR_TRANSCRIPTION_FINAL,
} from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { FakeCamera, FakeMicrophone, synthesize, wordOverlap } from '../support/media.js';
import { countDescendants } from '../support/process-tree.js';
import { collectCrewEvents, collectTranscriptions, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';

const PHRASE_A = 'the weather today is sunny and warm';
const PHRASE_B = 'one two three four five six seven eight nine ten';

let crew: Crew;
const rooms: Room[] = [];

async function crewRoom(name: string) {
  await dispatchCrew(crew.target, name);
  const operator = await join(crew.target, name, 'op-1', 'operator');
  rooms.push(operator);
  const captions = collectTranscriptions(operator);
  const events = collectCrewEvents(operator);
  await waitFor(
    () =>
      [...operator.remoteParticipants.values()].some(
        (p) => p.attributes['lk.agent.name'] === AGENT_NAMES.transcriber,
      ),
    'the transcriber to join',
  );
  return { operator, captions, events };
}

function transcriberPid(): number {
  const proc = crew.workers.processes().find((p) => p.name === AGENT_NAMES.transcriber);
  if (!proc?.child.pid) throw new Error('transcriber worker is not running');
  return proc.child.pid;
}

beforeAll(async () => {
  crew = await startCrew('transcription');
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
});

describe('transcriber', () => {
  it('publishes captions from the speaker identity and routes transcript.segment; never subscribes to video', async () => {
    const { captions, events } = await crewRoom('speech-1');
    const speaker = await join(crew.target, 'speech-1', 'alice', 'participant', 'Alice');
    rooms.push(speaker);
    const videoSubscribed: string[] = [];
    const audioSubscribed: string[] = [];
    speaker.on(RoomEvent.LocalTrackSubscribed, (track) => {
      (track.kind === TrackKind.KIND_VIDEO ? videoSubscribed : audioSubscribed).push(track.sid ?? '');
    });
    const camera = new FakeCamera();
    const camPub = await camera.publish(speaker);
    const mic = new FakeMicrophone();
    const micPub = await mic.publish(speaker);
    await waitFor(() => audioSubscribed.length > 0, 'the transcriber to subscribe to the microphone');

    await mic.say(synthesize(PHRASE_A));
    const caption = await waitFor(
      () => captions.find((c) => c.sender === 'alice' && wordOverlap(c.text, PHRASE_A) >= 0.5),
      'a caption of the phrase from alice',
    );
    expect(caption.attributes[LK_ATTR_TRANSCRIPTION_FINAL]).toBe('true');
    expect(caption.attributes[LK_ATTR_TRANSCRIBED_TRACK_ID]).toBe(micPub.sid);
    expect(caption.attributes[LK_ATTR_SEGMENT_ID]).toMatch(/^SG_/);

    const routed = await waitFor(
      () =>
        events.find(
          (e) =>
            e.event.type === 'transcript.segment' &&
            e.event.payload.segmentId === caption.attributes[LK_ATTR_SEGMENT_ID],
        ),
      'the routed transcript.segment',
    );
    if (routed.event.type !== 'transcript.segment') throw new Error('unreachable');
    expect(routed.event.payload.speaker).toEqual({ identity: 'alice', name: 'Alice' });
    expect(routed.event.payload.trackId).toBe(micPub.sid);
    expect(routed.event.payload.text).toBe(caption.text);
    expect(routed.event.payload.endTime).toBeGreaterThan(routed.event.payload.startTime);
    // relayed by the orchestrator, sent by the transcriber
    const orchestrator = [...rooms[0]!.remoteParticipants.values()].find(
      (p) => p.attributes['lk.agent.name'] === AGENT_NAMES.orchestrator,
    );
    expect(routed.via).toBe(orchestrator?.identity);
    expect(routed.event.from).not.toBe(routed.via);

    // The transcriber's own account of its subscriptions agrees with the SFU's: audio only.
    const state = await waitFor(
      () =>
        events
          .filter((e) => e.event.type === 'crew.state' && e.event.payload.agent === AGENT_NAMES.transcriber)
          .at(-1),
      'crew.state from the transcriber',
    );
    if (state.event.type !== 'crew.state') throw new Error('unreachable');
    expect(state.event.payload.subscriptions).toContain(micPub.sid);
    expect(state.event.payload.subscriptions).not.toContain(camPub.sid);
    expect(videoSubscribed).toEqual([]);
    await mic.stop();
    await camera.stop();
  });

  it('transcribes two simultaneous speakers separately and attributes each correctly', async () => {
    const { captions } = await crewRoom('speech-2');
    const a = await join(crew.target, 'speech-2', 'speaker-a');
    const b = await join(crew.target, 'speech-2', 'speaker-b');
    rooms.push(a, b);
    const micA = new FakeMicrophone();
    const micB = new FakeMicrophone();
    await Promise.all([micA.publish(a), micB.publish(b)]);
    await waitFor(() => countDescendants(transcriberPid(), 'pocketsphinx') >= 2, 'two recognizer processes');
    await Promise.all([micA.say(synthesize(PHRASE_A, 'slt')), micB.say(synthesize(PHRASE_B, 'rms'))]);
    const fromA = await waitFor(
      () => captions.find((c) => c.sender === 'speaker-a' && wordOverlap(c.text, PHRASE_A) >= 0.5),
      'speaker-a caption',
    );
    const fromB = await waitFor(
      () => captions.find((c) => c.sender === 'speaker-b' && wordOverlap(c.text, PHRASE_B) >= 0.5),
      'speaker-b caption',
    );
    expect(wordOverlap(fromA.text, PHRASE_A)).toBeGreaterThan(wordOverlap(fromA.text, PHRASE_B));
    expect(wordOverlap(fromB.text, PHRASE_B)).toBeGreaterThan(wordOverlap(fromB.text, PHRASE_A));
    // Nothing said by one speaker is attributed to the other.
    for (const c of captions.filter((c) => c.sender === 'speaker-a')) {
      expect(wordOverlap(c.text, PHRASE_B)).toBeLessThan(0.5);
    }
    await Promise.all([micA.stop(), micB.stop()]);
  });

  it('ends the recognizer process of a speaker who leaves', async () => {
    await crewRoom('speech-3');
    const pid = transcriberPid();
    const before = countDescendants(pid, 'pocketsphinx');
    const leaver = await join(crew.target, 'speech-3', 'leaver');
    const mic = new FakeMicrophone();
    await mic.publish(leaver);
    await waitFor(
      () => countDescendants(pid, 'pocketsphinx') === before + 1,
      'a recognizer for the new speaker',
    );
    await leaver.disconnect();
    await waitFor(() => countDescendants(pid, 'pocketsphinx') === before, 'the recognizer to end');
    await mic.stop();
  });
});
