/**
 * Follows one subscribed video track without ever falling behind: only the newest frame is kept
 * (no queue), a timer samples it at the track's rate, the luma change detector lets through only
 * frames that changed enough (or whose last analysis is too old), and at most one analysis per
 * track is in flight, within a per-worker cap.
 */
import {
  type RemoteVideoTrack,
  VideoBufferType,
  type VideoFrame,
  type VideoRotation,
  VideoStream,
} from '@livekit/rtc-node';
import type { Logger } from '@roomcrew/shared';
import { ChangeDetector } from './luma.js';
import type { VideoSource } from './subscription-policy.js';

export interface TrackInfo {
  sid: string;
  participant: string;
  source: VideoSource;
}

export interface SamplingOptions {
  fps: number;
  /** A frame at least this different (0..1) from the last analysed one is analysed. */
  threshold: number;
  /** …and one is analysed anyway when the last analysis is older than this. */
  maxAgeMs: number;
  /** No analysis before the track has delivered frames this long: WebRTC starts a new track
   * small and blurry while bandwidth estimation ramps up. */
  warmupMs?: number;
}

/** A counting limit on analyses in flight across all tracks of a worker. */
export class AnalysisLimit {
  #inFlight = 0;
  /** Frames due for analysis that were skipped because the cap was reached (a sign of overload). */
  refused = 0;
  /** Analyses started, over the worker's life. */
  granted = 0;
  constructor(readonly max: number) {}
  tryAcquire(): boolean {
    if (this.#inFlight >= this.max) {
      this.refused++;
      return false;
    }
    this.granted++;
    this.#inFlight++;
    return true;
  }
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }
}

export type Analyze = (frame: VideoFrame, score: number, frameTs: number) => Promise<void>;

export class TrackSampler {
  readonly #detector: ChangeDetector;
  #latest: { frame: VideoFrame; rotation: VideoRotation; at: number } | undefined;
  #firstFrameAt = 0;
  #reader: ReadableStreamDefaultReader | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = false;
  #lastAnalysis = 0;
  #closed = false;
  frames = 0;
  analyses = 0;

  constructor(
    readonly info: TrackInfo,
    private readonly track: RemoteVideoTrack,
    private opts: SamplingOptions,
    private readonly limit: AnalysisLimit,
    private readonly analyze: Analyze,
    private readonly log: Logger,
  ) {
    // Screens change in small, sharp places (text); cameras everywhere, a little, all the time.
    this.#detector = new ChangeDetector({ metric: info.source === 'screen' ? 'peak' : 'mean' });
  }

  start(): void {
    const reader = new VideoStream(this.track).getReader();
    this.#reader = reader;
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || this.#closed) break;
          this.frames++;
          if (this.#firstFrameAt === 0) this.#firstFrameAt = Date.now();
          const { frame, rotation } = value;
          const last = this.#latest;
          if (
            !last ||
            last.frame.width !== frame.width ||
            last.frame.height !== frame.height ||
            last.rotation !== rotation
          )
            this.log.debug(
              {
                trackSid: this.info.sid,
                width: frame.width,
                height: frame.height,
                rotation,
                type: frame.type,
              },
              'video frame geometry',
            );
          this.#latest = { frame, rotation, at: Date.now() }; // the newest replaces the rest
        }
      } catch (e) {
        if (!this.#closed)
          this.log.warn({ err: e, trackSid: this.info.sid }, 'video stream ended with an error');
      }
    })();
    this.#schedule();
  }

  /** Changes the sampling rate (load shedding, speaker changes). */
  setOptions(opts: Partial<SamplingOptions>): void {
    this.opts = { ...this.opts, ...opts };
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#closed || this.opts.fps <= 0) return;
    this.#timer = setInterval(() => void this.#tick(), Math.max(10, 1000 / this.opts.fps));
  }

  async #tick(): Promise<void> {
    const latest = this.#latest;
    if (!latest || this.#inFlight || this.#closed) return;
    if (Date.now() - this.#firstFrameAt < (this.opts.warmupMs ?? 0)) return;
    let frame = latest.frame;
    try {
      // Decoded WebRTC video is I420 already; anything else is converted once, here.
      if (frame.type !== VideoBufferType.I420) frame = frame.convert(VideoBufferType.I420);
      const score = this.#detector.score(frame);
      const stale = Date.now() - this.#lastAnalysis >= this.opts.maxAgeMs;
      if (score < this.opts.threshold && !stale) return;
      if (!this.limit.tryAcquire()) return;
      this.#inFlight = true;
      this.#detector.accept();
      this.#lastAnalysis = Date.now();
      this.analyses++;
      try {
        await this.analyze(frame, score, latest.at);
      } finally {
        this.#inFlight = false;
        this.limit.release();
      }
    } catch (e) {
      // A bad frame or a failed analysis costs that frame only; the next one is analysed.
      this.log.warn(
        { err: e, trackSid: this.info.sid, width: frame.width, height: frame.height },
        'frame analysis failed',
      );
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#reader?.cancel().catch(() => undefined);
    this.#latest = undefined;
  }
}
