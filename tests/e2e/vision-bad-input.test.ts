/**
 * The vision agent given awkward video through a real room: odd frame sizes and resolution
 * changes mid-track, a frame far too small to read, frames captured with a rotation (portrait
 * devices), and 4K frames. Each is read correctly or reported, nothing crashes, and the next
 * frame of the same track is still analysed.
 */
import { createRequire } from 'node:module';
import { dirname, join as joinPath } from 'node:path';
import { type Room, TrackSource, VideoRotation } from '@livekit/rtc-node';
import { AGENT_NAMES } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { FakeScreen, imageFrame, renderSlide } from '../support/media.js';
import { enterVisionRoom, type Observation, reads } from '../support/vision-room.js';

const SLIDE_A = ['Quarterly revenue review', 'Revenue grew twelve percent'];
const SLIDE_B = ['Hiring plan for spring', 'Three engineers and one designer'];
const SLIDE_C = ['Travel budget frozen', 'Until the end of June'];

let crew: Crew;
const rooms: Room[] = [];

beforeAll(async () => {
  crew = await startCrew('vision-bad-input', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    // Only a change (never the age of the last analysis) triggers an analysis within a test.
    env: { CREW_VISION_SCREEN_FPS: '4', CREW_VISION_MAX_AGE_MS: '3600000' },
  });
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
});

async function room(name: string, watch: string[] = []) {
  const r = await enterVisionRoom(crew, name, watch);
  rooms.push(r.operator, r.presenter);
  return r;
}

/**
 * The observation is of a frame of about this size: the publisher's WebRTC stack aligns sizes to
 * a multiple of 4 (641x359 arrives as 640x356), and the agent reports what it decoded.
 */
function near(o: Observation, width: number, height: number): void {
  expect(Math.abs((o.fields.width as number) - width)).toBeLessThanOrEqual(4);
  expect(Math.abs((o.fields.height as number) - height)).toBeLessThanOrEqual(4);
}

describe('vision agent with bad input', () => {
  it('reads odd-sized frames, follows resolution changes mid-track, and survives a tiny frame', async () => {
    const { presenter, seen, next, sameAgent } = await room('vision-odd');
    const screen = new FakeScreen(renderSlide(SLIDE_A, 641, 359), 641, 359);
    const sid = (await screen.publish(presenter)).sid!;
    near(await next(sid, 0, 'the 641x359 slide read', reads(SLIDE_A)), 641, 359);

    // The same track switches to another odd size, bigger, with other text.
    screen.show(renderSlide(SLIDE_B, 1281, 721), 1281, 721);
    near(await next(sid, seen(sid).length, 'the 1281x721 slide read', reads(SLIDE_B)), 1281, 721);

    // A frame far too small to hold text: read as showing none, and nothing breaks.
    screen.show(renderSlide([], 17, 9), 17, 9);
    const tiny = await next(sid, seen(sid).length, 'an observation of the tiny frame');
    expect(tiny.summary).toContain('no text');
    expect(tiny.fields.width as number).toBeLessThan(32);

    // The next readable frame of the same track is read.
    screen.show(renderSlide(SLIDE_C, 963, 541), 963, 541);
    near(await next(sid, seen(sid).length, 'the slide after the tiny frame read', reads(SLIDE_C)), 963, 541);
    expect(sameAgent()).toBe(true);
    await screen.stop();
  });

  it('reads frames captured with a rotation (90°, 270°, 180°) the right way up', async () => {
    const { presenter, seen, next, sameAgent } = await room('vision-rotated');
    // The frame as a sideways device captured it, with the rotation that turns it upright.
    const screen = new FakeScreen(renderSlide(SLIDE_A, 960, 540, { rotate: 270 }), 540, 960);
    screen.rotation = VideoRotation.VIDEO_ROTATION_90;
    const sid = (await screen.publish(presenter)).sid!;
    const a = await next(sid, 0, 'the slide sent with rotation 90 read', reads(SLIDE_A));
    near(a, 960, 540); // as the viewer sees it

    screen.picture = renderSlide(SLIDE_B, 960, 540, { rotate: 90 });
    screen.rotation = VideoRotation.VIDEO_ROTATION_270;
    await next(sid, seen(sid).length, 'the slide sent with rotation 270 read', reads(SLIDE_B));

    screen.show(renderSlide(SLIDE_C, 960, 540, { rotate: 180 }), 960, 540);
    screen.rotation = VideoRotation.VIDEO_ROTATION_180;
    await next(sid, seen(sid).length, 'the slide sent with rotation 180 read', reads(SLIDE_C));
    expect(sameAgent()).toBe(true);
    await screen.stop();
  });

  it('reads a 4K screen share and finds the face on a 4K camera', async () => {
    // The presenter is watched, so their camera is followed too.
    const { presenter, seen, next, sameAgent } = await room('vision-huge', ['presenter']);
    const screen = new FakeScreen(renderSlide(SLIDE_A, 3840, 2160, { pointsize: 120 }), 3840, 2160);
    const sid = (await screen.publish(presenter, TrackSource.SOURCE_SCREENSHARE, 2)).sid!;
    await next(sid, 0, 'the 4K slide read', reads(SLIDE_A));
    screen.picture = renderSlide(SLIDE_B, 3840, 2160, { pointsize: 120 });
    await next(sid, seen(sid).length, 'the changed 4K slide read', reads(SLIDE_B));
    await screen.stop();

    const human = dirname(createRequire(import.meta.url).resolve('@vladmandic/human'));
    const face = imageFrame(joinPath(dirname(human), 'assets', 'screenshot-faceid.jpg'), 3840, 2160);
    const camera = new FakeScreen(face, 3840, 2160);
    const cam = (await camera.publish(presenter, TrackSource.SOURCE_CAMERA, 2)).sid!;
    const o = await next(cam, 0, 'an observation of the 4K camera');
    expect(o.fields.faces as unknown[]).toHaveLength(1);
    expect(sameAgent()).toBe(true);
    await camera.stop();
  });
});
