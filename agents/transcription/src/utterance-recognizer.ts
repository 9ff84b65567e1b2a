/**
 * Recognizes one speaker's utterances on a fallback chain of engines without losing any: the
 * audio of the utterance in progress is kept, and when an engine errors, ends unexpectedly or
 * does not finalize in time, the next engine takes over and is given that audio again. A failed
 * engine is retried at a later utterance, after a cool-down.
 */
import { stt } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { type Logger, MAX_UTTERANCE_SECONDS } from '@roomcrew/shared';
import type { Engine } from './stt-engines.js';
import type { SttMetrics } from './stt-metrics.js';

export interface UtteranceResult {
  text: string;
  confidence?: number;
  engine: string;
}

export interface UtteranceRecognizerOptions {
  engines: Engine[];
  log: Logger;
  metrics: SttMetrics;
  /** Longest wait for a cloud engine's final after the utterance ends; then the next takes over. */
  finalizeTimeoutMs: number;
  /** How long a failed engine is skipped. */
  cooldownMs?: number;
  onInterim?: (text: string, engine: string) => void;
}

type Outcome = 'final' | 'failed' | 'timeout';

/** pocketsphinx decodes the flush silence at ~4× real time and answers within ~0.5 s. */
const LOCAL_FINALIZE_MS = 2500;
/** …and when it already gave part of the utterance, what is left is short. */
const LOCAL_TAIL_MS = 1000;
/** The VAD's end-of-speech silence (550 ms) that reaches the engine, plus a margin. */
const TRAILING_SILENCE_S = 0.9;
/**
 * A local engine taking over a failed one starts cold (a new recognizer process) and must decode
 * the whole replayed utterance first: on a loaded machine that takes up to about real time, so its
 * bound grows with the audio replayed (2.5 s alone lost the utterance in CI).
 */
const REPLAY_DECODE_MS_PER_S = 1000;

export class UtteranceRecognizer {
  readonly #o: UtteranceRecognizerOptions;
  readonly #failedAt = new Map<number, number>();
  #active = 0;
  #stream: stt.SpeechStream | undefined;
  #frames: AudioFrame[] = [];
  /** Seconds of audio in #frames, kept as they come (the cap is checked on every frame). */
  #framesSeconds = 0;
  /** Frames sent but not kept for replay because the utterance was over the cap. */
  framesNotKept = 0;
  #parts: { text: string; confidence: number }[] = [];
  /** Seconds of audio sent into the current stream, and where its latest final ended in it. */
  #streamSeconds = 0;
  #lastFinalEnd = 0;
  /** Seconds of audio replayed into the current stream when it took over from a failed engine. */
  #replayedSeconds = 0;
  #waiters: ((o: Outcome) => void)[] = [];
  #closed = false;

  constructor(o: UtteranceRecognizerOptions) {
    if (o.engines.length === 0) throw new Error('at least one speech engine is needed');
    this.#o = o;
  }

  get engine(): string {
    return this.#engine().name;
  }

