/**
 * Speech in a real room → captions (`lk.transcription`, attributed to the speaker) and routed
 * `transcript.segment` events; the transcriber hears microphones only and cleans up after
 * speakers who leave.
 */
import { type Room, RoomEvent, type RpcError, TrackKind } from '@livekit/rtc-node';
import { apiClients } from '@roomcrew/cli';
import {
  AGENT_NAMES,
  LK_ATTR_SEGMENT_ID,
  LK_ATTR_TRANSCRIBED_TRACK_ID,
  LK_ATTR_TRANSCRIPTION_FINAL,
  RPC,
  RPC_ERROR,
} from '@roomcrew/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { enterCrewRoom } from '../support/crew-room.js';
import { FakeCamera, FakeMicrophone, sayUntilHeard, synthesize, wordOverlap } from '../support/media.js';
import { countDescendants } from '../support/process-tree.js';
import { join } from '../support/room-client.js';
import { runProgram } from '../support/run.js';
import { sleep, waitFor } from '../support/wait.js';

const PHRASE_A = 'the weather today is sunny and warm';
const PHRASE_B = 'one two three four five six seven eight nine ten';
const PHRASE_C = 'good morning everyone welcome to the meeting';

let crew: Crew;
const rooms: Room[] = [];

async function crewRoom(name: string) {
  const r = await enterCrewRoom(crew, name, { operator: 'op-1' });
  rooms.push(r.operator);
  return r;
}

function transcriberPid(): number {
  const proc = crew.workers.processes().find((p) => p.name === AGENT_NAMES.transcriber);
  if (!proc?.child.pid) throw new Error('transcriber worker is not running');
  return proc.child.pid;
}

