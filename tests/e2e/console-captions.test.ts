/**
 * Interim captions in the page: with a streaming recognizer (the real Deepgram plugin against a
 * local server speaking Deepgram's protocol) the page shows the growing interim text of a
 * segment and replaces it with the final text of the same `lk.segment_id`, one line per segment.
 */
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleServer,
  inPage,
  joinFromPage,
  launchBrowser,
  openPage,
  readProbes,
  speechWav,
  startCrewConsole,
} from '../support/browser.js';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { type FakeDeepgram, startFakeDeepgram } from '../support/fake-providers/fake-deepgram.js';
import { waitFor } from '../support/wait.js';

const SCRIPT = ['the', 'quarterly', 'numbers', 'look', 'strong'];
let crew: Crew;
let deepgram: FakeDeepgram;
let web: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  deepgram = await startFakeDeepgram({ script: SCRIPT, idleFinalMs: 0 });
  crew = await startCrew('console-captions', {
    roles: [AGENT_NAMES.orchestrator, AGENT_NAMES.transcriber],
    env: {
      CREW_STT_PROVIDERS: 'deepgram,local',
      DEEPGRAM_API_KEY: 'test-key',
      DEEPGRAM_BASE_URL: deepgram.url,
      CREW_STT_TIMEOUT_MS: '1500',
    },
  });
  web = await startCrewConsole(crew);
});

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await crew?.stop();
  await deepgram?.stop();
});

describe('console captions', () => {
  it('shows interim text growing and replaces it with the final text of the same segment', async () => {
    const room = 'console-interim';
    await dispatchCrew(crew.target, room, { agents: [AGENT_NAMES.transcriber] });
    browser = await launchBrowser(
      speechWav(crew.artifacts, 'speech', 'good morning everyone welcome to the meeting', 2, 30),
    );
    const page = await openPage(browser, `${web.url}/?room=${room}`, `${crew.artifacts}/browser.log`);
    const { identity } = await joinFromPage(page, { name: 'Ida Interim', room });

    const finalText = SCRIPT.join(' ');
    const probes = await waitFor(
      async () => {
        const p = await readProbes(page);
        const final = Object.entries(p.captions).find(([, c]) => c.speaker === identity);
        return final ? { p, segment: final[0] } : undefined;
      },
      'a final caption in the page',
      120_000,
    );
    const interims = probes.p.interims[probes.segment] ?? [];
    // Interim lines showed part of the sentence, growing, before the final replaced them.
    expect(interims.length).toBeGreaterThan(0);
    for (const text of interims) expect(finalText.startsWith(text)).toBe(true);
    expect(interims.at(-1)!.length).toBeGreaterThanOrEqual(interims[0]!.length);
    expect(interims).not.toContain(finalText); // the script is never revealed whole in an interim
    const lines = await inPage<{ final: string | null; text: string }[]>(
      page,
      `[...document.querySelectorAll('[data-segment="${probes.segment}"]')].map((el) => ({
        final: el.getAttribute('data-caption-final'),
        text: el.querySelector('.rc-caption-text').textContent,
      }))`,
    );
    expect(lines).toEqual([{ final: 'true', text: finalText }]);
  });
});
