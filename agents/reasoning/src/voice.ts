/**
 * The reasoner's voice: its own microphone track, fed by a TTS chain (cloud voices first when
 * keys are set, flite last, through agents-js `tts.FallbackAdapter`). Speaking stops at once when
 * interrupted: when a human starts speaking (the SFU's active-speaker update, so no audio is
 * subscribed) or when an operator takes over.
 */
import { tts } from '@livekit/agents';
import * as elevenlabs from '@livekit/agents-plugin-elevenlabs';
import * as openai from '@livekit/agents-plugin-openai';
import {
  AudioResampler,
  AudioSource,
  LocalAudioTrack,
  type LocalTrackPublication,
  type Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import type { Logger } from '@roomcrew/shared';
import { type ReasonerConfig, ttsChain } from './config.js';
import { FliteTTS } from './flite-tts.js';

const RATE = 24_000;

export function ttsEngines(cfg: ReasonerConfig, fliteBin: string): tts.TTS[] {
  return ttsChain(cfg).map((name) => {
    switch (name) {
      case 'elevenlabs':
        return new elevenlabs.TTS({ apiKey: cfg.ELEVEN_API_KEY });
      case 'openai':
        return new openai.TTS({
          apiKey: cfg.OPENAI_API_KEY ?? 'unset',
          baseURL: cfg.OPENAI_BASE_URL,
          model: cfg.OPENAI_TTS_MODEL,
          voice: cfg.OPENAI_TTS_VOICE as never,
        });
      default:
        return new FliteTTS(fliteBin, cfg.CREW_TTS_VOICE);
    }
  });
}

export class Voice {
  readonly source = new AudioSource(RATE, 1);
  readonly track = LocalAudioTrack.createAudioTrack('crew-reasoner-voice', this.source);
  readonly #tts: tts.TTS;
  #publication?: LocalTrackPublication;
  #current?: AbortController;
  /** Utterances spoken to the end, and cut short. */
  readonly stats = { spoken: 0, interrupted: 0 };

  constructor(
    engines: tts.TTS[],
    private readonly log: Logger,
  ) {
    this.#tts =
      engines.length === 1 ? (engines[0] as tts.TTS) : new tts.FallbackAdapter({ ttsInstances: engines });
  }

  get speaking(): boolean {
    return this.#current !== undefined;
  }

  async publish(room: Room): Promise<void> {
    const opts = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
    this.#publication = await room.localParticipant?.publishTrack(this.track, opts);
  }

  /** Speaks one answer; a new answer interrupts the one in progress. Resolves when done or cut. */
  async say(text: string): Promise<'done' | 'interrupted'> {
    this.interrupt('a newer answer');
    const ctl = new AbortController();
    this.#current = ctl;
    const stream = this.#tts.synthesize(text, undefined, ctl.signal);
    let resampler: AudioResampler | undefined;
    try {
      for await (const audio of stream) {
        if (ctl.signal.aborted) break;
        let frames = [audio.frame];
        if (audio.frame.sampleRate !== RATE) {
          resampler ??= new AudioResampler(audio.frame.sampleRate, RATE, 1);
          frames = resampler.push(audio.frame);
        }
        for (const f of frames) {
          if (ctl.signal.aborted) break;
          await this.source.captureFrame(f);
        }
      }
      if (!ctl.signal.aborted) await this.source.waitForPlayout();
    } catch (e) {
      if (!ctl.signal.aborted) this.log.error({ err: e }, 'speaking failed');
    } finally {
      stream.close();
      if (this.#current === ctl) this.#current = undefined;
    }
    if (ctl.signal.aborted) {
      this.stats.interrupted++;
      return 'interrupted';
    }
    this.stats.spoken++;
    return 'done';
  }

  /** Stops speaking now: what is queued in the source is dropped, not played out. */
  interrupt(why: string): void {
    if (!this.#current) return;
    this.#current.abort();
    this.#current = undefined;
    this.source.clearQueue();
    this.log.info({ why }, 'stopped speaking');
  }

  async close(): Promise<void> {
    this.interrupt('closing');
    if (this.#publication?.sid) await this.track.close().catch(() => undefined);
    await this.#tts.close();
  }
}