beforeAll(async () => {
  crew = await startCrew('transcription');
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

  it('transcribes three simultaneous speakers separately and attributes each correctly', async () => {
    const { captions } = await crewRoom('speech-2');
    const phrases = {
      'speaker-a': [PHRASE_A, 'slt'],
      'speaker-b': [PHRASE_B, 'rms'],
      'speaker-c': [PHRASE_C, 'kal16'],
    };
    const mics = await Promise.all(
      Object.keys(phrases).map(async (id) => {
        const r = await join(crew.target, 'speech-2', id);
        rooms.push(r);
        const mic = new FakeMicrophone();
        await mic.publish(r);
        return mic;
      }),
    );
    await waitFor(
      () => countDescendants(transcriberPid(), 'pocketsphinx') >= 3,
      'three recognizer processes',
    );
    // Stopped whatever happens: three microphones left running load every later test.
    try {
      // Synthesised first: flite blocks this process, and the microphones must not stall mid-speech.
      const speech = Object.values(phrases).map(([text, voice]) => synthesize(text as string, voice));
      const captionOf = (id: string, phrase: string) =>
        captions.find(
          (x) =>
            x.sender === id &&
            x.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true' &&
            wordOverlap(x.text, phrase) >= 0.5,
        );
      const heard = await Promise.all(
        Object.entries(phrases).map(([id, [phrase]], i) =>
          sayUntilHeard(mics[i]!, speech[i]!, () => captionOf(id, phrase as string)),
        ),
      );
      for (const [i, [id, [phrase]]] of Object.entries(phrases).entries()) {
        const c = heard[i]!;
        expect(c.sender).toBe(id);
        // better matched to its own phrase than to anyone else's
        for (const [other, [otherPhrase]] of Object.entries(phrases)) {
          if (other !== id)
            expect(wordOverlap(c.text, phrase as string)).toBeGreaterThan(
              wordOverlap(c.text, otherPhrase as string),
            );
        }
      }
    } finally {
      await Promise.all(mics.map((m) => m.stop()));
    }
  });

  it('keeps transcribing across mute/unmute and a republished microphone', async () => {
    const { captions } = await crewRoom('speech-4');
    const speaker = await join(crew.target, 'speech-4', 'muter');
    rooms.push(speaker);
    const finals = () =>
      captions.filter((c) => c.sender === 'muter' && c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true');
    let mic = new FakeMicrophone();
    const pub = await mic.publish(speaker);
    const { rooms: api } = apiClients(crew.target);
    await api.mutePublishedTrack('speech-4', 'muter', pub.sid!, true);
    await sleep(1000);
    await api.mutePublishedTrack('speech-4', 'muter', pub.sid!, false);
    await mic.say(synthesize(PHRASE_A));
    await waitFor(() => finals().some((c) => wordOverlap(c.text, PHRASE_A) >= 0.5), 'a caption after unmute');
    // Republish: a new track (new sid) gets its own recognizer and is transcribed.
    await speaker.localParticipant!.unpublishTrack(pub.sid!);
    await mic.stop();
    mic = new FakeMicrophone();
    const again = await mic.publish(speaker);
    await mic.say(synthesize(PHRASE_C));
    const c = await waitFor(
      () =>
        finals().find(
          (x) =>
            x.attributes['lk.transcribed_track_id'] === again.sid && wordOverlap(x.text, PHRASE_C) >= 0.5,
        ),
      'a caption from the republished track',
    );
    expect(c.attributes['lk.transcribed_track_id']).not.toBe(pub.sid);
    await mic.stop();
  });

  it('survives a silent track and a track that never sends a frame, and keeps serving others', async () => {
    const { captions } = await crewRoom('speech-5');
    const pid = transcriberPid();
    const before = countDescendants(pid, 'pocketsphinx');
    const silent = await join(crew.target, 'speech-5', 'silent');
    const mute = await join(crew.target, 'speech-5', 'no-frames');
    const talker = await join(crew.target, 'speech-5', 'talker');
    rooms.push(silent, mute, talker);
    const silentMic = new FakeMicrophone();
    await silentMic.publish(silent); // sends only silence
    const dead = new FakeMicrophone();
    await dead.publishWithoutFrames(mute); // a track that never sends a frame
    const mic = new FakeMicrophone();
    await mic.publish(talker);
    await waitFor(
      () => countDescendants(pid, 'pocketsphinx') === before + 3,
      'a recognizer for each of the three',
    );
    await mic.say(synthesize(PHRASE_B, 'rms'));
    await waitFor(
      () =>
        captions.find((c) => c.sender === 'talker' && c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true'),
      "the talker's caption",
    );
    expect(captions.filter((c) => c.sender === 'silent' || c.sender === 'no-frames')).toEqual([]);
    await Promise.all([silentMic.stop(), dead.stop(), mic.stop()]);
  });

  it('keeps the session transcript in order, serves it over RPC and keeps it after the room ends', async () => {
    const { operator, captions } = await crewRoom('speech-6');
    const speaker = await join(crew.target, 'speech-6', 'diarist', 'participant', 'Diarist');
    rooms.push(speaker);
    const mic = new FakeMicrophone();
    // Speak once the transcriber listens, so the first words are not lost on a loaded machine.
    const heard = new Promise((resolve) => speaker.once(RoomEvent.LocalTrackSubscribed, resolve));
    await mic.publish(speaker);
    await heard;
    await mic.say(synthesize(PHRASE_B, 'rms'));
    await waitFor(
      () => captions.filter((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true').length >= 1,
      'first final',
    );
    await mic.say(synthesize(PHRASE_C));
    await waitFor(
      () => captions.filter((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true').length >= 2,
      'second final',
    );
    const transcriber = [...operator.remoteParticipants.values()].find(
      (p) => p.attributes['lk.agent.name'] === AGENT_NAMES.transcriber,
    )!;
    const page = JSON.parse(
      await operator.localParticipant!.performRpc({
        destinationIdentity: transcriber.identity,
        method: RPC.transcriptGet,
        payload: JSON.stringify({ after: 0, limit: 50 }),
      }),
    ) as { segments: { seq: number; text: string; speaker: { name: string } }[] };
    expect(page.segments.map((s) => s.seq)).toEqual([1, 2]);
    expect(wordOverlap(page.segments[0]!.text, PHRASE_B)).toBeGreaterThanOrEqual(0.5);
    expect(wordOverlap(page.segments[1]!.text, PHRASE_C)).toBeGreaterThanOrEqual(0.5);
    expect(page.segments[0]!.speaker.name).toBe('Diarist');
    // a participant who is not an operator may not read it
    const denied = await speaker
      .localParticipant!.performRpc({
        destinationIdentity: transcriber.identity,
        method: RPC.transcriptGet,
        payload: '{}',
      })
      .then(
        () => undefined,
        (e: RpcError) => e,
      );
    expect(denied?.code).toBe(RPC_ERROR.permissionDenied);
    const bad = await operator
      .localParticipant!.performRpc({
        destinationIdentity: transcriber.identity,
        method: RPC.transcriptGet,
        payload: '{"limit": 5000}',
      })
      .then(
        () => undefined,
        (e: RpcError) => e,
      );
    expect(bad?.code).toBe(RPC_ERROR.badRequest);
    await mic.stop();
    // After the room is gone, the transcript is still there for the CLI.
    await apiClients(crew.target).rooms.deleteRoom('speech-6');
    const out = await runProgram('cli', ['transcript', '--room', 'speech-6'], {
      CREW_DATA_DIR: crew.env.CREW_DATA_DIR!,
    });
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('Diarist: ');
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
