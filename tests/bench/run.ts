/**
 * Runs the benchmarks against a real server and real workers and prints one JSON document.
 *   node tests/dist/bench/run.js [--only dispatch|routing|transcription|vision] [--iterations N] [--events N]
 *     [--utterances N] [--speakers 1,2,4,6] [--seconds S]
 *   --only vision-capacity [--cameras 1,2,4,8,12,16] [--step-seconds 30] [--idle]
 *   --only vision-memory [--minutes 10] [--memory-cameras 3]
 *   --only escalations [--iterations N]   (escalation → operator, decision → tool, reasoner latency)
 *   --only console [--joins 10] [--utterances N] [--escalations 10]   (the web console in chromium)
 * (vision-capacity and vision-memory run only when asked for: they take minutes)
 */
import { parseArgs } from 'node:util';
import { startCrew } from '../support/crew-harness.js';
import { benchConsole } from './console-bench.js';
import { benchDispatchJoin } from './dispatch-join.js';
import { benchEscalations } from './escalation-bench.js';
import { benchEventRouting } from './event-routing.js';
import { benchTranscription } from './transcription-bench.js';
import { benchVision } from './vision-bench.js';
import { benchVisionCapacity, benchVisionMemory } from './vision-capacity.js';
import { benchChangeDetector } from './vision-change.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    iterations: { type: 'string', default: '15' },
    events: { type: 'string', default: '1000' },
    utterances: { type: 'string', default: '10' },
    speakers: { type: 'string', default: '1,2,4,6' },
    seconds: { type: 'string', default: '30' },
    changes: { type: 'string', default: '10' },
    cameras: { type: 'string', default: '1,2,4,8,12,16' },
    'step-seconds': { type: 'string', default: '30' },
    idle: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '10' },
    'memory-cameras': { type: 'string', default: '3' },
    joins: { type: 'string', default: '10' },
    escalations: { type: 'string', default: '10' },
  },
});

const results: unknown[] = [];
if (!values.only || values.only === 'vision') {
  results.push(await benchChangeDetector());
  results.push(...(await benchVision({ frames: 20, changes: Number(values.changes) })));
}
if (values.only === 'vision-capacity') {
  results.push(
    await benchVisionCapacity({
      cameras: values.cameras.split(',').map(Number),
      seconds: Number(values['step-seconds']),
      speaking: !values.idle,
    }),
  );
}
if (values.only === 'vision-memory') {
  results.push(
    await benchVisionMemory({ minutes: Number(values.minutes), cameras: Number(values['memory-cameras']) }),
  );
}
if (!values.only || values.only === 'transcription') {
  results.push(
    ...(await benchTranscription({
      utterances: Number(values.utterances),
      capacity: values.speakers.split(',').map(Number),
      seconds: Number(values.seconds),
    })),
  );
}
if (!values.only || values.only === 'escalations') {
  results.push(await benchEscalations(Number(values.iterations)));
}
if (!values.only || values.only === 'console') {
  results.push(
    ...(await benchConsole({
      joins: Number(values.joins),
      utterances: Number(values.utterances),
      escalations: Number(values.escalations),
    })),
  );
}
const needCrew = !values.only || values.only === 'dispatch' || values.only === 'routing';
const crew = needCrew ? await startCrew('bench', { env: { LOG_LEVEL: 'info' } }) : undefined;
try {
  if (crew && (!values.only || values.only === 'dispatch')) {
    results.push(await benchDispatchJoin(crew, Number(values.iterations)));
  }
  if (crew && (!values.only || values.only === 'routing')) {
    results.push(await benchEventRouting(crew, Number(values.events)));
  }
} finally {
  await crew?.stop();
}
console.log(JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length }, results }, null, 2));
process.exit(0);
