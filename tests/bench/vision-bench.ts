/**
 * Vision benchmarks: local analysis time per frame (OCR of a slide, faces on a camera picture),
 * and scene change → observation received by another participant, through a real room.
 */
import { createRequire } from 'node:module';
import { dirname, join as joinPath } from 'node:path';
import { TrackSource } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import { FaceAnalyzer, ocr, resolveTesseract } from '@roomcrew/vision';
import { startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import { FakeScreen, imageFrame, renderSlide } from '../support/media.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';
import { summarize } from './stats.js';

const faceImage = () =>
  joinPath(
    dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/human'))),
    'assets',
    'screenshot-faceid.jpg',
  );

async function analysisTimes(n: number) {
  const tesseract = resolveTesseract();
  const slide = {
    width: 960,
    height: 540,
    data: renderSlide(['Quarterly revenue review', 'Revenue grew twelve percent']),
  };
  const ocrMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await ocr(tesseract, slide);
    ocrMs.push(performance.now() - t0);
  }
  const faces = new FaceAnalyzer();
  const cam = { width: 640, height: 480, data: imageFrame(faceImage(), 640, 480) };
  await faces.analyse(cam); // loads models, warms up
  const faceMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await faces.analyse(cam);
    faceMs.push(performance.now() - t0);
  }
  return {
    benchmark: 'local analysis per frame (ms)',
    ocrSlide960x540: summarize(ocrMs),
    faces640x480: summarize(faceMs),
  };
}

/** Slide changes on a shared screen → the observation reaches an operator. */
async function changeToObservation(changes: number) {
  const crew = await startCrew('bench-vision', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    env: { LOG_LEVEL: 'info' },
  });
  try {
    await dispatchCrew(crew.target, 'bench-vision', { agents: [AGENT_NAMES.vision] });
    const operator = await join(crew.target, 'bench-vision', 'op', 'operator');
    const presenter = await join(crew.target, 'bench-vision', 'presenter');
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);
    const screen = new FakeScreen(renderSlide(['Agenda for today']));
    await screen.publish(presenter, TrackSource.SOURCE_SCREENSHARE, 10);
    const count = () => events.filter((e) => e.event.type === 'vision.observation').length;
    await waitFor(() => count() >= 1, 'the first observation');
    const samples: number[] = [];
    for (let i = 0; i < changes; i++) {
      await sleep(1500);
      const before = count();
      screen.picture = renderSlide([
        `Slide number ${i + 2}`,
        `Topic ${['budget', 'hiring', 'roadmap', 'risks', 'travel'][i % 5]}`,
      ]);
      const t0 = Date.now();
      await waitFor(() => count() > before, 'the observation of the change', 30_000, 5);
      samples.push(Date.now() - t0);
    }
    await screen.stop();
    await Promise.all([operator.disconnect(), presenter.disconnect()]);
    return {
      benchmark: 'slide change → vision.observation at an operator (ms), screen sampled at 2 fps',
      ...summarize(samples),
    };
  } finally {
    await crew.stop();
  }
}

export async function benchVision(opts: { frames: number; changes: number }) {
  return [await analysisTimes(opts.frames), await changeToObservation(opts.changes)];
}
