/**
 * The vision agent's view of a room: it follows the video tracks the subscription policy picks
 * (and is unsubscribed from every other, so the SFU sends it nothing), never audio, and turns
 * changes on screen shares into `vision.observation` events with the text on screen.
 */

import { createHash } from 'node:crypto';
import {
  type Participant,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type RemoteVideoTrack,
  type Room,
  RoomEvent,
  TrackKind,
  TrackSource,
  type VideoFrame,
} from '@livekit/rtc-node';
import { AGENT_NAMES, type Logger, type VisionControl } from '@roomcrew/shared';
import { type CrewChannel, isAgent } from '@roomcrew/shared/room';
import type { CloudVision } from './cloud-vision.js';
import type { VisionConfig } from './config.js';
import { describeFaces, FaceAnalyzer } from './face-analyzer.js';
import { ocr } from './ocr.js';
import { type CandidateTrack, chooseTracks, type VideoSource } from './subscription-policy.js';
import { AnalysisLimit, TrackSampler } from './track-sampler.js';

const SHED_SCREEN_ONLY = 3;
/** How often the agent reports its metrics in crew.state (and logs them, every sixth time). */
const REPORT_EVERY_MS = 10_000;
const SCREEN_WARMUP_MS = 1500;

/**
 * Observations stay under the 14 KiB event limit: long texts are cut to these sizes, counted as
 * JSON-encoded UTF-8 (what goes on the wire), so multi-byte or escaped text cannot overflow.
 */
const SUMMARY_BYTES = 600;
const DESCRIPTION_BYTES = 8000;
const OCR_BYTES = 9000;

