/**
 * A real browser for console tests: Debian's chromium driven by playwright-core (never a
 * downloaded browser), with a fake camera and a microphone that plays a WAV file made with flite.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleCrewControl } from '@roomcrew/cli';
import { type ConsoleServer, startConsoleServer } from '@roomcrew/console';
import { createLogger } from '@roomcrew/shared';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Crew } from './crew-harness.js';
import { waitFor } from './wait.js';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/**
 * A WAV the fake microphone plays (and loops): `leadSeconds` of silence, the sentence spoken by
 * flite, then `tailSeconds` of silence. 48 kHz mono 16-bit, as Chromium's fake capture expects.
 */
export function speechWav(dir: string, name: string, text: string, leadSeconds = 3, tailSeconds = 8): string {
  const raw = join(dir, `${name}.flite.wav`);
  const out = join(dir, `${name}.wav`);
  execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', raw]);
  execFileSync('sox', [
    raw,
    '-r',
    '48000',
    '-c',
    '1',
    '-b',
    '16',
    out,
    'pad',
    String(leadSeconds),
    String(tailSeconds),
  ]);
  return out;
}

/** A WAV of silence, for pages that must not say anything (Chromium's default fake mic beeps). */
export function silenceWav(dir: string, seconds = 10): string {
  const out = join(dir, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', out, 'trim', '0', String(seconds)]);
  return out;
}

/** The console server for a test crew, on a free port, logging errors only. */
export async function startCrewConsole(crew: Crew, opts: { passcode?: string; rateLimit?: number } = {}) {
  const web = await startConsoleServer({
    livekit: crew.target,
    control: consoleCrewControl(crew.target),
    port: 0,
    rateLimit: opts.rateLimit ?? 600,
    ...(opts.passcode ? { operatorPasscode: opts.passcode } : {}),
    log: createLogger({ agent: 'console' }, 'error'),
  });
  if (!web.pageBuilt) {
    await web.close();
    throw new Error('the console page is not built: run `pnpm run build` (tsc -b and the Vite build) first');
  }
  return web;
}

export type { ConsoleServer };

export async function launchBrowser(microphoneWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${microphoneWav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * Measurement probes, installed before the page's own scripts (test code, not the product's):
 * when the microphone's speech ends (RMS of the captured audio falling to silence for 300 ms),
 * and when final captions and escalation cards first appear in the page.
 */
const PROBES = `(() => {
  const t = (window.__rcProbe = { speechEnds: [], captions: {}, interims: {}, cards: {}, lobbyReady: 0, joinClicked: 0 });
  document.addEventListener('submit', () => { t.joinClicked = performance.now(); }, true);
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const stream = await gum(c);
    const track = stream.getAudioTracks()[0];
    if (track && !t.ctx) {
      const ctx = (t.ctx = new AudioContext());
      const src = ctx.createMediaStreamSource(new MediaStream([track.clone()]));
      const an = ctx.createAnalyser();
      an.fftSize = 1024;
      src.connect(an);
      const buf = new Float32Array(an.fftSize);
      let speaking = false, quietSince = 0;
      setInterval(() => {
        an.getFloatTimeDomainData(buf);
        let s = 0; for (const v of buf) s += v * v;
        const loud = Math.sqrt(s / buf.length) > 0.01, now = performance.now();
        if (loud) { speaking = true; quietSince = 0; }
        else if (speaking) {
          if (!quietSince) quietSince = now;
          else if (now - quietSince > 300) { t.speechEnds.push(quietSince); speaking = false; }
        }
      }, 10);
    }
    return stream;
  };
  new MutationObserver(() => {
    if (!t.lobbyReady && document.querySelector('form button[type=submit]')) t.lobbyReady = performance.now();
    for (const el of document.querySelectorAll('[data-caption-final="false"]')) {
      const seen = (t.interims[el.getAttribute('data-segment')] ??= []);
      const text = el.querySelector('.rc-caption-text')?.textContent ?? '';
      if (seen.at(-1) !== text) seen.push(text);
    }
    for (const el of document.querySelectorAll('[data-caption-final="true"]')) {
      const k = el.getAttribute('data-segment');
      if (!(k in t.captions)) t.captions[k] = { speaker: el.getAttribute('data-speaker'), at: performance.now() };
    }
    for (const el of document.querySelectorAll('[data-escalation]')) {
      const k = el.getAttribute('data-escalation');
      if (!(k in t.cards)) t.cards[k] = Date.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})();`;

export interface ProbeReadings {
  /** performance.now() of the lobby's Join button appearing, and of the click on it. */
  lobbyReady: number;
  joinClicked: number;
  /** performance.now() of each end of speech on the microphone. */
  speechEnds: number[];
  /** Each final caption first shown (speaker identity, performance.now()), by segment id. */
  captions: Record<string, { speaker: string; at: number }>;
  /** The texts an interim caption showed, in order, by segment id. */
  interims: Record<string, string[]>;
  /** Date.now() of each escalation card first shown, by escalation id. */
  cards: Record<string, number>;
  /** performance.now() of the room connection (the page's own `roomcrew:joined` mark). */
  joined: number;
}

export function readProbes(page: Page): Promise<ProbeReadings> {
  return page.evaluate(
    `(() => {
      const { speechEnds, captions, interims, cards, lobbyReady, joinClicked } = window.__rcProbe;
      const joined = performance.getEntriesByName('roomcrew:joined')[0]?.startTime ?? 0;
      return { speechEnds, captions, interims, cards, lobbyReady, joinClicked, joined };
    })()`,
  ) as Promise<ProbeReadings>;
}

/** A page with probes, whose console errors go to `logFile`. */
export async function openPage(browser: Browser, url: string, logFile: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(PROBES);
  page.on('console', (m) => appendFileSync(logFile, `[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => appendFileSync(logFile, `[pageerror] ${e.message}\n`));
  await page.goto(url);
  return page;
}

export interface JoinForm {
  name: string;
  room: string;
  passcode?: string;
}

/** Fills the lobby and joins; resolves when the page shows it is live in the room. */
export async function joinFromPage(page: Page, form: JoinForm): Promise<{ identity: string }> {
  await page.getByLabel('Your name').fill(form.name);
  await page.getByLabel('Room', { exact: true }).fill(form.room);
  if (form.passcode !== undefined) {
    await page.getByLabel('Join as operator').check();
    await page.getByLabel('Operator passcode').fill(form.passcode);
  }
  await page.getByRole('button', { name: /^Join/ }).click();
  await page.locator('.rc-status-connected').waitFor({ timeout: 120_000 });
  const identity = (await page.evaluate('window.roomcrew.room.localParticipant.identity')) as string;
  return { identity };
}

/** The page's room as the page sees it, through `window.roomcrew` (see console/web/src/Call.tsx). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Waits until the page's local participant publishes camera and microphone to the SFU. */
export async function waitForPublished(page: Page): Promise<void> {
  await waitFor(
    () =>
      page.evaluate(`(() => {
        const pubs = [...window.roomcrew.room.localParticipant.trackPublications.values()];
        return pubs.some((p) => p.source === 'camera' && p.track) && pubs.some((p) => p.source === 'microphone' && p.track);
      })()`) as Promise<boolean>,
    'the page to publish camera and microphone',
  );
}
