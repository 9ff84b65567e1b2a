/**
 * One speaker's microphone track → voice activity detection → the recognizer chain. Only speech
 * reaches a recognizer (so no paid engine hears silence); each utterance is one segment: interim
 * text goes out as `lk.transcription` with `lk.transcription_final=false`, then the final text
 * with the same `lk.segment_id`, attributed to the speaker as agents-js does, and the final also as
 * a `transcript.segment` crew event to the orchestrator and into the session transcript.
 */
import { randomUUID } from 'node:crypto';
import { type VAD, VADEventType } from '@livekit/agents';
import {
  type AudioFrame,
  AudioStream,
  type RemoteParticipant,
  type RemoteTrack,
  type Room,
} from '@livekit/rtc-node';
import {
  LK_ATTR_SEGMENT_ID,
  LK_ATTR_TRANSCRIBED_TRACK_ID,
  LK_ATTR_TRANSCRIPTION_FINAL,
  LK_TOPIC_TRANSCRIPTION,
  type Logger,
  MAX_UTTERANCE_SECONDS,
} from '@roomcrew/shared';
import type { CrewChannel } from '@roomcrew/shared/room';
import type { Engine } from './stt-engines.js';
import type { SttMetrics } from './stt-metrics.js';
import type { Segment, TranscriptStore } from './transcript-store.js';
import { UtteranceRecognizer } from './utterance-recognizer.js';

export const SAMPLE_RATE = 16_000;
const INTERIM_MIN_INTERVAL_MS = 100;

export interface SpeakerTranscriberOptions {
  room: Room;
  channel: CrewChannel;
  log: Logger;
  participant: RemoteParticipant;
  track: RemoteTrack;
  trackSid: string;
  engines: Engine[];
  vad: VAD;
  language: string;
  metrics: SttMetrics;
  store: TranscriptStore;
  finalizeTimeoutMs: number;
  /** Called after each final segment (the room reports its state and metrics then). */
  onSegment?: () => void;
}

export class SpeakerTranscriber {
  readonly #o: SpeakerTranscriberOptions;
  readonly #log: Logger;
  readonly #recognizer: UtteranceRecognizer;
  #vad: ReturnType<VAD['stream']> | undefined;
  #audio: ReadableStreamDefaultReader<AudioFrame> | undefined;
  #closed = false;
  #segment: string | undefined;
  #lastInterim = { at: 0, text: '' };
  #samples = 0;
  #frames = 0;
  #speechStartSample = 0;
  segments = 0;
  /** Utterances finalised at MAX_UTTERANCE_SECONDS because the speaker had not paused. */
  forcedFinals = 0;

