#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
/**
 * roomcrew: run the crew locally, start its workers against any LiveKit server, dispatch it into
 * rooms, mint tokens, and show what is in a room.
 */
import { parseArgs } from 'node:util';
import { consoleServerOptions, readConsoleEnv, startConsoleServer } from '@roomcrew/console';
import { DEMO_CONFIG, type LiveKitServer, REPO_ROOT, startLiveKitServer } from '@roomcrew/infra';
import {
  ConfigError,
  CREW_MEMBERS,
  type CrewMember,
  DATA_ENV,
  LIVEKIT_ENV,
  MissingBinaryError,
  readConfig,
  readTranscript,
  transcriptPath,
} from '@roomcrew/shared';
import { auditCommand } from './audit-command.js';
import { consoleCrewControl } from './console-control.js';
import { dispatchCrew, mintToken, roomStatus, type ServerTarget, setOperator } from './control-plane.js';
import { startCrewWorkers } from './crew-workers.js';

const USAGE = `roomcrew — AI agents in LiveKit rooms

usage:
  roomcrew up [--room R] [--identity I]      start a local LiveKit server (livekit.yaml) and the
                                             crew's workers, dispatch the crew, print how to join
  roomcrew workers                           start the crew's workers against LIVEKIT_URL
  roomcrew console                           serve the web console (page + token API) for LIVEKIT_URL
  roomcrew dispatch --room R [--agents a,b] [--language L] [--watch p,q]
                                             dispatch the crew into room R (idempotent)
  roomcrew token --room R --identity I [--name N] [--operator] [--ttl 15m]
  roomcrew operator grant|revoke --room R --identity I
                                             make a participant in the call an operator, or stop
                                             it being one (server side; honoured at once)
  roomcrew status --room R                   participants, agents, tracks and dispatches (JSON)
  roomcrew transcript --room R [--json]      the room's session transcript (while it lives and after)
  roomcrew audit --room R [--json]           the room's audit trail (tool calls, escalations, decisions),
                                             checked with CREW_AUDIT_KEY: exit 3, naming each problem,
                                             if it is not intact

The server commands read LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET; transcript and audit read
CREW_DATA_DIR (default .data); console reads CONSOLE_PORT, CREW_OPERATOR_PASSCODE and the other
CONSOLE_* variables (README, Configuration).`;

class UsageError extends Error {}

function target(): ServerTarget {
  const c = readConfig(LIVEKIT_ENV);
  return { url: c.LIVEKIT_URL, apiKey: c.LIVEKIT_API_KEY, apiSecret: c.LIVEKIT_API_SECRET };
}

function parseAgents(list: string | undefined): CrewMember[] | undefined {
  if (!list) return undefined;
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(CREW_MEMBERS as readonly string[]).includes(n));
  if (bad.length) {
    throw new UsageError(`unknown agent(s) ${bad.join(', ')}; the crew has: ${CREW_MEMBERS.join(', ')}`);
  }
  return names as CrewMember[];
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function printLine(role: string, line: string): void {
  process.stdout.write(`[${role}] ${line}\n`);
}

async function workers(): Promise<void> {
  const t = target();
  const crew = startCrewWorkers({ env: {}, onLine: printLine });
  await crew.ready;
  process.stdout.write(`roomcrew: all workers registered with ${t.url}; Ctrl+C to stop\n`);
  await waitForSignal();
  await crew.stop();
}

/** The web console for this server; `up` makes a passcode when none is configured. */
async function serveConsole(t: ServerTarget, room: string, passcode: string | undefined) {
  return startConsoleServer({
    livekit: t,
    control: consoleCrewControl(t),
    ...consoleServerOptions(readConsoleEnv()),
    defaultRoom: room,
    ...(passcode ? { operatorPasscode: passcode } : {}),
  });
}

async function consoleCommand(room: string): Promise<void> {
  const { CREW_OPERATOR_PASSCODE } = readConsoleEnv();
  const web = await serveConsole(target(), room, CREW_OPERATOR_PASSCODE);
  process.stdout.write(
    `roomcrew console: ${web.url}/?room=${encodeURIComponent(room)}` +
      `${CREW_OPERATOR_PASSCODE ? '' : ' (operator sign-in disabled: CREW_OPERATOR_PASSCODE is not set)'}; Ctrl+C to stop\n`,
  );
  await waitForSignal();
  await web.close();
}

