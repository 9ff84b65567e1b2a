import { describe, expect, it } from 'vitest';
import { type CandidateTrack, chooseTracks } from '../src/subscription-policy.js';

const t = (sid: string, participant: string, source: 'camera' | 'screen'): CandidateTrack => ({
  sid,
  participant,
  source,
});

describe('chooseTracks', () => {
  const tracks = [
    t('cam-a', 'alice', 'camera'),
    t('cam-b', 'bob', 'camera'),
    t('cam-c', 'carol', 'camera'),
    t('scr-d', 'dave', 'screen'),
  ];

  it('puts screen shares first, then named cameras, then active speakers, within the cap', () => {
    expect(
      chooseTracks({ tracks, named: ['carol'], activeSpeakers: ['bob', 'alice'], maxTracks: 3 }),
    ).toEqual(['scr-d', 'cam-c', 'cam-b']);
  });

  it('follows no camera of someone neither named nor speaking', () => {
    expect(chooseTracks({ tracks, named: [], activeSpeakers: [], maxTracks: 10 })).toEqual(['scr-d']);
  });

  it('respects a cap of zero and never returns duplicates', () => {
    expect(chooseTracks({ tracks, named: ['alice'], activeSpeakers: ['alice'], maxTracks: 0 })).toEqual([]);
    const all = chooseTracks({
      tracks,
      named: ['alice', 'bob'],
      activeSpeakers: ['alice', 'carol'],
      maxTracks: 10,
    });
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(['scr-d', 'cam-a', 'cam-b', 'cam-c']);
  });

  it('follows the new loudest speaker when speakers change', () => {
    const before = chooseTracks({ tracks, named: [], activeSpeakers: ['alice'], maxTracks: 2 });
    const after = chooseTracks({ tracks, named: [], activeSpeakers: ['carol'], maxTracks: 2 });
    expect(before).toEqual(['scr-d', 'cam-a']);
    expect(after).toEqual(['scr-d', 'cam-c']);
  });
});
