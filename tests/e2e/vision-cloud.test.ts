/**
 * The vision agent on an OpenAI-compatible model (the real plugin against a local server that
 * speaks the chat-completions protocol), with the local analysers behind it.
 */
import { readFileSync } from 'node:fs';
import type { Room } from '@livekit/rtc-node';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { waitForAgent } from '../support/crew-room.js';
import { CHAT_FAULTS, type ChatFaults, startChatFaults } from '../support/fake-providers/chat-faults.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-providers/fake-openai.js';
import { FakeScreen, renderSlide, wordOverlap } from '../support/media.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { enterVisionRoom, reads } from '../support/vision-room.js';
import { waitFor } from '../support/wait.js';

const DESCRIPTION = 'A slide titled Quarterly revenue review saying revenue grew twelve percent.';
let crew: Crew;
let fake: FakeOpenAI;
/** Between the agent and the fake: passes requests through, or answers garbage when told. */
let faults: ChatFaults;
const rooms: Room[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI({ chatScript: DESCRIPTION });
  faults = await startChatFaults(fake.baseURL);
  crew = await startCrew('vision-cloud', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.vision],
    env: {
      CREW_VISION_PROVIDERS: 'openai,local',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: faults.baseURL,
      OPENAI_VISION_MODEL: 'gpt-4o-mini',
      CREW_VISION_MAX_AGE_MS: '3600000',
      CREW_VISION_CLOUD_TIMEOUT_MS: '4000', // how long a hanging model holds up a frame
    },
  });
});

afterAll(async () => {
  await Promise.all(rooms.map((r) => r.disconnect().catch(() => undefined)));
  await crew?.stop();
  await faults?.stop();
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

  it('takes garbage from the model (bad JSON, HTML, cut or empty streams, wrong shapes, no answer) in its stride', async () => {
    const { operator, presenter, seen, next, sameAgent } = await enterVisionRoom(
      crew,
      'vision-cloud-garbage',
    );
    rooms.push(operator, presenter);
    const screen = new FakeScreen(renderSlide(['Opening slide']));
    const sid = (await screen.publish(presenter)).sid!;
    await next(sid, 0, 'the first observation');
    const words = ['budget', 'hiring', 'roadmap', 'risks', 'travel', 'pricing', 'security'];
    for (const [i, fault] of CHAT_FAULTS.entries()) {
      // The model answers this frame with garbage: it is read locally instead.
      const slide = [`Fault case number ${i + 1}`, `Topic ${words[i]}`];
      faults.breakNext(1, fault);
      screen.picture = renderSlide(slide);
      const bad = await next(sid, seen(sid).length, `the frame the model answered with ${fault}`);
      if (fault === 'no-done') {
        // A stream that ends cleanly but early looks, through the plugin, like a short answer:
        // it is taken as the description (nothing tells it apart), or read locally.
        expect(bad.fields.provider === 'openai' || reads(slide)(bad)).toBe(true);
      } else {
        expect({ fault, provider: bad.fields.provider }).toEqual({ fault, provider: 'local' });
        expect(reads(slide)(bad)).toBe(true);
      }
      // The next frame goes to the model again, which now answers properly.
      const description = `A slide about ${words[i]}, shown after a ${fault} answer.`;
      fake.setChatScript(description);
      screen.picture = renderSlide([`After fault case ${i + 1}`, `More on ${words[i]}`]);
      const good = await next(sid, seen(sid).length, `the model's answer after ${fault}`);
      expect(good).toMatchObject({ summary: description, fields: { provider: 'openai' } });
    }
    expect(faults.faultsServed()).toBe(CHAT_FAULTS.length);

    // An answer far too long, in multi-byte text: cut to fit one event, never dropped.
    const long = `${'説明文'.repeat(4000)} end`;
    fake.setChatScript(long);
    screen.picture = renderSlide(['A long answer follows']);
    const cut = await next(sid, seen(sid).length, 'the observation of the long answer');
    expect(cut.fields).toMatchObject({ provider: 'openai', truncated: true });
    expect(long.startsWith(cut.fields.description as string)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThan(14 * 1024);

    // Every failure was logged with its reason, and the agent's job never died.
    const log = readFileSync(`${crew.artifacts}/crew-vision.log`, 'utf8');
    expect(log.match(/cloud vision failed; analysing locally/g)?.length ?? 0).toBeGreaterThanOrEqual(
      CHAT_FAULTS.length - 1,
    );
    expect(sameAgent()).toBe(true);
    fake.setChatScript(DESCRIPTION);
    await screen.stop();
  });
});
