/**
 * The whole default crew in one room: what the vision agent reads on a shared screen reaches the
 * reasoner, which raises an alert for sensitive content and answers what is on screen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import type { Room } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, collectChat, waitForEvent } from '../support/crew-chat.js';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgentState } from '../support/crew-room.js';
import { FakeScreen, renderSlide } from '../support/media.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';

let crew: Crew;
let presenter: Room;

beforeAll(async () => {
  crew = await startCrew('crew-together');
});

afterAll(async () => {
  await presenter?.disconnect().catch(() => undefined);
  await crew?.stop();
});

describe('the default crew together', () => {
  it('turns a confidential slide into an alert, and says what is on screen when asked', async () => {
    const ROOM = 'together-1';
    await dispatchCrew(crew.target, ROOM);
    presenter = await join(crew.target, ROOM, 'dana', 'participant', 'Dana');
    const events = collectCrewEvents(presenter);
    const said = collectChat(presenter);
    await waitForAgentState(presenter, AGENT_NAMES.reasoner, 'listening');
    const screen = new FakeScreen(renderSlide(['CONFIDENTIAL', 'Roadmap 2027', 'Launch in March']));
    await screen.publish(presenter);

    const seen = await waitForEvent(events, 'vision.observation', (e) => e.payload.source === 'screen');
    expect(seen.payload.summary + JSON.stringify(seen.payload.fields)).toMatch(/Roadmap/i);
    const alert = await waitForEvent(events, 'reasoning.insight', (e) => e.payload.kind === 'alert');
    expect(alert.payload.text).toBe('The screen shared by Dana shows CONFIDENTIAL content.');
    await waitFor(() => said.find((m) => m.text === alert.payload.text), 'the alert in the chat');

    await chat(presenter, 'Crew, what is on the screen?');
    const answer = await waitForEvent(events, 'reasoning.insight', (e) => e.payload.kind === 'answer');
    expect(answer.payload.text).toMatch(/^On Dana's screen: .*Roadmap 2027/s);
    await screen.stop();

    // When the last person leaves, the reasoner writes the room's summary.
    await presenter.disconnect();
    const file = joinPath(crew.env.CREW_DATA_DIR as string, 'summaries', 'together-1.md');
    const summary = await waitFor(
      () => (existsSync(file) && readFileSync(file, 'utf8').trim()) || undefined,
      'the room summary',
    );
    expect(summary).toMatch(/^Summary of together-1: 1 person spoke or wrote \(Dana\)/);
    expect(summary).toContain('- The screen shared by Dana shows CONFIDENTIAL content.');
  });
});