async function up(room: string, identity: string): Promise<void> {
  let server: LiveKitServer | undefined;
  try {
    server = await startLiveKitServer({ configFile: DEMO_CONFIG });
  } catch (e) {
    throw new Error(`could not start the local LiveKit server: ${(e as Error).message}`);
  }
  const t: ServerTarget = { url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret };
  const env = {
    LIVEKIT_URL: t.url,
    LIVEKIT_API_KEY: t.apiKey,
    LIVEKIT_API_SECRET: t.apiSecret,
    // Every worker shares this machine: report load by job count (see README, Configuration).
    CREW_MAX_JOBS: process.env.CREW_MAX_JOBS ?? '20',
    CREW_DATA_DIR: process.env.CREW_DATA_DIR ?? `${REPO_ROOT}.data`,
  };
  const crew = startCrewWorkers({ env, onLine: printLine });
  const passcode = readConsoleEnv().CREW_OPERATOR_PASSCODE ?? randomBytes(6).toString('hex');
  let web: Awaited<ReturnType<typeof serveConsole>> | undefined;
  const stopAll = async () => {
    await web?.close();
    await crew.stop();
    await server?.stop();
  };
  try {
    await crew.ready;
    web = await serveConsole(t, room, passcode);
    const d = await dispatchCrew(t, room);
    const token = await mintToken(t, { room, identity, ttl: '12h' });
    const opToken = await mintToken(t, {
      room,
      identity: `${identity}-operator`,
      operator: true,
      ttl: '12h',
    });
    process.stdout.write(`
roomcrew is up: LiveKit at ${t.url}, crew dispatched into room "${room}" (${d.dispatchId}).

Open the console in a browser (camera, microphone, captions, the crew's feed):
  ${web.url}/?room=${encodeURIComponent(room)}
  operator passcode: ${passcode}   (tick "Join as operator" to decide the crew's escalations)

Or join with your microphone and see captions:
  lk room join --url ${t.url} --api-key ${t.apiKey} --api-secret ${t.apiSecret} \\
     --identity ${identity} --publish <speech.wav|ogg> ${room}
Or with any LiveKit client (e.g. https://meet.livekit.io/custom) and this token (12 h):
  url:   ${t.url}
  token: ${token}
Operator token (crew.role=operator): ${opToken}

Watch the room:  LIVEKIT_URL=${t.url} LIVEKIT_API_KEY=${t.apiKey} LIVEKIT_API_SECRET=${t.apiSecret} node cli/dist/main.js status --room ${room}
Ctrl+C stops the crew and the server.
`);
    await waitForSignal();
  } finally {
    await stopAll();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      room: { type: 'string' },
      identity: { type: 'string' },
      name: { type: 'string' },
      agents: { type: 'string' },
      language: { type: 'string' },
      watch: { type: 'string' },
      operator: { type: 'boolean', default: false },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (command !== 'operator' && positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`);
  }
  switch (command) {
    case 'operator': {
      const [action, ...extra] = positionals;
      if ((action !== 'grant' && action !== 'revoke') || extra.length > 0) {
        throw new UsageError('operator takes one action: grant or revoke');
      }
      const room = need(values.room, '--room');
      const identity = need(values.identity, '--identity');
      await setOperator(target(), room, identity, action === 'grant');
      process.stdout.write(`${JSON.stringify({ room, identity, operator: action === 'grant' })}\n`);
      return;
    }
    case 'up':
      return up(values.room ?? 'roomcrew-demo', values.identity ?? 'you');
    case 'workers':
      return workers();
    case 'console':
      return consoleCommand(values.room ?? 'roomcrew-demo');
    case 'dispatch': {
      const room = need(values.room, '--room');
      const r = await dispatchCrew(target(), room, {
        agents: parseAgents(values.agents),
        ...(values.language ? { language: values.language } : {}),
        ...(values.watch
          ? {
              watch: values.watch
                .split(',')
                .map((w) => w.trim())
                .filter(Boolean),
            }
          : {}),
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    case 'token': {
      const room = need(values.room, '--room');
      const identity = need(values.identity, '--identity');
      const tok = await mintToken(target(), {
        room,
        identity,
        ...(values.name ? { name: values.name } : {}),
        ...(values.ttl ? { ttl: values.ttl } : {}),
        operator: values.operator,
      });
      process.stdout.write(`${tok}\n`);
      return;
    }
    case 'status':
      process.stdout.write(
        `${JSON.stringify(await roomStatus(target(), need(values.room, '--room')), null, 2)}\n`,
      );
      return;
    case 'transcript': {
      const room = need(values.room, '--room');
      const { CREW_DATA_DIR } = readConfig(DATA_ENV);
      const path = transcriptPath(resolve(CREW_DATA_DIR), room);
      const segments = await readTranscript(path);
      if (segments.length === 0) throw new Error(`no transcript for room "${room}" at ${path}`);
      for (const s of segments) {
        process.stdout.write(
          values.json
            ? `${JSON.stringify(s)}\n`
            : `${new Date(s.ts).toISOString().slice(11, 19)}  ${s.speaker.name}: ${s.text}\n`,
        );
      }
      return;
    }
    case 'audit':
      process.exitCode = await auditCommand(need(values.room, '--room'), values.json);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

function isUnreachable(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } }).cause?.code ?? '';
  return (
    (e instanceof TypeError && e.message === 'fetch failed') ||
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET'].includes(code)
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    const parseError = e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError) process.stderr.write(`roomcrew: ${e.message}\n\n${USAGE}\n`);
    else if (e instanceof ConfigError || e instanceof MissingBinaryError)
      process.stderr.write(`${e.message}\n`);
    else if (parseError) {
      process.stderr.write(`roomcrew: ${e.message}\n\n${USAGE}\n`);
    } else if (isUnreachable(e)) {
      process.stderr.write(
        `roomcrew: cannot reach the LiveKit server at ${process.env.LIVEKIT_URL}: is it running, and is LIVEKIT_URL right? (${causeOf(e)})\n`,
      );
    } else process.stderr.write(`roomcrew: ${(e as Error).message ?? e}\n`);
    process.exit(e instanceof UsageError || e instanceof ConfigError || parseError ? 2 : 1);
  },
);
