/**
 * Which video tracks the vision agent subscribes to, re-evaluated as the room changes: screen
 * shares always, then cameras of participants named in the job metadata, then cameras of the
 * active speakers, up to a cap. Never audio; never agents' video.
 */
export type VideoSource = 'camera' | 'screen';

export interface CandidateTrack {
  sid: string;
  participant: string;
  source: VideoSource;
}

export interface PolicyInput {
  tracks: CandidateTrack[];
  /** Identities named in the job metadata, in priority order. */
  named: string[];
  /** Current active speakers, loudest first. */
  activeSpeakers: string[];
  maxTracks: number;
}

/** Track sids to subscribe to, best first; everything else is unsubscribed. */
export function chooseTracks(input: PolicyInput): string[] {
  const rank = (t: CandidateTrack): number => {
    if (t.source === 'screen') return 0;
    const named = input.named.indexOf(t.participant);
    if (named >= 0) return 1 + named / 1000;
    const speaking = input.activeSpeakers.indexOf(t.participant);
    if (speaking >= 0) return 2 + speaking / 1000;
    return Number.POSITIVE_INFINITY;
  };
  return input.tracks
    .map((t) => ({ t, r: rank(t) }))
    .filter((x) => Number.isFinite(x.r))
    .sort((a, b) => a.r - b.r || a.t.sid.localeCompare(b.t.sid))
    .slice(0, Math.max(0, input.maxTracks))
    .map((x) => x.t.sid);
}
