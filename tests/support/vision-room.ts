/**
 * A room with the vision agent, an operator collecting crew events and a presenter: what the
 * vision end-to-end tests start from, with waits that say what the agent did see when they fail.
 */
import type { Room } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES, ATTR_AGENT_NAME, type CrewPayload } from '@roomcrew/shared';
import type { Crew } from './crew-harness.js';
import { waitForAgent } from './crew-room.js';
import { wordOverlap } from './media.js';
import { collectCrewEvents, join } from './room-client.js';
import { waitFor } from './wait.js';

export type Observation = CrewPayload<'vision.observation'>;

const visionAgents = (room: Room) =>
  [...room.remoteParticipants.values()].filter((p) => p.attributes[ATTR_AGENT_NAME] === AGENT_NAMES.vision);

export async function enterVisionRoom(crew: Crew, name: string, watch: string[] = []) {
  await dispatchCrew(crew.target, name, { agents: [AGENT_NAMES.vision], watch });
  const operator = await join(crew.target, name, 'op', 'operator');
  const presenter = await join(crew.target, name, 'presenter', 'participant', 'Presenter');
  const events = collectCrewEvents(operator);
  await waitForAgent(operator, AGENT_NAMES.vision);
  const agentIdentity = visionAgents(operator)[0]!.identity;
  const seen = (trackId: string): Observation[] =>
    events.flatMap((e) =>
      e.event.type === 'vision.observation' && e.event.payload.trackId === trackId ? [e.event.payload] : [],
    );
  return {
    operator,
    presenter,
    events,
    seen,
    /** The first observation of `trackId` after its `after`-th one that satisfies `ok`. */
    next: (trackId: string, after: number, what: string, ok: (o: Observation) => boolean = () => true) =>
      waitFor(() => seen(trackId).slice(after).find(ok), what).catch((e: Error) => {
        const got = seen(trackId).map((o) => ({ summary: o.summary.slice(0, 200), ...o.fields }));
        throw new Error(`${e.message}; observations of the track: ${JSON.stringify(got).slice(0, 4000)}`);
      }),
    /** The vision agent is still the participant it was: its job did not die and come back. */
    sameAgent: () =>
      visionAgents(operator)
        .map((p) => p.identity)
        .join(',') === agentIdentity,
  };
}

export const ocrText = (o: Observation) => (o.fields.ocr as { text: string } | undefined)?.text ?? '';

/** An observation whose OCR text has at least 80% of the words of `lines`. */
export const reads = (lines: string[]) => (o: Observation) => wordOverlap(ocrText(o), lines.join(' ')) >= 0.8;
