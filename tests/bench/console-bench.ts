/**
 * The console in a real browser against a real server and crew: page load → joined; end of
 * speech on the page's microphone → its final caption shown in the page; escalation raised by
 * the reasoner → its card visible on the operator's page.
 */
import { appendFileSync } from 'node:fs';
import { dispatchCrew } from '@roomcrew/cli';
import { AGENT_NAMES } from '@roomcrew/shared';
import {
  joinFromPage,
  launchBrowser,
  openPage,
  readProbes,
  silenceWav,
  speechWav,
  startCrewConsole,
} from '../support/browser.js';
import { chat, decide, waitForEvent } from '../support/crew-chat.js';
import { startCrew } from '../support/crew-harness.js';
import { collectCrewEvents, join } from '../support/room-client.js';
import { waitFor } from '../support/wait.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';
import { summarize } from './stats.js';

const PASSCODE = 'bench-console-passcode';
const SPEECH = 'the weather today is sunny and warm';
const ESCALATE = 'Please send the summary to the team chat';

export async function benchConsole(opts: { joins: number; utterances: number; escalations: number }) {
  const hook = await startWebhookReceiver();
  const crew = await startCrew('bench-console', { env: { LOG_LEVEL: 'info', CREW_WEBHOOK_URL: hook.url } });
  const web = await startCrewConsole(crew, { passcode: PASSCODE });
  const log = `${crew.artifacts}/browser.log`;
  const browsers = [
    await launchBrowser(silenceWav(crew.artifacts)),
    await launchBrowser(speechWav(crew.artifacts, 'weather', SPEECH, 2, 5)),
  ];
  const [silent, speaking] = browsers as [(typeof browsers)[0], (typeof browsers)[0]];
  try {
    // Page load → joined: a fresh page (new context, cold cache) each time.
    const room = 'bench-console';
    await dispatchCrew(crew.target, room);
    const lobby: number[] = [];
    const connect: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < opts.joins; i++) {
      const page = await openPage(silent, `${web.url}/?room=${room}`, log);
      await joinFromPage(page, { name: `Bench ${i}`, room });
      const p = await readProbes(page);
      lobby.push(p.lobbyReady);
      connect.push(p.joined - p.joinClicked);
      total.push(p.joined);
      await page.context().close();
    }

    // End of speech → final caption shown: the page's microphone loops one sentence.
    const speaker = await openPage(speaking, `${web.url}/?room=${room}`, log);
    const { identity } = await joinFromPage(speaker, { name: 'Bench Speaker', room });
    const shown = await waitFor(
      async () => {
        const p = await readProbes(speaker);
        const mine = Object.values(p.captions).filter((c) => c.speaker === identity);
        return mine.length >= opts.utterances ? p : undefined;
      },
      `${opts.utterances} captions in the page`,
      30_000 + opts.utterances * 30_000,
      500,
    );
    const captionLatency: number[] = [];
    for (const { speaker, at } of Object.values(shown.captions)) {
      if (speaker !== identity) continue;
      const end = shown.speechEnds.filter((e) => e < at).at(-1);
      if (end !== undefined && at - end < 10_000) captionLatency.push(at - end);
    }
    await speaker.context().close();

    // Escalation raised → card visible on the operator's page (the request's own timestamp, set
    // by the reasoner, against the moment the card appears; one clock, one machine). A person
    // asks in the room chat each time, so recognition errors do not enter this figure.
    const escRoom = 'bench-console-escalations';
    await dispatchCrew(crew.target, escRoom);
    const op = await openPage(silent, `${web.url}/?room=${escRoom}`, log);
    await joinFromPage(op, { name: 'Bench Operator', room: escRoom, passcode: PASSCODE });
    const watcher = await join(crew.target, escRoom, 'bench-op', 'operator');
    const events = collectCrewEvents(watcher);
    const person = await join(crew.target, escRoom, 'bench-person', 'participant', 'Bench Person');
    await op.locator(`[data-agent="${AGENT_NAMES.reasoner}"]`).waitFor({ timeout: 120_000 });
    const cardLatency: number[] = [];
    for (let i = 0; i < opts.escalations; i++) {
      const seen = new Set(
        events.filter((e) => e.event.type === 'escalation.request').map((e) => e.event.id),
      );
      await chat(person, ESCALATE);
      const request = await waitForEvent(events, 'escalation.request', (e) => !seen.has(e.id), 60_000);
      const id = request.payload.escalationId;
      const card = await waitFor(async () => (await readProbes(op)).cards[id], `card ${id}`, 30_000, 20);
      cardLatency.push(card - request.ts);
      await decide(watcher, { escalationId: id, decision: 'reject', note: 'benchmark' });
      await op.locator(`[data-escalation="${id}"]`).waitFor({ state: 'detached' });
    }
    await Promise.all([watcher.disconnect(), person.disconnect()]);
    appendFileSync(log, `webhook posts during the benchmark: ${hook.received.length}\n`);
    return [
      {
        benchmark: 'console: page load → joined (ms, fresh page each time)',
        navigationToLobby: summarize(lobby),
        joinClickToConnected: summarize(connect),
        navigationToConnected: summarize(total),
      },
      {
        benchmark: 'console: end of speech on the page microphone → final caption shown in the page (ms)',
        ...summarize(captionLatency),
      },
      {
        benchmark: 'console: escalation raised by the reasoner → card visible on the operator page (ms)',
        ...summarize(cardLatency),
      },
    ];
  } finally {
    await Promise.all(browsers.map((b) => b.close()));
    await web.close();
    await crew.stop();
    await hook.stop();
  }
}
