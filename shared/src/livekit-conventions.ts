/**
 * LiveKit's own names, kept so standard LiveKit front ends work with the crew (DESIGN.md,
 * Contracts). Never reuse an `lk.*` name for anything else.
 */
export const LK_TOPIC_TRANSCRIPTION = 'lk.transcription';
export const LK_ATTR_SEGMENT_ID = 'lk.segment_id';
export const LK_ATTR_TRANSCRIPTION_FINAL = 'lk.transcription_final';
export const LK_ATTR_TRANSCRIBED_TRACK_ID = 'lk.transcribed_track_id';
export const LK_TOPIC_CHAT = 'lk.chat';
export const LK_ATTR_AGENT_STATE = 'lk.agent.state';

/** `ParticipantInfo.Kind` as the server API reports it (livekit-server-sdk does not export the enum). */
export const SERVER_PARTICIPANT_KIND = { standard: 0, agent: 4 } as const;