  #engine(): Engine {
    return this.#o.engines[this.#active] as Engine;
  }

  /** Starts an utterance on the first engine that is not cooling down after a failure. */
  begin(): void {
    const now = Date.now();
    const cooldown = this.#o.cooldownMs ?? 30_000;
    const preferred = this.#o.engines.findIndex((_, i) => now - (this.#failedAt.get(i) ?? 0) >= cooldown);
    const next = preferred === -1 ? this.#o.engines.length - 1 : preferred;
    if (next !== this.#active) {
      this.#closeStream();
      this.#active = next;
    }
    this.#frames = [];
    this.#framesSeconds = 0;
    this.#parts = [];
    this.#replayedSeconds = 0;
    this.#openStream();
  }

  /** Seconds of audio kept for the utterance in progress. */
  get bufferedSeconds(): number {
    return this.#framesSeconds;
  }

  /**
   * Opens the first engine's stream ahead of speech when it is local (no cost while idle), so the
   * first utterance does not wait for the engine to start. Paid engines connect on first speech.
   */
  prepare(): void {
    if (!this.#engine().paid) this.#openStream();
  }

  /**
   * Sends a frame of the utterance and keeps it for a replay. Past MAX_UTTERANCE_SECONDS it is
   * only sent: the speaker transcriber finalises long utterances at the cap, so this is the
   * backstop that keeps memory bounded whatever the caller does.
   */
  push(frame: AudioFrame): void {
    if (this.#closed) return;
    if (this.#framesSeconds < MAX_UTTERANCE_SECONDS) {
      this.#frames.push(frame);
      this.#framesSeconds += frame.samplesPerChannel / frame.sampleRate;
    } else if (this.framesNotKept++ === 0) {
      this.#o.log.warn(
        { capSeconds: MAX_UTTERANCE_SECONDS },
        'utterance over the buffer cap: later audio is not kept for a replay',
      );
    }
    this.#send(frame);
  }

  /** Ends the utterance and resolves with its text (empty when nothing was recognized). */
  async end(): Promise<UtteranceResult> {
    for (;;) {
      const engine = this.#engine();
      if (this.#closed) return { text: '', engine: engine.name };
      const last = this.#active === this.#o.engines.length - 1;
      const outcome = engine.stt.capabilities.streaming
        ? await this.#finishStream(last)
        : await this.#batch();
      if (outcome === 'final' || (outcome === 'timeout' && (last || !engine.paid))) {
        const text = this.#parts
          .map((p) => p.text)
          .join(' ')
          .trim();
        const confs = this.#parts.map((p) => p.confidence).filter((c) => c > 0);
        return {
          text,
          engine: engine.name,
          ...(confs.length ? { confidence: confs.reduce((a, b) => a + b, 0) / confs.length } : {}),
        };
      }
      if (last) return { text: '', engine: engine.name };
      if (outcome === 'timeout') this.#fail(new Error(`${engine.name} did not finalize in time`));
      // #fail already switched engines and replayed the audio; finish on the next one.
    }
  }

  close(): void {
    this.#closed = true;
    this.#closeStream();
    this.#wake('failed');
  }

  #send(frame: AudioFrame): void {
    const engine = this.#engine();
    const seconds = frame.samplesPerChannel / frame.sampleRate;
    this.#o.metrics.audio(engine.name, seconds);
    if (!this.#stream) return;
    this.#streamSeconds += seconds;
    try {
      this.#stream.pushFrame(frame);
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #openStream(): void {
    const engine = this.#engine();
    if (!engine.stt.capabilities.streaming || this.#stream) return;
    const stream = engine.stt.stream();
    this.#stream = stream;
    this.#streamSeconds = 0;
    this.#lastFinalEnd = 0;
    void this.#consume(stream, engine);
  }

  #closeStream(): void {
    const s = this.#stream;
    this.#stream = undefined;
    s?.close();
  }

  async #consume(stream: stt.SpeechStream, engine: Engine): Promise<void> {
    try {
      for await (const ev of stream) {
        if (stream !== this.#stream) return;
        const alt = ev.alternatives?.[0];
        if (ev.type === stt.SpeechEventType.INTERIM_TRANSCRIPT && alt?.text) {
          const sofar = [...this.#parts.map((p) => p.text), alt.text].join(' ').trim();
          this.#o.onInterim?.(sofar, engine.name);
        } else if (ev.type === stt.SpeechEventType.FINAL_TRANSCRIPT && alt) {
          if (alt.text.trim()) this.#parts.push({ text: alt.text.trim(), confidence: alt.confidence ?? 0 });
          this.#lastFinalEnd = Math.max(this.#lastFinalEnd, alt.endTime ?? 0);
          this.#wake('final');
        }
      }
    } catch (e) {
      if (stream === this.#stream && !this.#closed) this.#fail(e as Error);
      return;
    }
    // The stream ended without us closing it: the provider dropped it.
    if (stream === this.#stream && !this.#closed)
      this.#fail(new Error(`${engine.name} stream ended unexpectedly`));
  }

  /** Marks the active engine failed, moves to the next one and gives it the utterance so far. */
  #fail(err: Error): void {
    const engine = this.#engine();
    this.#o.metrics.error(engine.name);
    this.#failedAt.set(this.#active, Date.now());
    this.#closeStream();
    if (this.#active >= this.#o.engines.length - 1) {
      this.#o.log.error({ err, engine: engine.name }, 'the last speech engine failed');
      this.#wake('failed');
      return;
    }
    this.#active++;
    const next = this.#engine();
    this.#o.metrics.fallback();
    this.#o.log.warn(
      { err: err.message, from: engine.name, to: next.name, replayedSeconds: this.#framesSeconds },
      `speech engine ${engine.name} failed; ${next.name} takes over the utterance`,
    );
    this.#parts = [];
    this.#openStream();
    this.#replayedSeconds = this.#framesSeconds;
    for (const f of this.#frames) this.#send(f);
    this.#wake('failed');
  }

  #wake(o: Outcome): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(o);
  }

  #next(timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      this.#waiters.push((o) => {
        clearTimeout(timer);
        resolve(o);
      });
    });
  }

  async #finishStream(last: boolean): Promise<Outcome> {
    const stream = this.#stream;
    if (!stream) {
      if (!last) this.#fail(new Error(`${this.#engine().name} has no open stream`));
      return 'failed';
    }
    const local = !this.#engine().paid;
    // A local engine that segments on its own may already have finalized everything up to the
    // trailing silence the VAD let through: then there is nothing left to wait for.
    if (local && this.#parts.length > 0 && this.#lastFinalEnd >= this.#streamSeconds - TRAILING_SILENCE_S) {
      return 'final';
    }
    // Otherwise a local engine (which cannot fail over) gets a fixed bound, after which what it
    // produced is the result: an utterance of noise may produce nothing at all.
    const localBound =
      (this.#parts.length ? LOCAL_TAIL_MS : LOCAL_FINALIZE_MS) +
      this.#replayedSeconds * REPLAY_DECODE_MS_PER_S;
    const wait = this.#next(local ? localBound : this.#o.finalizeTimeoutMs);
    try {
      stream.flush();
    } catch {
      this.#fail(new Error(`${this.#engine().name} stream refused to flush`));
      return 'failed';
    }
    const outcome = await wait;
    if (outcome !== 'final') return outcome;
    // Providers may finalize in several pieces; take what arrives right after the first.
    while ((await this.#next(150)) === 'final') {}
    return 'final';
  }

  async #batch(): Promise<Outcome> {
    const engine = this.#engine();
    if (this.#frames.length === 0) return 'final';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#o.finalizeTimeoutMs);
    try {
      const ev = await engine.stt.recognize(this.#frames, abort.signal);
      const alt = ev.alternatives?.[0];
      if (alt?.text.trim()) this.#parts.push({ text: alt.text.trim(), confidence: alt.confidence ?? 0 });
      return 'final';
    } catch (e) {
      if (this.#active === this.#o.engines.length - 1) {
        this.#o.metrics.error(engine.name);
        this.#o.log.error({ err: e, engine: engine.name }, 'the last speech engine failed');
        return 'failed';
      }
      this.#fail(e as Error);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }
}
