/**
 * Transcriber benchmarks: word error rate of the local engine on real recorded speech (Debian
 * pocketsphinx-testdata) and on generated speech; end of speech → final caption through a real
 * room, local engine and (fake) cloud provider; CPU, memory and latency as simultaneous speakers
 * grow, to find how many one worker carries on this machine within the 1.2 s budget.
 */
import { readFileSync } from 'node:fs';
import { initializeLogger, type stt } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { apiClients } from '@roomcrew/cli';
import { AGENT_NAMES, LK_ATTR_TRANSCRIPTION_FINAL } from '@roomcrew/shared';
import { PocketsphinxSTT, WhisperSTT } from '@roomcrew/transcription';
import { type Crew, startCrew } from '../support/crew-harness.js';
import { enterCrewRoom } from '../support/crew-room.js';
import { startFakeDeepgram } from '../support/fake-providers/fake-deepgram.js';
import { FakeMicrophone, readAudio16k, SAMPLE_RATE, synthesize } from '../support/media.js';
import { cpuSecondsBetween, treeUsage } from '../support/process-tree.js';
import { join } from '../support/room-client.js';
import { sleep, waitFor } from '../support/wait.js';
import { summarize } from './stats.js';
import { corpusWer } from './wer.js';

const DATA = '/usr/share/pocketsphinx/test/data';

function recordedCorpus(): { audio: Int16Array; ref: string; name: string }[] {
  const out: { audio: Int16Array; ref: string; name: string }[] = [];
  for (const line of readFileSync(`${DATA}/librivox/transcription`, 'utf8').split('\n').filter(Boolean)) {
    const id = /\(([^)]+)\)\s*$/.exec(line)?.[1];
    if (id)
      out.push({ name: `librivox/${id}`, ref: line, audio: readAudio16k(`${DATA}/librivox/${id}.wav`) });
  }
  for (const line of readFileSync(`${DATA}/cards/cards.transcription`, 'utf8').split('\n').filter(Boolean)) {
    const id = /\((\d+)\)\s*$/.exec(line)?.[1];
    if (id) out.push({ name: `cards/${id}`, ref: line, audio: readAudio16k(`${DATA}/cards/${id}.wav`) });
  }
  out.push({ name: 'goforward', ref: 'go forward ten meters', audio: readAudio16k(`${DATA}/goforward.raw`) });
  return out;
}

const GENERATED = [
  ['the weather today is sunny and warm', 'slt'],
  ['please send the report to the marketing team tomorrow morning', 'slt'],
  ['one two three four five six seven eight nine ten', 'rms'],
  ['good morning everyone welcome to the meeting', 'kal16'],
  ['we need to buy more coffee for the office', 'awb'],
  ['can you share your screen so we can see the numbers', 'slt'],
  ['let us schedule the next review for friday afternoon', 'rms'],
  ['i will send the contract to the customer after lunch', 'kal16'],
];

async function werBench(engine: stt.STT, label: string) {
  const run = async (items: { audio: Int16Array; ref: string }[]) => {
    const pairs: { ref: string; hyp: string }[] = [];
    let audioSeconds = 0;
    const t0 = performance.now();
    for (const it of items) {
      const ev = await engine.recognize(new AudioFrame(it.audio, SAMPLE_RATE, 1, it.audio.length));
      pairs.push({ ref: it.ref, hyp: ev.alternatives?.[0]?.text ?? '' });
      audioSeconds += it.audio.length / SAMPLE_RATE;
    }
    const rtf = (performance.now() - t0) / 1000 / audioSeconds;
    return {
      utterances: items.length,
      audioSeconds: Math.round(audioSeconds),
      wer: corpusWer(pairs),
      realTimeFactor: Math.round(rtf * 100) / 100,
    };
  };
  return {
    benchmark: `local engine (${label}) word error rate`,
    recordedSpeech: await run(recordedCorpus()),
    generatedSpeech: await run(
      GENERATED.map(([ref, voice]) => ({ ref: ref as string, audio: synthesize(ref as string, voice) })),
    ),
  };
}

