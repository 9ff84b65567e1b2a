/**
 * One speaker's microphone track → one recognizer stream. Each final segment goes out as LiveKit's
 * transcription text stream (topic `lk.transcription`, attributed to the speaker as agents-js
 * does) and as a `transcript.segment` crew event to the orchestrator.
 */
import { randomUUID } from 'node:crypto';
import { stt } from '@livekit/agents';
import { AudioStream, type RemoteParticipant, type RemoteTrack, type Room } from '@livekit/rtc-node';
import {
  LK_ATTR_SEGMENT_ID,
  LK_ATTR_TRANSCRIBED_TRACK_ID,
  LK_ATTR_TRANSCRIPTION_FINAL,
  LK_TOPIC_TRANSCRIPTION,
  type Logger,
} from '@roomcrew/shared';
import type { CrewChannel } from '@roomcrew/shared/room';

export interface SpeakerTranscriberOptions {
  room: Room;
  channel: CrewChannel;
  log: Logger;
  participant: RemoteParticipant;
  track: RemoteTrack;
  trackSid: string;
  engine: stt.STT;
  language: string;
}

const MAX_RESTARTS_PER_MINUTE = 5;

export interface FinalSegment {
  segmentId: string;
  text: string;
  startTime: number;
  endTime: number;
  confidence?: number;
}

export class SpeakerTranscriber {
  readonly #o: SpeakerTranscriberOptions;
  readonly #log: Logger;
  #stream: stt.SpeechStream | undefined;
  #audio: ReadableStreamDefaultReader | undefined;
  #closed = false;
  #restarts: number[] = [];
  segments = 0;

  constructor(o: SpeakerTranscriberOptions) {
    this.#o = o;
    this.#log = o.log.child({ speaker: o.participant.identity, trackSid: o.trackSid });
  }

  get stream(): stt.SpeechStream | undefined {
    return this.#stream;
  }

  start(): void {
    const audio = new AudioStream(this.#o.track, { sampleRate: 16_000, numChannels: 1 });
    const reader = audio.getReader();
    this.#audio = reader;
    this.#openStream();
    void this.#pump(reader);
    this.#log.info({ engine: this.#o.engine.label }, 'transcribing speaker');
  }

  #openStream(): void {
    const stream = this.#o.engine.stream();
    this.#stream = stream;
    void this.#consume(stream);
  }

  /** Frames go to whichever recognizer stream is current, so a restart loses no later audio. */
  async #pump(reader: ReadableStreamDefaultReader): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.#closed) break;
        try {
          this.#stream?.pushFrame(value);
        } catch {
          // the stream is being replaced after a failure; this frame is dropped
        }
      }
    } catch (e) {
      if (!this.#closed) this.#log.warn({ err: e }, 'audio stream ended with an error');
    } finally {
      if (!this.#closed) {
        try {
          this.#stream?.endInput();
        } catch {
          // already closed
        }
      }
    }
  }

  async #consume(stream: stt.SpeechStream): Promise<void> {
    try {
      for await (const ev of stream) {
        if (ev.type !== stt.SpeechEventType.FINAL_TRANSCRIPT) continue;
        const alt = ev.alternatives?.[0];
        if (!alt || alt.text.trim() === '') continue;
        await this.publishFinal({
          segmentId: `SG_${randomUUID().replaceAll('-', '').slice(0, 12)}`,
          text: alt.text.trim(),
          startTime: alt.startTime,
          endTime: alt.endTime,
          confidence: alt.confidence,
        });
      }
    } catch (e) {
      if (!this.#closed) this.#log.error({ err: e }, 'recognizer stream failed');
    }
    if (this.#closed || stream !== this.#stream) return;
    // The recognizer ended while the speaker is still here: restart it, at most a few times a minute.
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < 60_000);
    if (this.#restarts.length >= MAX_RESTARTS_PER_MINUTE) {
      this.#log.error(
        { restarts: this.#restarts.length },
        'recognizer keeps failing; giving up on this speaker until they republish',
      );
      return;
    }
    this.#restarts.push(now);
    this.#log.warn({ restarts: this.#restarts.length }, 'recognizer ended unexpectedly; restarting it');
    stream.close();
    this.#openStream();
  }

  async publishFinal(seg: FinalSegment): Promise<void> {
    const { room, participant, trackSid, channel, language, engine } = this.#o;
    const local = room.localParticipant;
    if (!local || this.#closed) return;
    this.segments++;
    try {
      const writer = await local.streamText({
        topic: LK_TOPIC_TRANSCRIPTION,
        senderIdentity: participant.identity,
        attributes: {
          [LK_ATTR_SEGMENT_ID]: seg.segmentId,
          [LK_ATTR_TRANSCRIPTION_FINAL]: 'true',
          [LK_ATTR_TRANSCRIBED_TRACK_ID]: trackSid,
        },
      });
      await writer.write(seg.text);
      await writer.close();
    } catch (e) {
      this.#log.error({ err: e, segmentId: seg.segmentId }, 'publishing the transcription failed');
    }
    try {
      const sent = await channel.sendToOrchestrator('transcript.segment', {
        segmentId: seg.segmentId,
        speaker: { identity: participant.identity, name: participant.name ?? participant.identity },
        trackId: trackSid,
        text: seg.text,
        language,
        startTime: seg.startTime,
        endTime: seg.endTime,
        ...(seg.confidence !== undefined ? { confidence: seg.confidence } : {}),
        final: true,
        engine: engine.label,
      });
      if (!sent)
        this.#log.warn({ segmentId: seg.segmentId }, 'no orchestrator in the room; segment not routed');
    } catch (e) {
      this.#log.error({ err: e, segmentId: seg.segmentId }, 'sending transcript.segment failed');
    }
    this.#log.info({ segmentId: seg.segmentId, chars: seg.text.length }, 'final segment published');
  }

  /** Ends the speaker's stream: the recognizer process is killed, nothing keeps running. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#audio?.cancel().catch(() => undefined);
    this.#stream?.close();
    this.#log.info({ segments: this.segments }, 'stopped transcribing speaker');
  }
}
