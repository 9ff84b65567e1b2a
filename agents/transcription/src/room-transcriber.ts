/**
 * The transcriber's view of a room: it subscribes to the microphone of every human participant
 * (never video, never agents), runs one recognizer stream per microphone track concurrently, and
 * ends each stream when its track is unpublished or unsubscribed or its speaker leaves.
 */
import type { VAD } from '@livekit/agents';
import {
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
  type Room,
  RoomEvent,
  TrackKind,
  TrackSource,
} from '@livekit/rtc-node';
import { AGENT_NAMES, type Logger } from '@roomcrew/shared';
import { type CrewChannel, isAgent } from '@roomcrew/shared/room';
import { SpeakerTranscriber } from './speaker-transcriber.js';
import type { Engine } from './stt-engines.js';
import type { SttMetrics } from './stt-metrics.js';
import type { TranscriptStore } from './transcript-store.js';

export interface RoomTranscriberOptions {
  room: Room;
  channel: CrewChannel;
  log: Logger;
  engines: Engine[];
  vad: VAD;
  language: string;
  metrics: SttMetrics;
  store: TranscriptStore;
  finalizeTimeoutMs: number;
}

export function isHumanMicrophone(pub: RemoteTrackPublication, p: RemoteParticipant): boolean {
  return !isAgent(p) && pub.kind === TrackKind.KIND_AUDIO && pub.source === TrackSource.SOURCE_MICROPHONE;
}

export class RoomTranscriber {
  readonly #speakers = new Map<string, SpeakerTranscriber>();
  readonly #o: RoomTranscriberOptions;
  readonly #handlers: [RoomEvent, (...args: never[]) => void][] = [];
  #stateTimer: NodeJS.Timeout | undefined;

  constructor(o: RoomTranscriberOptions) {
    this.#o = o;
  }

  get activeSpeakers(): number {
    return this.#speakers.size;
  }

  start(): void {
    const { room } = this.#o;
    this.#on(RoomEvent.TrackPublished, (pub: RemoteTrackPublication, p: RemoteParticipant) =>
      this.#consider(pub, p),
    );
    this.#on(
      RoomEvent.TrackSubscribed,
      (track: RemoteTrack, pub: RemoteTrackPublication, p: RemoteParticipant) => {
        if (isHumanMicrophone(pub, p)) this.#startSpeaker(track, pub, p);
        else {
          // Subscribed by someone else's mistake or a policy change: drop it so the SFU stops sending.
          this.#o.log.warn(
            { trackSid: pub.sid, participant: p.identity },
            'unexpected subscription; unsubscribing',
          );
          pub.setSubscribed(false);
        }
        this.#reportState();
      },
    );
    this.#on(RoomEvent.TrackUnsubscribed, (_t: RemoteTrack, pub: RemoteTrackPublication) => {
      this.#stopSpeaker(pub.sid ?? '', 'unsubscribed');
    });
    this.#on(RoomEvent.TrackUnpublished, (pub: RemoteTrackPublication) => {
      this.#stopSpeaker(pub.sid ?? '', 'unpublished');
    });
    this.#on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      for (const sid of p.trackPublications.keys()) this.#stopSpeaker(sid, 'speaker left');
    });
    this.#on(RoomEvent.ParticipantConnected, () => this.#reportState());
    for (const p of room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) this.#consider(pub, p);
    }
    void this.#hello();
  }

  async #hello(): Promise<void> {
    const orchestrator = await this.#o.channel.reachOrchestrator();
    if (!orchestrator) {
      this.#o.log.warn('no orchestrator answered; transcript events will not be routed until one joins');
      return;
    }
    try {
      await this.#o.channel.send('crew.hello', { agent: AGENT_NAMES.transcriber }, [orchestrator]);
    } catch (e) {
      this.#o.log.warn({ err: e }, 'could not say hello to the orchestrator');
    }
    this.#reportState();
  }

  /** Track sids this agent is subscribed to, as the room reports them. */
  subscriptions(): string[] {
    const out: string[] = [];
    for (const p of this.#o.room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) if (pub.subscribed && pub.sid) out.push(pub.sid);
    }
    return out;
  }

  close(): void {
    if (this.#stateTimer) clearTimeout(this.#stateTimer);
    for (const [event, handler] of this.#handlers) this.#o.room.off(event, handler as never);
    this.#handlers.length = 0;
    for (const sid of [...this.#speakers.keys()]) this.#stopSpeaker(sid, 'transcriber stopping');
  }

  #on<A extends unknown[]>(event: RoomEvent, handler: (...args: A) => void): void {
    this.#o.room.on(event, handler as never);
    this.#handlers.push([event, handler as never]);
  }

  #consider(pub: RemoteTrackPublication, p: RemoteParticipant): void {
    if (isHumanMicrophone(pub, p) && !pub.subscribed) pub.setSubscribed(true);
  }

  #startSpeaker(track: RemoteTrack, pub: RemoteTrackPublication, p: RemoteParticipant): void {
    const sid = pub.sid ?? track.sid ?? '';
    if (this.#speakers.has(sid)) return;
    const speaker = new SpeakerTranscriber({
      room: this.#o.room,
      channel: this.#o.channel,
      log: this.#o.log,
      participant: p,
      track,
      trackSid: sid,
      engines: this.#o.engines,
      vad: this.#o.vad,
      language: this.#o.language,
      metrics: this.#o.metrics,
      store: this.#o.store,
      finalizeTimeoutMs: this.#o.finalizeTimeoutMs,
      onSegment: () => this.#reportState(),
    });
    this.#speakers.set(sid, speaker);
    speaker.start();
  }

  #stopSpeaker(sid: string, reason: string): void {
    const speaker = this.#speakers.get(sid);
    if (!speaker) return;
    this.#speakers.delete(sid);
    this.#o.log.info({ trackSid: sid, reason }, 'ending speaker stream');
    speaker.close();
    this.#reportState();
  }

  /** Tells the orchestrator (and through it, operators) what this agent is listening to. */
  #reportState(): void {
    if (this.#stateTimer) clearTimeout(this.#stateTimer);
    this.#stateTimer = setTimeout(() => {
      void this.#o.channel
        .sendToOrchestrator('crew.state', {
          agent: AGENT_NAMES.transcriber,
          state: this.#speakers.size > 0 ? 'busy' : 'ready',
          subscriptions: this.subscriptions(),
          detail: {
            speakers: this.#speakers.size,
            engines: this.#o.engines.map((e) => e.name),
            stt: this.#o.metrics.snapshot(),
          },
        })
        .catch((e) => this.#o.log.warn({ err: e }, 'could not report state'));
    }, 200);
  }
}