/** Speech end → final caption seen by another participant, over `n` utterances of one speaker. */
async function latencyBench(crew: Crew, room: string, n: number) {
  const { operator, captions } = await enterCrewRoom(crew, room, { operator: 'bench-op' });
  const speaker = await join(crew.target, room, 'bench-speaker');
  const mic = new FakeMicrophone();
  await mic.publish(speaker);
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const phrase = GENERATED[i % GENERATED.length]!;
    const finalsBefore = captions.filter((c) => c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true').length;
    await mic.say(synthesize(phrase[0] as string, phrase[1]));
    // The last samples are still queued in the audio source: speech ends when they play out.
    const speechEnd = Date.now() + mic.source.queuedDuration;
    const c = await waitFor(
      () => captions.filter((x) => x.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true')[finalsBefore],
      'final caption',
      30_000,
      10,
    );
    samples.push(c.at - speechEnd);
    await sleep(1500);
  }
  await mic.stop();
  await Promise.all([operator.disconnect(), speaker.disconnect()]);
  await apiClients(crew.target).rooms.deleteRoom(room);
  return summarize(samples);
}

/** `speakers` people talking at once (each utterance then a pause), for `seconds`. */
async function capacityStep(crew: Crew, speakers: number, seconds: number) {
  const room = `bench-capacity-${speakers}`;
  const { operator, captions } = await enterCrewRoom(crew, room, { operator: 'cap-op' });
  const worker = crew.workers.processes().find((p) => p.name === AGENT_NAMES.transcriber)!.child.pid!;
  const people = await Promise.all(
    Array.from({ length: speakers }, async (_, i) => {
      const r = await join(crew.target, room, `cap-${i}`);
      const mic = new FakeMicrophone();
      await mic.publish(r);
      return { r, mic, id: `cap-${i}` };
    }),
  );
  await sleep(2000);
  const speech = GENERATED.map(([t, v]) => synthesize(t as string, v));
  const latencies: number[] = [];
  const c0 = treeUsage(worker);
  const t0 = Date.now();
  if (speakers === 0) await sleep(seconds * 1000); // the idle baseline
  await Promise.all(
    people.map(async ({ mic, id }, k) => {
      await sleep(k * 300); // not all in lockstep
      for (let i = k; Date.now() - t0 < seconds * 1000; i++) {
        const before = captions.filter(
          (c) => c.sender === id && c.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true',
        ).length;
        await mic.say(speech[i % speech.length]!);
        const end = Date.now() + mic.source.queuedDuration;
        const c = await waitFor(
          () =>
            captions.filter((x) => x.sender === id && x.attributes[LK_ATTR_TRANSCRIPTION_FINAL] === 'true')[
              before
            ],
          'caption',
          30_000,
          10,
        ).catch(() => undefined);
        if (c) latencies.push(c.at - end);
        await sleep(1000);
      }
    }),
  );
  const elapsed = (Date.now() - t0) / 1000;
  const c1 = treeUsage(worker);
  for (const p of people) {
    await p.mic.stop();
    await p.r.disconnect();
  }
  await operator.disconnect();
  await apiClients(crew.target).rooms.deleteRoom(room); // its job ends before the next step
  await sleep(3000);
  return {
    speakers,
    latencyMs: summarize(latencies),
    cpuCoresUsed: Math.round((cpuSecondsBetween(c0, c1) / elapsed) * 100) / 100,
    transcriberWorkerTreeRssMb: Math.round(c1.rssKb / 1024),
    recognizerProcesses: c1.procs.filter((p) => p.comm.startsWith('pocketsphinx')).length,
  };
}

export async function benchTranscription(opts: { utterances: number; capacity: number[]; seconds: number }) {
  initializeLogger({ pretty: false, level: 'warn' });
  const whisper = new WhisperSTT();
  const results: unknown[] = [
    await werBench(new PocketsphinxSTT(), 'pocketsphinx en-us'),
    await werBench(whisper, 'whisper tiny.en'),
  ];
  await whisper.close();

  const local = await startCrew('bench-transcription', { env: { LOG_LEVEL: 'info' } });
  try {
    results.push({
      benchmark: 'end of speech → final caption, local engine (ms)',
      ...(await latencyBench(local, 'bench-latency-local', opts.utterances)),
    });
    const steps = [];
    for (const n of opts.capacity) steps.push(await capacityStep(local, n, opts.seconds));
    results.push({
      benchmark: 'simultaneous speakers on one transcriber worker (local engine)',
      budgetMs: 1200,
      steps,
    });
  } finally {
    await local.stop();
  }

  const dg = await startFakeDeepgram({
    script: ['scripted', 'words', 'from', 'the', 'fake', 'provider'],
    idleFinalMs: 0,
  });
  const cloud = await startCrew('bench-transcription-cloud', {
    env: {
      LOG_LEVEL: 'info',
      CREW_STT_PROVIDERS: 'deepgram,local',
      DEEPGRAM_API_KEY: 'bench',
      DEEPGRAM_BASE_URL: dg.url,
    },
  });
  try {
    results.push({
      benchmark:
        'end of speech → final caption, Deepgram plugin against a local fake that answers at once (ms)',
      note: 'the fake finalizes immediately, so this is our pipeline overhead plus VAD end-of-speech detection (550 ms silence)',
      ...(await latencyBench(cloud, 'bench-latency-cloud', opts.utterances)),
    });
  } finally {
    await cloud.stop();
    await dg.stop();
  }
  return results;
}
