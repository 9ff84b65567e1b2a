/**
 * Runs the benchmarks against a real server and real workers and prints one JSON document.
 *   node tests/dist/bench/run.js [--only dispatch|routing] [--iterations N] [--events N]
 */
import { parseArgs } from 'node:util';
import { startCrew } from '../support/crew-harness.js';
import { benchDispatchJoin } from './dispatch-join.js';
import { benchEventRouting } from './event-routing.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    iterations: { type: 'string', default: '15' },
    events: { type: 'string', default: '1000' },
  },
});

const crew = await startCrew('bench', { env: { LOG_LEVEL: 'info' } });
const results: unknown[] = [];
try {
  if (!values.only || values.only === 'dispatch') {
    results.push(await benchDispatchJoin(crew, Number(values.iterations)));
  }
  if (!values.only || values.only === 'routing') {
    results.push(await benchEventRouting(crew, Number(values.events)));
  }
} finally {
  await crew.stop();
}
console.log(JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length }, results }, null, 2));
process.exit(0);