/** The longest prefix of `text` whose JSON string encoding takes at most `maxBytes` bytes. */
export function clipForJson(text: string, maxBytes: number): string {
  const size = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;
  if (size(text) <= maxBytes) return text;
  let lo = 0;
  let hi = Math.min(text.length, maxBytes); // every character takes at least one byte
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (size(text.slice(0, mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  // Never end on half of a surrogate pair.
  const code = text.charCodeAt(lo - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? lo - 1 : lo);
}

function sourceOf(pub: RemoteTrackPublication): VideoSource | undefined {
  if (pub.kind !== TrackKind.KIND_VIDEO) return undefined;
  if (pub.source === TrackSource.SOURCE_SCREENSHARE) return 'screen';
  if (pub.source === TrackSource.SOURCE_CAMERA) return 'camera';
  return undefined;
}

export interface RoomVisionOptions {
  room: Room;
  channel: CrewChannel;
  log: Logger;
  cfg: VisionConfig;
  tesseract: string;
  /** Participants named in the job metadata. */
  watch: string[];
  /** An OpenAI-compatible vision model tried before the local analysers. */
  cloud?: CloudVision;
}

export class RoomVision {
  readonly #o: RoomVisionOptions;
  readonly #samplers = new Map<string, TrackSampler>();
  /** Per track, what the last observation said (OCR hash, or face count and gaze). */
  readonly #lastText = new Map<string, string>();
  readonly #faces = new FaceAnalyzer();
  readonly #limit: AnalysisLimit;
  readonly #handlers: [RoomEvent, (...a: never[]) => void][] = [];
  #speakers: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reporter: NodeJS.Timeout | undefined;
  #reports = 0;
  /** Rates set by configuration and operators; shedding divides them. */
  #rates: Required<VisionControl>;
  /** 0: full rates; each level halves them; SHED_SCREEN_ONLY and up: screen shares only. */
  #shedLevel = 0;
  #latencyMs = 0;
  #calm = 0;
  /** Analyses measured since the shed level last changed. */
  #sinceChange = 0;
  #lastAnalysisAt = 0;
  observations = 0;
  cloudFallbacks = 0;

  constructor(o: RoomVisionOptions) {
    this.#o = o;
    this.#limit = new AnalysisLimit(o.cfg.CREW_VISION_MAX_ANALYSES);
    this.#rates = {
      screenFps: o.cfg.CREW_VISION_SCREEN_FPS,
      cameraFps: o.cfg.CREW_VISION_CAMERA_FPS,
      idleFps: o.cfg.CREW_VISION_IDLE_FPS,
      screenOnly: false,
    };
  }

  /** Current effective sampling, for control replies and state reports. */
  rates(): Required<VisionControl> & { shedLevel: number } {
    const f = 2 ** -Math.min(this.#shedLevel, SHED_SCREEN_ONLY);
    return {
      screenFps: this.#rates.screenFps * f,
      cameraFps: this.#rates.cameraFps * f,
      idleFps: this.#rates.idleFps * f,
      screenOnly: this.#rates.screenOnly || this.#shedLevel >= SHED_SCREEN_ONLY,
      shedLevel: this.#shedLevel,
    };
  }

  /** Operators (or the crew) lower or raise sampling: `crew.control.vision`. */
  setRates(change: VisionControl): ReturnType<RoomVision['rates']> {
    this.#rates = { ...this.#rates, ...change };
    this.#applyRates();
    return this.rates();
  }

  #applyRates(): void {
    for (const s of this.#samplers.values())
      s.setOptions({ fps: this.#fps(s.info.source, s.info.participant) });
    this.#reevaluate();
  }

  /**
   * Sheds on its own when analyses run over budget, and recovers when they are well under. A
   * level change waits for a few measurements at the current level, so one slow pair of
   * concurrent analyses does not shed two levels at once.
   */
  #observeLatency(ms: number): void {
    this.#lastAnalysisAt = Date.now();
    this.#sinceChange++;
    this.#latencyMs = this.#latencyMs === 0 ? ms : 0.7 * this.#latencyMs + 0.3 * ms;
    const budget = this.#o.cfg.CREW_VISION_ANALYSIS_BUDGET_MS;
    if (this.#latencyMs > budget && this.#shedLevel < SHED_SCREEN_ONLY && this.#sinceChange >= 3) {
      this.#changeShedLevel(+1, 'vision analysis over budget: shedding');
    } else if (this.#latencyMs < budget / 3 && this.#shedLevel > 0 && ++this.#calm >= 5) {
      this.#changeShedLevel(-1, 'vision analysis back under budget: recovering');
    }
  }

  #changeShedLevel(step: 1 | -1, why: string): void {
    this.#shedLevel += step;
    this.#calm = 0;
    this.#sinceChange = 0;
    const fields = {
      latencyMs: Math.round(this.#latencyMs),
      budget: this.#o.cfg.CREW_VISION_ANALYSIS_BUDGET_MS,
      ...this.rates(),
    };
    if (step > 0) this.#o.log.warn(fields, why);
    else this.#o.log.info(fields, why);
    this.#applyRates();
  }

  /**
   * Shed down to screen shares only with none to look at, nothing is measured any more: after a
   * quiet report period the agent steps back up, and sheds again if the load is still too high.
   */
  #recoverWhenIdle(): void {
    if (this.#shedLevel > 0 && Date.now() - this.#lastAnalysisAt > REPORT_EVERY_MS) {
      this.#latencyMs = 0;
      this.#changeShedLevel(-1, 'no analyses to measure while shedding: recovering');
    }
  }

  start(): void {
    const again = () => this.#reevaluate();
    this.#on(RoomEvent.TrackPublished, again);
    this.#on(RoomEvent.TrackUnpublished, (pub: RemoteTrackPublication) => {
      this.#stop(pub.sid ?? '');
      again();
    });
    this.#on(RoomEvent.ParticipantConnected, again);
    this.#on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      for (const sid of p.trackPublications.keys()) this.#stop(sid);
      again();
    });
    this.#on(RoomEvent.ActiveSpeakersChanged, (speakers: Participant[]) => {
      this.#speakers = speakers.map((s) => s.identity);
      for (const s of this.#samplers.values())
        s.setOptions({ fps: this.#fps(s.info.source, s.info.participant) });
      again();
    });
    this.#on(
      RoomEvent.TrackSubscribed,
      (track: RemoteTrack, pub: RemoteTrackPublication, p: RemoteParticipant) =>
        this.#subscribed(track, pub, p),
    );
    this.#on(RoomEvent.TrackUnsubscribed, (_t: RemoteTrack, pub: RemoteTrackPublication) =>
      this.#stop(pub.sid ?? ''),
    );
    this.#reevaluate();
    this.#reporter = setInterval(() => {
      this.#recoverWhenIdle();
      this.#report();
      if (++this.#reports % 6 === 0) this.#o.log.info(this.metrics(), 'vision metrics');
    }, REPORT_EVERY_MS);
  }

  /** Load figures, in crew.state and the logs: what the capacity benchmark reads. */
  metrics() {
    return {
      following: this.#samplers.size,
      analyses: this.#limit.granted,
      /** Frames due for analysis but skipped because MAX_ANALYSES were already running. */
      skippedAtCap: this.#limit.refused,
      latencyMs: Math.round(this.#latencyMs),
      shedLevel: this.#shedLevel,
      observations: this.observations,
      cloudFallbacks: this.cloudFallbacks,
    };
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#reporter) clearInterval(this.#reporter);
    for (const [event, handler] of this.#handlers) this.#o.room.off(event, handler as never);
    for (const sid of [...this.#samplers.keys()]) this.#stop(sid);
  }

  /** Track sids this agent is subscribed to, as the room reports them. */
  subscriptions(): string[] {
    const out: string[] = [];
    for (const p of this.#o.room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) if (pub.subscribed && pub.sid) out.push(pub.sid);
    }
    return out;
  }

  #on<A extends unknown[]>(event: RoomEvent, handler: (...args: A) => void): void {
    this.#o.room.on(event, handler as never);
    this.#handlers.push([event, handler as never]);
  }

  #fps(source: VideoSource, participant: string): number {
    const r = this.rates();
    if (source === 'screen') return r.screenFps;
    if (r.screenOnly) return 0;
    return this.#speakers.includes(participant) ? r.cameraFps : r.idleFps;
  }

  /** Debounced: a burst of room events leads to one re-evaluation. */
  #reevaluate(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#apply(), 100);
  }

  #apply(): void {
    const candidates: CandidateTrack[] = [];
    const pubs = new Map<string, RemoteTrackPublication>();
    for (const p of this.#o.room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) {
        if (!pub.sid) continue;
        pubs.set(pub.sid, pub);
        const source = sourceOf(pub);
        const shed = source === 'camera' && this.rates().screenOnly;
        if (source && !isAgent(p) && !shed)
          candidates.push({ sid: pub.sid, participant: p.identity, source });
      }
    }
    const chosen = new Set(
      chooseTracks({
        tracks: candidates,
        named: this.#o.watch,
        activeSpeakers: this.#speakers,
        maxTracks: this.#o.cfg.CREW_VISION_MAX_TRACKS,
      }),
    );
    for (const [sid, pub] of pubs) {
      const want = chosen.has(sid);
      if (want && !pub.subscribed) pub.setSubscribed(true);
      else if (!want && pub.subscribed) {
        pub.setSubscribed(false); // including any audio: the SFU stops sending it
        this.#stop(sid);
      }
    }
    this.#report();
  }

  #subscribed(track: RemoteTrack, pub: RemoteTrackPublication, p: RemoteParticipant): void {
    const source = sourceOf(pub);
    const sid = pub.sid ?? '';
    if (!source || isAgent(p)) {
      pub.setSubscribed(false);
      return;
    }
    if (this.#samplers.has(sid)) return;
    const sampler = new TrackSampler(
      { sid, participant: p.identity, source },
      track as RemoteVideoTrack,
      {
        fps: this.#fps(source, p.identity),
        threshold:
          source === 'screen'
            ? this.#o.cfg.CREW_VISION_SCREEN_THRESHOLD
            : this.#o.cfg.CREW_VISION_CAMERA_THRESHOLD,
        maxAgeMs: this.#o.cfg.CREW_VISION_MAX_AGE_MS,
        warmupMs: SCREEN_WARMUP_MS,
      },
      this.#limit,
      (frame, score, at) => this.#analyse(sid, p, frame, score, at, source),
      this.#o.log,
    );
    this.#samplers.set(sid, sampler);
    sampler.start();
    if (source === 'camera')
      this.#faces.load().catch((e) => this.#o.log.error({ err: e }, 'could not load the face models'));
    this.#o.log.info({ trackSid: sid, participant: p.identity, source }, 'following video track');
    this.#report();
  }

  #stop(sid: string): void {
    const s = this.#samplers.get(sid);
    if (!s) return;
    this.#samplers.delete(sid);
    this.#lastText.delete(sid);
    s.close();
    this.#o.log.info(
      { trackSid: sid, frames: s.frames, analyses: s.analyses },
      'stopped following video track',
    );
  }

  /**
   * Sends an observation unless it says what the last one for this track said (`key`: the OCR
   * hash, the face counts, or the description's hash).
   */
  async #observe(
    frame: {
      sid: string;
      p: RemoteParticipant;
      frame: VideoFrame;
      score: number;
      at: number;
      source: VideoSource;
    },
    key: string,
    summary: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    if (this.#lastText.get(frame.sid) === key) return;
    this.#lastText.set(frame.sid, key);
    let sent: unknown;
    try {
      sent = await this.#o.channel.sendToOrchestrator('vision.observation', {
        trackId: frame.sid,
        participant: frame.p.identity,
        source: frame.source,
        frameTs: frame.at,
        changeScore: Math.min(1, Math.max(0, frame.score)),
        summary: clipForJson(summary, SUMMARY_BYTES),
        fields: { ...fields, width: frame.frame.width, height: frame.frame.height },
      });
    } catch (e) {
      this.#lastText.delete(frame.sid); // not said: the next analysis may say it
      throw e;
    }
    this.observations++;
    if (!sent)
      this.#o.log.warn({ trackSid: frame.sid }, 'no orchestrator in the room; observation not routed');
  }

  /**
   * Analyses one sampled frame: the cloud model first, when configured; on an error or a timeout
   * the local analyser for the source takes over for this frame (the switch is logged and counted).
   */
  async #analyse(
    sid: string,
    p: RemoteParticipant,
    frame: VideoFrame,
    score: number,
    at: number,
    source: VideoSource,
  ) {
    const f = { sid, p, frame, score, at, source };
    const who = p.name || p.identity;
    const started = Date.now();
    if (this.#o.cloud) {
      try {
        const text = await this.#o.cloud.describe(frame, source);
        this.#observeLatency(Date.now() - started);
        const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
        const description = clipForJson(text, DESCRIPTION_BYTES);
        return this.#observe(f, `cloud:${hash}`, text, {
          provider: 'openai',
          description,
          ...(description.length < text.length ? { truncated: true } : {}),
        });
      } catch (e) {
        this.cloudFallbacks++;
        this.#o.log.warn(
          { err: (e as Error).message, trackSid: sid },
          'cloud vision failed; analysing locally',
        );
      }
    }
    if (source === 'screen') {
      const localStart = Date.now();
      const result = await ocr(this.#o.tesseract, frame);
      this.#observeLatency(Date.now() - localStart);
      const text = clipForJson(result.text, OCR_BYTES);
      const first = text.split('\n')[0] ?? '';
      return this.#observe(
        f,
        result.hash,
        text ? `${who}'s screen shows: ${first.slice(0, 160)}` : `${who}'s screen shows no text`,
        {
          provider: 'local',
          ocr: { text, hash: result.hash, truncated: text.length < result.text.length },
        },
      );
    }
    await this.#faces.load(); // loading the models is not analysis time
    const faceStart = Date.now();
    const result = await this.#faces.analyse(frame);
    this.#observeLatency(Date.now() - faceStart);
    // Only what changed is news: the number of faces, or who looks away.
    const key = `${result.faces.length}/${result.faces.filter((x) => x.lookingAway).length}`;
    return this.#observe(f, key, describeFaces(who, result), {
      provider: 'local',
      faces: result.faces.slice(0, 16),
    });
  }

  #report(): void {
    void this.#o.channel
      .sendToOrchestrator('crew.state', {
        agent: AGENT_NAMES.vision,
        state: this.#samplers.size > 0 ? 'busy' : 'ready',
        subscriptions: this.subscriptions(),
        detail: {
          following: [...this.#samplers.keys()],
          observations: this.observations,
          rates: this.rates(),
          metrics: this.metrics(),
        },
      })
      .catch((e) => this.#o.log.warn({ err: e }, 'could not report state'));
  }
}
