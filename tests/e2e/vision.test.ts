/**
 * The vision agent in a real room: it follows what the policy picks (screen shares, named
 * cameras, up to its cap), never audio, and turns a changed slide into one observation carrying
 * the slide's text, while a static screen costs nothing after its first analysis.
 */
import { createRequire } from 'node:module';
import { dirname, join as joinPath } from 'node:path';
import { type Room, RoomEvent, type RpcError, TrackKind, TrackSource } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES, type CrewEvent, RPC, RPC_ERROR } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import {
  FakeCamera,
  FakeMicrophone,
  FakeScreen,
  imageFrame,
  renderSlide,
  wordOverlap,
} from '../support/media.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';

const SLIDE_A = ['Quarterly revenue review', 'Revenue grew twelve percent'];
const SLIDE_B = ['Hiring plan for spring', 'Three engineers and one designer'];

let crew: Crew;
const rooms: Room[] = [];

beforeAll(async () => {
  crew = await startCrew('vision', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    // No periodic re-analysis within the test: only the change detector can trigger one.
    env: { CREW_VISION_MAX_TRACKS: '2', CREW_VISION_SCREEN_FPS: '4', CREW_VISION_MAX_AGE_MS: '3600000' },
  });
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
});

describe('vision agent', () => {
  it('follows the screen share and the named camera only, never audio; OCRs slides once per change', async () => {
    await dispatchCrew(crew.target, 'vision-1', { agents: [AGENT_NAMES.vision], watch: ['presenter'] });
    const operator = await join(crew.target, 'vision-1', 'op', 'operator');
    rooms.push(operator);
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);

    const presenter = await join(crew.target, 'vision-1', 'presenter', 'participant', 'Presenter');
    const other = await join(crew.target, 'vision-1', 'other');
    rooms.push(presenter, other);
    const subscribedAt = (r: Room) => {
      const got: string[] = [];
      r.on(RoomEvent.LocalTrackSubscribed, (t) =>
        got.push(`${t.kind === TrackKind.KIND_AUDIO ? 'audio' : 'video'}:${t.sid}`),
      );
      return got;
    };
    const presenterSubs = subscribedAt(presenter);
    const otherSubs = subscribedAt(other);
    const screen = new FakeScreen(renderSlide(SLIDE_A));
    const screenPub = await screen.publish(presenter);
    const cam = new FakeCamera();
    const camPub = await cam.publish(presenter);
    const mic = new FakeMicrophone();
    await mic.publish(presenter);
    const otherCam = new FakeCamera();
    const otherCamPub = await otherCam.publish(other);

    const observations = () =>
      events
        .map((e) => e.event)
        .filter((e): e is CrewEvent<'vision.observation'> => e.type === 'vision.observation')
        .filter((e) => e.payload.source === 'screen'); // the followed camera has its own observations
    const first = await waitFor(() => observations()[0], 'an observation of the first slide');
    expect(first.payload).toMatchObject({
      trackId: screenPub.sid,
      participant: 'presenter',
      source: 'screen',
    });
    const ocrA = (first.payload.fields.ocr as { text: string }).text;
    expect(wordOverlap(ocrA, SLIDE_A.join(' '))).toBeGreaterThanOrEqual(0.8);

    // The cap is 2: the screen and the named presenter's camera; the other camera is not followed.
    const state = await waitFor(() => {
      const s = events
        .filter((e) => e.event.type === 'crew.state' && e.event.payload.agent === AGENT_NAMES.vision)
        .at(-1);
      return s?.event.type === 'crew.state' && (s.event.payload.subscriptions?.length ?? 0) >= 2
        ? s.event.payload
        : undefined;
    }, 'the vision agent to report its subscriptions');
    expect(new Set(state.subscriptions)).toEqual(new Set([screenPub.sid, camPub.sid]));
    expect(otherSubs).toEqual([]); // the SFU never sent the other camera to anyone
    expect(presenterSubs.filter((s) => s.startsWith('audio:'))).toEqual([]);
    expect(otherCamPub.sid).toBeTruthy();

    // A static screen: no new analysis produces a new observation.
    await sleep(3000);
    expect(observations()).toHaveLength(1);

    // The slide changes: one new observation with the new text.
    screen.picture = renderSlide(SLIDE_B);
    const second = await waitFor(() => observations()[1], 'an observation of the changed slide');
    const ocrB = (second.payload.fields.ocr as { text: string }).text;
    expect(wordOverlap(ocrB, SLIDE_B.join(' '))).toBeGreaterThanOrEqual(0.8);
    expect(second.payload.changeScore).toBeGreaterThan(0);
    await sleep(2000);
    expect(observations()).toHaveLength(2);

    await Promise.all([screen.stop(), cam.stop(), mic.stop(), otherCam.stop()]);
  });

  it('lowers and raises sampling over crew.control.vision, for operators only, and refuses bad controls', async () => {
    await dispatchCrew(crew.target, 'vision-2', { agents: [AGENT_NAMES.vision] });
    const operator = await join(crew.target, 'vision-2', 'op', 'operator');
    const presenter = await join(crew.target, 'vision-2', 'presenter');
    rooms.push(operator, presenter);
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);
    const vision = [...operator.remoteParticipants.values()].find(
      (p) => p.attributes['lk.agent.name'] === AGENT_NAMES.vision,
    )!;
    const control = (r: Room, payload: string) =>
      r.localParticipant!.performRpc({
        destinationIdentity: vision.identity,
        method: RPC.controlVision,
        payload,
      });
    const observations = () => events.filter((e) => e.event.type === 'vision.observation');

    // odd-sized frames are fine
    const screen = new FakeScreen(renderSlide(SLIDE_A, 641, 361), 641, 361);
    await screen.publish(presenter);
    await waitFor(() => observations()[0], 'the first observation');

    const paused = JSON.parse(await control(operator, JSON.stringify({ screenFps: 0 })));
    expect(paused.screenFps).toBe(0);
    screen.picture = renderSlide(SLIDE_B, 641, 361);
    await sleep(3000);
    expect(observations()).toHaveLength(1); // nothing sampled while paused

    const resumed = JSON.parse(await control(operator, JSON.stringify({ screenFps: 4 })));
    expect(resumed.screenFps).toBe(4);
    const second = await waitFor(() => observations()[1], 'the observation after resuming');
    if (second.event.type !== 'vision.observation') throw new Error('unreachable');
    expect(
      wordOverlap((second.event.payload.fields.ocr as { text: string }).text, SLIDE_B.join(' ')),
    ).toBeGreaterThanOrEqual(0.8);

    const refused = (p: Promise<string>) =>
      p.then(
        () => undefined,
        (e: RpcError) => e.code,
      );
    expect(await refused(control(presenter, '{"screenFps": 0}'))).toBe(RPC_ERROR.permissionDenied);
    expect(await refused(control(operator, '{"screenFps": "fast"}'))).toBe(RPC_ERROR.badRequest);
    expect(await refused(control(operator, '{"everything": true}'))).toBe(RPC_ERROR.badRequest);
    expect(await refused(control(operator, 'not json'))).toBe(RPC_ERROR.badRequest);
    await screen.stop();
  });

  it('survives a track that stops and a blank screen, and analyses the next screen share', async () => {
    await dispatchCrew(crew.target, 'vision-3', { agents: [AGENT_NAMES.vision] });
    const operator = await join(crew.target, 'vision-3', 'op', 'operator');
    const presenter = await join(crew.target, 'vision-3', 'presenter');
    rooms.push(operator, presenter);
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);
    const observations = () => events.filter((e) => e.event.type === 'vision.observation');

    const seen = () =>
      observations().flatMap((o) => (o.event.type === 'vision.observation' ? [o.event.payload] : []));
    const textOf = (o: { fields: Record<string, unknown> }) => (o.fields.ocr as { text: string }).text;

    // A blank screen: analysed, and said to show no text.
    const blank = new FakeScreen(new Uint8Array(960 * 540 * 1.5).fill(235));
    const blankPub = await blank.publish(presenter);
    const first = await waitFor(
      () => seen().find((o) => o.trackId === blankPub.sid),
      'an observation of the blank screen',
    );
    expect(first.summary).toContain('no text');
    // The track stops abruptly.
    await blank.stop();
    await presenter.localParticipant!.unpublishTrack(blankPub.sid!);
    // A new share is followed and read.
    const slide = new FakeScreen(renderSlide(SLIDE_A));
    const slidePub = await slide.publish(presenter);
    const next = await waitFor(
      () =>
        seen().find((o) => o.trackId === slidePub.sid && wordOverlap(textOf(o), SLIDE_A.join(' ')) >= 0.8),
      'the new share read correctly',
    );
    expect(next.participant).toBe('presenter');
    await slide.stop();
  });

  it('sees one face on a followed camera, and says so again only when that changes', async () => {
    await dispatchCrew(crew.target, 'vision-4', { agents: [AGENT_NAMES.vision], watch: ['sitter'] });
    const operator = await join(crew.target, 'vision-4', 'op', 'operator');
    const sitter = await join(crew.target, 'vision-4', 'sitter', 'participant', 'Sitter');
    rooms.push(operator, sitter);
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);
    const cameraObservations = () =>
      events.flatMap((e) =>
        e.event.type === 'vision.observation' && e.event.payload.source === 'camera' ? [e.event.payload] : [],
      );

    // human's own sample picture of one face
    const human = dirname(createRequire(import.meta.url).resolve('@vladmandic/human'));
    const face = imageFrame(joinPath(dirname(human), 'assets', 'screenshot-faceid.jpg'), 640, 480);
    const camera = new FakeScreen(face, 640, 480);
    const pub = await camera.publish(sitter, TrackSource.SOURCE_CAMERA);
    const seen = await waitFor(() => cameraObservations()[0], 'an observation of the face');
    expect(seen.trackId).toBe(pub.sid);
    const faces = seen.fields.faces as { score: number; box: number[] }[];
    expect(faces).toHaveLength(1);
    expect(faces[0]!.score).toBeGreaterThan(0.5);
    expect(seen.summary).toContain('one face');

    // The person leaves the picture: one new observation, nobody there.
    camera.picture = new Uint8Array(640 * 480 * 1.5).fill(200);
    const gone = await waitFor(() => cameraObservations()[1], 'an observation of the empty picture');
    expect(gone.fields.faces).toEqual([]);
    expect(gone.summary).toContain('nobody');
    await sleep(2000);
    expect(cameraObservations()).toHaveLength(2); // an unchanged picture is not news
    await camera.stop();
  });
});