  constructor(o: SpeakerTranscriberOptions) {
    this.#o = o;
    this.#log = o.log.child({ speaker: o.participant.identity, trackSid: o.trackSid });
    this.#recognizer = new UtteranceRecognizer({
      engines: o.engines,
      log: this.#log,
      metrics: o.metrics,
      finalizeTimeoutMs: o.finalizeTimeoutMs,
      onInterim: (text) => this.#interim(text),
    });
  }

  /** Audio frames received from the track so far (a track that never sends stays at 0). */
  get framesReceived(): number {
    return this.#frames;
  }

  start(): void {
    const vad = this.#o.vad.stream();
    this.#vad = vad;
    const reader = new AudioStream(this.#o.track, { sampleRate: SAMPLE_RATE, numChannels: 1 }).getReader();
    this.#audio = reader;
    this.#recognizer.prepare();
    void this.#pump(reader, vad);
    void this.#listen(vad);
    this.#log.info({ engines: this.#o.engines.map((e) => e.name) }, 'transcribing speaker');
  }

  async #pump(
    reader: ReadableStreamDefaultReader<AudioFrame>,
    vad: ReturnType<VAD['stream']>,
  ): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.#closed) break;
        this.#frames++;
        this.#samples += value.samplesPerChannel;
        vad.pushFrame(value);
      }
    } catch (e) {
      if (!this.#closed) this.#log.warn({ err: e }, 'audio stream ended with an error');
    }
  }

  /** Utterances are handled one at a time: while one finalizes, the next waits in the VAD queue. */
  async #listen(vad: ReturnType<VAD['stream']>): Promise<void> {
    try {
      for await (const ev of vad) {
        if (this.#closed) break;
        const frame = ev.frames[0];
        if (ev.type === VADEventType.START_OF_SPEECH) {
          this.#begin(Math.max(0, ev.samplesIndex - (frame?.samplesPerChannel ?? 0)));
          for (const f of ev.frames) this.#recognizer.push(f);
        } else if (ev.type === VADEventType.INFERENCE_DONE && this.#segment && frame) {
          this.#recognizer.push(frame);
          if (this.#recognizer.bufferedSeconds >= MAX_UTTERANCE_SECONDS) {
            // No pause for the whole cap (a monologue, music): finalise what was said so far and
            // go on with a new utterance, so the audio kept for one stays bounded.
            this.forcedFinals++;
            this.#log.warn(
              { capSeconds: MAX_UTTERANCE_SECONDS, forcedFinals: this.forcedFinals },
              'utterance reached the buffer cap without a pause; finalised and continued as a new one',
            );
            await this.#end(ev.samplesIndex, Date.now());
            if (this.#closed) break;
            this.#begin(ev.samplesIndex);
          }
        } else if (ev.type === VADEventType.END_OF_SPEECH && this.#segment) {
          await this.#end(
            Math.max(this.#speechStartSample, ev.samplesIndex - (ev.silenceDuration / 1000) * SAMPLE_RATE),
            Date.now() - ev.silenceDuration,
          );
          if (this.#closed) break;
        }
      }
    } catch (e) {
      if (!this.#closed) this.#log.error({ err: e }, 'voice activity detection failed');
    }
  }

  #begin(startSample: number): void {
    this.#segment = `SG_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    this.#speechStartSample = startSample;
    this.#lastInterim = { at: 0, text: '' };
    this.#recognizer.begin();
  }

  /** Ends the utterance in progress and publishes its final (or clears a shown interim). */
  async #end(endSample: number, speechEndedAt: number): Promise<void> {
    const segmentId = this.#segment;
    if (!segmentId) return;
    this.#segment = undefined;
    const result = await this.#recognizer.end();
    if (this.#closed) return;
    if (result.text) {
      await this.#final(segmentId, result.text, result.engine, result.confidence, endSample);
      this.#o.metrics.final(result.engine, Date.now() - speechEndedAt);
    } else if (this.#lastInterim.text) {
      // An interim was shown for an utterance that came to nothing: clear it.
      await this.#publish(segmentId, '', true);
    }
  }

  #interim(text: string): void {
    const segmentId = this.#segment;
    const now = Date.now();
    if (!segmentId || text === this.#lastInterim.text || now - this.#lastInterim.at < INTERIM_MIN_INTERVAL_MS)
      return;
    this.#lastInterim = { at: now, text };
    void this.#publish(segmentId, text, false);
  }

  async #publish(segmentId: string, text: string, final: boolean): Promise<void> {
    const local = this.#o.room.localParticipant;
    if (!local || this.#closed) return;
    try {
      const writer = await local.streamText({
        topic: LK_TOPIC_TRANSCRIPTION,
        senderIdentity: this.#o.participant.identity,
        attributes: {
          [LK_ATTR_SEGMENT_ID]: segmentId,
          [LK_ATTR_TRANSCRIPTION_FINAL]: String(final),
          [LK_ATTR_TRANSCRIBED_TRACK_ID]: this.#o.trackSid,
        },
      });
      await writer.write(text);
      await writer.close();
    } catch (e) {
      this.#log.error({ err: e, segmentId, final }, 'publishing the transcription failed');
    }
  }

  async #final(
    segmentId: string,
    text: string,
    engine: string,
    confidence: number | undefined,
    endSample: number,
  ) {
    const { participant, trackSid, channel, language, store } = this.#o;
    this.segments++;
    await this.#publish(segmentId, text, true);
    const segment: Segment = {
      segmentId,
      speaker: { identity: participant.identity, name: participant.name || participant.identity },
      trackId: trackSid,
      text,
      language,
      startTime: this.#speechStartSample / SAMPLE_RATE,
      endTime: endSample / SAMPLE_RATE,
      ...(confidence !== undefined ? { confidence: Math.min(1, Math.max(0, confidence)) } : {}),
      final: true,
      engine,
    };
    try {
      await store.add(segment);
    } catch (e) {
      this.#log.error({ err: e, segmentId, path: store.path }, 'could not write the session transcript');
    }
    try {
      const sent = await channel.sendToOrchestrator('transcript.segment', segment);
      if (!sent) this.#log.warn({ segmentId }, 'no orchestrator in the room; segment not routed');
    } catch (e) {
      this.#log.error({ err: e, segmentId }, 'sending transcript.segment failed');
    }
    this.#log.info({ segmentId, chars: text.length, engine }, 'final segment published');
    this.#o.onSegment?.();
  }

  /** Ends the speaker's stream: recognizers, VAD and audio reader all stop; nothing keeps running. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#audio?.cancel().catch(() => undefined);
    this.#vad?.close();
    this.#recognizer.close();
    this.#log.info(
      { segments: this.segments, frames: this.#frames, forcedFinals: this.forcedFinals },
      'stopped transcribing speaker',
    );
  }
}
