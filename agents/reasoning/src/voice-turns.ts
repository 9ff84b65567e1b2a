/**
 * Taking turns in the conversation: the reasoner answers aloud and stops as soon as a person
 * starts talking. The SFU reports active speakers only on subscribed tracks, so while it speaks
 * the reasoner subscribes to people's microphones, and lets them go when it is done.
 */
import { type Room, RoomEvent, TrackSource } from '@livekit/rtc-node';
import { isAgent } from '@roomcrew/shared/room';
import type { AgentStateAttribute } from './agent-state.js';
import type { Voice } from './voice.js';

export class VoiceTurns {
  constructor(
    private readonly room: Room,
    private readonly voice: Voice | undefined,
    private readonly state: AgentStateAttribute,
  ) {}

  /** Interrupts on people speaking; returns the function that stops listening for that. */
  start(): () => void {
    const { room } = this;
    const onSpeakers = (speakers: { identity: string }[]) => {
      const human = speakers.some((s) => {
        const p = room.remoteParticipants.get(s.identity);
        return p !== undefined && !isAgent(p);
      });
      if (human && this.voice?.speaking) this.voice.interrupt('someone started speaking');
    };
    room.on(RoomEvent.ActiveSpeakersChanged, onSpeakers);
    // Someone who starts publishing while the reasoner speaks must be able to interrupt too.
    const onPublished = () => {
      if (this.voice?.speaking) this.#hearPeople(true);
    };
    room.on(RoomEvent.TrackPublished, onPublished);
    return () => {
      room.off(RoomEvent.ActiveSpeakersChanged, onSpeakers);
      room.off(RoomEvent.TrackPublished, onPublished);
    };
  }

  interrupt(why: string): void {
    this.voice?.interrupt(why);
  }

  /** Speaks on the reasoner's own track (in the background); no-op without a voice. */
  async speak(text: string): Promise<void> {
    if (!this.voice) return;
    await this.state.set('speaking');
    this.#hearPeople(true);
    void this.voice.say(text).finally(() => {
      if (!this.voice?.speaking) this.#hearPeople(false);
      void this.state.set('listening');
    });
  }

  #hearPeople(on: boolean): void {
    for (const p of this.room.remoteParticipants.values()) {
      if (isAgent(p)) continue;
      for (const pub of p.trackPublications.values()) {
        if (pub.source === TrackSource.SOURCE_MICROPHONE && pub.subscribed !== on) pub.setSubscribed(on);
      }
    }
  }
}
