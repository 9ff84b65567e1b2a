import type { stt } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { type Logger, MAX_UTTERANCE_SECONDS } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { SttMetrics } from '../src/stt-metrics.js';
import { UtteranceRecognizer } from '../src/utterance-recognizer.js';

const RATE = 16_000;
const FRAME = 320; // 20 ms

function frames(seconds: number): AudioFrame[] {
  return Array.from(
    { length: Math.round((seconds * RATE) / FRAME) },
    () => new AudioFrame(new Int16Array(FRAME), RATE, 1, FRAME),
  );
}

/** A batch engine that records the audio it was given. */
function batchEngine() {
  const given: number[] = [];
  const engine = {
    capabilities: { streaming: false, interimResults: false },
    async recognize(buffer: AudioFrame[]) {
      given.push(buffer.reduce((s, f) => s + f.samplesPerChannel / f.sampleRate, 0));
      return { type: 2, alternatives: [{ text: 'words', confidence: 0.9, language: 'en' }] };
    },
  } as unknown as stt.STT;
  return { engine, given };
}

const warnings: string[] = [];
const log = {
  warn: (_o: unknown, msg: string) => warnings.push(msg),
  error: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => log,
} as unknown as Logger;

describe('the utterance buffer cap', () => {
  it('keeps at most MAX_UTTERANCE_SECONDS of one utterance, however long it goes on', async () => {
    const { engine, given } = batchEngine();
    const r = new UtteranceRecognizer({
      engines: [{ name: 'fake', stt: engine, paid: false }],
      log,
      metrics: new SttMetrics(),
      finalizeTimeoutMs: 1000,
    });
    r.begin();
    for (const f of frames(MAX_UTTERANCE_SECONDS + 5)) r.push(f);
    expect(r.bufferedSeconds).toBeCloseTo(MAX_UTTERANCE_SECONDS, 1);
    // the rest (5 s, give or take the frame at the edge) was sent to the engine but not kept
    expect(Math.abs(r.framesNotKept - (5 * RATE) / FRAME)).toBeLessThanOrEqual(1);
    expect(warnings.filter((w) => w.includes('buffer cap'))).toHaveLength(1);
    expect((await r.end()).text).toBe('words');
    expect(given[0]).toBeCloseTo(MAX_UTTERANCE_SECONDS, 1);
    // the next utterance starts from an empty buffer
    r.begin();
    expect(r.bufferedSeconds).toBe(0);
    r.close();
  });
});
