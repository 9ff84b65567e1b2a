/**
 * The vision agent on an OpenAI-compatible model (the real plugin against a local server that
 * speaks the chat-completions protocol), with the local analysers behind it.
 */
import type { Room } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-providers/fake-openai.js';
import { FakeScreen, renderSlide, wordOverlap } from '../support/media.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';

const DESCRIPTION = 'A slide titled Quarterly revenue review saying revenue grew twelve percent.';
let crew: Crew;
let fake: FakeOpenAI;
const rooms: Room[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI({ chatScript: DESCRIPTION });
  crew = await startCrew('vision-cloud', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    env: {
      CREW_VISION_PROVIDERS: 'openai,local',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_VISION_MODEL: 'gpt-4o-mini',
      CREW_VISION_MAX_AGE_MS: '3600000',
    },
  });
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
  await fake?.stop();
});

describe('vision agent on an OpenAI-compatible model', () => {
  it('describes a shared screen with the model, and falls back to local OCR when the model fails', async () => {
    await dispatchCrew(crew.target, 'vision-cloud-1', { agents: [AGENT_NAMES.vision] });
    const operator = await join(crew.target, 'vision-cloud-1', 'op', 'operator');
    const presenter = await join(crew.target, 'vision-cloud-1', 'presenter');
    rooms.push(operator, presenter);
    const events = collectCrewEvents(operator);
    await waitForAgent(operator, AGENT_NAMES.vision);
    const seen = () =>
      events.flatMap((e) => (e.event.type === 'vision.observation' ? [e.event.payload] : []));

    const screen = new FakeScreen(renderSlide(['Quarterly revenue review', 'Revenue grew twelve percent']));
    await screen.publish(presenter);
    const described = await waitFor(() => seen()[0], 'the model-described observation');
    expect(described.summary).toBe(DESCRIPTION);
    expect(described.fields.provider).toBe('openai');
    // the frame went to the model as an image
    const body = JSON.stringify(fake.lastChatRequest());
    expect(body).toContain('gpt-4o-mini');
    expect(body).toMatch(/data:image\/(jpeg|png);base64,/);

    // The model fails: the next change is read locally.
    fake.failNext(100, 500);
    screen.picture = renderSlide(['Hiring plan for spring', 'Three engineers and one designer']);
    const local = await waitFor(
      () => seen().find((o) => o.fields.provider === 'local'),
      'the local fallback observation',
    );
    expect(
      wordOverlap(
        (local.fields.ocr as { text: string }).text,
        'Hiring plan for spring Three engineers and one designer',
      ),
    ).toBeGreaterThanOrEqual(0.8);
    fake.failNext(0);
    await screen.stop();
  });
});
