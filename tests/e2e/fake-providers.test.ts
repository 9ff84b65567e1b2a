/**
 * The real Deepgram and OpenAI STT plugins against local servers that speak those providers'
 * wire protocols (tests/support/fake-providers). No LiveKit server is involved: the plugins are
 * driven directly with AudioFrames.
 */
import { initializeLogger, stt } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import * as openai from '@livekit/agents-plugin-openai';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDeepgram, startFakeDeepgram } from '../support/fake-providers/fake-deepgram.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-providers/fake-openai.js';
import { synthesize } from '../support/media.js';

const RATE = 16_000;

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'warn' });
});

/** A 440 Hz tone, loud enough to pass the Deepgram plugin's AudioEnergyFilter. */
function tone(ms: number, rate = RATE): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

/** Split samples into 10 ms frames. */
function frames(samples: Int16Array, rate = RATE): AudioFrame[] {
  const step = rate / 100;
  const out: AudioFrame[] = [];
  for (let off = 0; off < samples.length; off += step) {
    const chunk = samples.slice(off, Math.min(off + step, samples.length));
    out.push(new AudioFrame(chunk, rate, 1, chunk.length));
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Collected {
  events: stt.SpeechEvent[];
  ended: Promise<void>;
  waitFor(pred: (e: stt.SpeechEvent) => boolean, ms: number): Promise<stt.SpeechEvent>;
}

/** Consume a speech stream in the background, recording every event. */
function collect(stream: AsyncIterable<stt.SpeechEvent>): Collected {
  const events: stt.SpeechEvent[] = [];
  const waiters: { pred: (e: stt.SpeechEvent) => boolean; resolve: (e: stt.SpeechEvent) => void }[] = [];
  const ended = (async () => {
    for await (const ev of stream) {
      events.push(ev);
      for (const w of [...waiters]) {
        if (w.pred(ev)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(ev);
        }
      }
    }
  })();
  return {
    events,
    ended,
    waitFor(pred, ms) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching speech event within ${ms} ms`)), ms);
        waiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
        void ended.then(() => {
          clearTimeout(timer);
          reject(
            new Error(`stream ended without a matching event: ${JSON.stringify(events.map((e) => e.type))}`),
          );
        });
      });
    },
  };
}

const { SpeechEventType: T } = stt;

describe('deepgram plugin ↔ fake Deepgram', () => {
  let fake: FakeDeepgram;
  const script = ['the', 'quick', 'brown', 'fox', 'jumps'];

  beforeAll(async () => {
    fake = await startFakeDeepgram({ script, msPerWord: 200, idleFinalMs: 1500 });
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(() => fake.revive());

  const make = () =>
    new deepgram.STT({
      apiKey: 'test',
      baseUrl: fake.url,
      model: 'nova-3',
      language: 'en-US',
      interimResults: true,
    });

  it('streams interim results, then a final with the scripted words, and counts the audio', async () => {
    const dg = make();
    const bytesBefore = fake.audioBytes();
    const connsBefore = fake.connections();
    const stream = dg.stream();
    const got = collect(stream);
    const samples = tone(2000); // 20 × 100 ms chunks as the plugin sends them
    for (const f of frames(samples)) stream.pushFrame(f);
    stream.flush();

    const final = await got.waitFor((e) => e.type === T.FINAL_TRANSCRIPT, 10_000);
    // speech_final=true on the final → the plugin emits END_OF_SPEECH right after it
    await got.waitFor((e) => e.type === T.END_OF_SPEECH, 2000);
    expect(final.alternatives?.[0]?.text).toBe(script.join(' '));
    const words = final.alternatives?.[0]?.words ?? [];
    expect(words.map((w) => w.text)).toEqual(script);
    expect(final.alternatives?.[0]?.confidence).toBeGreaterThan(0.5);
    expect(final.alternatives?.[0]?.endTime).toBeGreaterThan(final.alternatives?.[0]?.startTime ?? 0);

    // RECOGNITION_USAGE is emitted client-side (on flush) and may precede the server's answers
    const types = got.events.map((e) => e.type).filter((t) => t !== T.RECOGNITION_USAGE);
    const firstInterim = types.indexOf(T.INTERIM_TRANSCRIPT);
    expect(types[0]).toBe(T.START_OF_SPEECH);
    expect(firstInterim).toBeGreaterThan(-1);
    expect(firstInterim).toBeLessThan(types.indexOf(T.FINAL_TRANSCRIPT));
    const interims = got.events
      .filter((e) => e.type === T.INTERIM_TRANSCRIPT)
      .map((e) => e.alternatives?.[0]?.text);
    expect(interims[0]).toBe('the');
    expect(interims.length).toBeGreaterThanOrEqual(3);
    expect(types.indexOf(T.END_OF_SPEECH)).toBeGreaterThan(types.indexOf(T.FINAL_TRANSCRIPT));

    stream.endInput();
    await Promise.race([got.ended, sleep(5000).then(() => Promise.reject(new Error('stream did not end')))]);
    expect(fake.audioBytes() - bytesBefore).toBe(samples.byteLength);
    expect(fake.connections() - connsBefore).toBe(1);
    expect(fake.controlMessages()).toEqual(expect.arrayContaining(['Finalize', 'CloseStream']));
    const params = fake.lastParams();
    expect(params?.get('encoding')).toBe('linear16');
    expect(params?.get('sample_rate')).toBe('16000');
    expect(params?.get('interim_results')).toBe('true');
    await dg.close();
  });

  it('finalises on its own after the audio stops (no flush), with flite speech', async () => {
    fake.setScript(['open', 'the', 'pod', 'bay', 'doors']);
    try {
      const dg = make();
      const stream = dg.stream();
      const got = collect(stream);
      const speech = synthesize('open the pod bay doors');
      const t0 = Date.now();
      for (const f of frames(speech)) stream.pushFrame(f);
      const final = await got.waitFor((e) => e.type === T.FINAL_TRANSCRIPT, 10_000);
      expect(final.alternatives?.[0]?.text).toBe('open the pod bay doors');
      // idle-final is wall-clock: ≥ idleFinalMs after the last audio frame reached the fake
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
      stream.close();
      await dg.close();
    } finally {
      fake.setScript(script);
    }
  });

  it('kill() before connecting: the refused upgrade (503) surfaces as an unrecoverable STT error', async () => {
    const dg = make();
    const errors: unknown[] = [];
    dg.on('error', (e) => errors.push(e));
    fake.kill();
    const conns = fake.connections();
    const t0 = Date.now();
    const stream = dg.stream({ connOptions: { maxRetry: 1, retryIntervalMs: 200, timeoutMs: 2000 } });
    const got = collect(stream);
    stream.pushFrame(frames(tone(100))[0]!);
    await Promise.race([got.ended, sleep(5000).then(() => Promise.reject(new Error('stream did not end')))]);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(errors).toHaveLength(1);
    expect(fake.refusedUpgrades()).toBeGreaterThanOrEqual(2); // first attempt + one retry
    expect(errors[0]).toMatchObject({ type: 'stt_error', recoverable: false, error: { statusCode: 503 } });
    expect(fake.connections()).toBe(conns);
    await dg.close();
  });

  it('revive() during the retry back-off: the stream connects and transcribes', async () => {
    const dg = make();
    const errors: unknown[] = [];
    dg.on('error', (e) => errors.push(e));
    fake.kill();
    const refused = fake.refusedUpgrades();
    const stream = dg.stream({ connOptions: { maxRetry: 3, retryIntervalMs: 300, timeoutMs: 2000 } });
    const got = collect(stream);
    for (const f of frames(tone(1000))) stream.pushFrame(f);
    stream.flush();
    await sleep(50);
    fake.revive();
    const final = await got.waitFor((e) => e.type === T.FINAL_TRANSCRIPT, 5000);
    expect(final.alternatives?.[0]?.text).toBe(script.join(' '));
    expect(fake.refusedUpgrades() - refused).toBeGreaterThanOrEqual(1);
    expect(errors).toHaveLength(0);
    stream.close();
    await dg.close();
  });

  // Plugin behaviour (agents-plugin-deepgram 1.9.0): once connected, a dropped socket is only
  // logged ("Deepgram WebSocket closed unexpectedly"). Its close monitor is a Task handed to
  // Promise.all, which does not await Tasks, so the stream neither errors nor reconnects: it
  // stalls until close(). This test pins that down; if it starts failing, the plugin learned
  // to notice the drop — replace it with an assertion on the error/reconnect.
  it('kill() mid-stream: the plugin does not notice — no error, no reconnect, the stream stalls until close()', async () => {
    const dg = make();
    const errors: unknown[] = [];
    dg.on('error', (e) => errors.push(e));
    const stream = dg.stream({ connOptions: { maxRetry: 1, retryIntervalMs: 200, timeoutMs: 2000 } });
    const got = collect(stream);
    let ended = false;
    void got.ended.then(() => {
      ended = true;
    });
    let pushing = true;
    const pusher = (async () => {
      const fs = frames(tone(10_000));
      for (let i = 0; pushing && i < fs.length; i += 10) {
        for (const f of fs.slice(i, i + 10)) stream.pushFrame(f);
        await sleep(100);
      }
    })();
    await got.waitFor((e) => e.type === T.INTERIM_TRANSCRIPT, 5000);
    const conns = fake.connections();
    const bytes = fake.audioBytes();
    fake.kill();
    await sleep(1500);
    fake.revive(); // a reconnect would now succeed
    await sleep(1500);
    pushing = false;
    await pusher;
    stream.flush();
    stream.endInput();
    await sleep(1000);
    const transcripts = got.events.filter((e) => e.type === T.FINAL_TRANSCRIPT);
    expect({
      errors: errors.length,
      reconnects: fake.connections() - conns,
      ended,
      finals: transcripts.length,
    }).toEqual({ errors: 0, reconnects: 0, ended: false, finals: 0 });
    expect(fake.audioBytes()).toBe(bytes); // audio after the drop went nowhere
    stream.close();
    await Promise.race([
      got.ended,
      sleep(2000).then(() => Promise.reject(new Error('close() did not end it'))),
    ]);
    await dg.close();
  });

  it('pre-recorded recognize() posts a WAV to /v1/listen', async () => {
    const dg = make();
    const before = fake.audioBytes();
    const samples = tone(1000);
    const ev = await dg.recognize(frames(samples));
    expect(ev.type).toBe(T.FINAL_TRANSCRIPT);
    expect(ev.alternatives?.[0]?.text).toBe(script.join(' '));
    expect(ev.requestId).toMatch(/[0-9a-f-]{36}/);
    expect(fake.audioBytes() - before).toBe(samples.byteLength);
  });
});

describe('openai plugin ↔ fake OpenAI', () => {
  let fake: FakeOpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ script: 'hello from the fake openai' });
  });
  afterAll(async () => {
    await fake.stop();
  });
  afterEach(() => {
    fake.setDelay(0);
    fake.failNext(0);
  });

  const make = () =>
    new openai.STT({
      apiKey: 'test',
      baseURL: fake.baseURL,
      model: 'whisper-1',
      language: 'en',
      useRealtime: false,
    });

  it('recognize() uploads a WAV and returns the scripted text', async () => {
    const o = make();
    fake.setScript('turn on the lights');
    const samples = tone(1500);
    const before = fake.requests();
    const ev = await o.recognize(frames(samples));
    expect(ev.type).toBe(T.FINAL_TRANSCRIPT);
    expect(ev.alternatives?.[0]?.text).toBe('turn on the lights');
    expect(ev.alternatives?.[0]?.language).toBe('en');
    expect(fake.requests() - before).toBe(1);
    const req = fake.transcriptionRequests().at(-1);
    expect(req).toMatchObject({
      model: 'whisper-1',
      language: 'en',
      responseFormat: 'json',
      fileName: 'audio.wav',
      sampleRate: RATE,
      audioBytes: samples.byteLength,
      status: 200,
    });
  });

  it('failNext(1, 500): recognize() rejects without retrying; the next call succeeds', async () => {
    const o = make();
    fake.setScript('second time lucky');
    fake.failNext(1, 500);
    const before = fake.requests();
    await expect(o.recognize(frames(tone(500)))).rejects.toMatchObject({ status: 500 });
    expect(fake.requests() - before).toBe(1); // the plugin's OpenAI client has maxRetries: 0
    const ev = await o.recognize(frames(tone(500)));
    expect(ev.alternatives?.[0]?.text).toBe('second time lucky');
    expect(fake.requests() - before).toBe(2);
  });

  it('setDelay() holds the answer back', async () => {
    const o = make();
    fake.setDelay(400);
    const t0 = Date.now();
    await o.recognize(frames(tone(300)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  it('streams over the realtime websocket (whisper-1, server VAD)', async () => {
    fake.setScript('streaming works too');
    const o = new openai.STT({ apiKey: 'test', baseURL: fake.baseURL, model: 'whisper-1', language: 'en' });
    const stream = o.stream();
    const got = collect(stream);
    const bytesBefore = fake.audioBytes();
    const samples = new Int16Array(RATE * 2);
    samples.set(tone(1000), 0); // 1 s tone then 1 s silence → server VAD ends the turn
    for (const f of frames(samples)) stream.pushFrame(f);
    stream.flush();
    const final = await got.waitFor((e) => e.type === T.FINAL_TRANSCRIPT, 10_000);
    expect(final.alternatives?.[0]?.text).toBe('streaming works too');
    // deltas accumulate into the interim text
    const interims = got.events
      .filter((e) => e.type === T.INTERIM_TRANSCRIPT)
      .map((e) => e.alternatives?.[0]?.text);
    expect(interims).toEqual(['streaming', 'streaming works', 'streaming works too']);
    const types = got.events.map((e) => e.type);
    expect(types.indexOf(T.START_OF_SPEECH)).toBeGreaterThan(-1);
    expect(types.indexOf(T.START_OF_SPEECH)).toBeLessThan(types.indexOf(T.INTERIM_TRANSCRIPT));
    expect(types.indexOf(T.INTERIM_TRANSCRIPT)).toBeLessThan(types.indexOf(T.FINAL_TRANSCRIPT));
    expect(fake.realtimeConnections()).toBeGreaterThanOrEqual(1);
    // resampled 16 kHz → 24 kHz by the plugin: ~1.5× the bytes pushed
    const sent = fake.audioBytes() - bytesBefore;
    expect(sent).toBeGreaterThan(samples.byteLength * 1.4);
    expect(sent).toBeLessThan(samples.byteLength * 1.6);
    expect(fake.lastSession()).toMatchObject({
      type: 'transcription',
      audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: { model: 'whisper-1' } } },
    });
    stream.close();
    await o.close();
  });
});
