/**
 * Bad configuration, missing binaries, a server that is down, bad command lines: each gives one
 * clear message naming the problem and a non-zero exit, and never a stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatchCrew, roomStatus } from '@roomcrew/cli';
import { LiveKitServerError, startLiveKitServer } from '@roomcrew/infra';
import { freePort, freePorts, MissingBinaryError } from '@roomcrew/shared';
import { describe, expect, it } from 'vitest';
import { runProgram } from '../support/run.js';

const LIVEKIT = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'k', LIVEKIT_API_SECRET: 's' };

describe('workers refuse bad configuration', () => {
  it('names every missing LiveKit variable and exits 2', async () => {
    const r = await runProgram('orchestrator', [], {});
    expect(r.code).toBe(2);
    for (const v of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'])
      expect(r.stderr).toContain(`${v} is not set`);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it('names a bad value and what is expected', async () => {
    const r = await runProgram('orchestrator', [], {
      ...LIVEKIT,
      LIVEKIT_URL: 'ftp://x',
      CREW_LOAD_THRESHOLD: 'lots',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LIVEKIT_URL="ftp://x" is invalid: expected the LiveKit server URL');
    expect(r.stderr).toContain('CREW_LOAD_THRESHOLD="lots" is invalid');
  });

  it('refuses an unknown default speech language', async () => {
    const r = await runProgram('transcriber', [], { ...LIVEKIT, CREW_STT_LANGUAGE: 'xx-YY' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CREW_STT_LANGUAGE="xx-YY" is invalid');
  });

  it('says which command installs a missing recognizer', async () => {
    const r = await runProgram('transcriber', [], {
      ...LIVEKIT,
      POCKETSPHINX_BIN: '/nonexistent/pocketsphinx_continuous',
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('apt-get install pocketsphinx pocketsphinx-en-us');
  });

  it('says how to get a missing Whisper model', async () => {
    const r = await runProgram('transcriber', [], {
      ...LIVEKIT,
      CREW_STT_PROVIDERS: 'whisper,local',
      WHISPER_MODEL: '/nonexistent/ggml-tiny.en.bin',
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('/nonexistent/ggml-tiny.en.bin was not found');
    expect(r.stdout + r.stderr).toContain('infra/setup.sh');
  });

  it('refuses a cloud provider listed without its key', async () => {
    const r = await runProgram('transcriber', [], { ...LIVEKIT, CREW_STT_PROVIDERS: 'deepgram,local' });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('DEEPGRAM_API_KEY is not set');
  });

  it('retries an unreachable server with backoff, says so, then gives up with a clear message', async () => {
    const port = await freePort();
    const r = await runProgram('orchestrator', [], {
      ...LIVEKIT,
      LIVEKIT_URL: `ws://127.0.0.1:${port}`,
      CREW_MAX_RETRY: '2',
    });
    expect(r.code).toBe(1);
    const retries = r.stdout.split('\n').filter((l) => l.includes('retrying in'));
    expect(retries.length).toBe(2);
    expect(retries[0]).toContain('retrying in 2 seconds');
    expect(r.stdout).toContain(`worker gave up connecting to LiveKit at ws://127.0.0.1:${port}`);
  });
});

describe('the roomcrew command', () => {
  it('explains a missing option before anything else', async () => {
    const r = await runProgram('cli', ['dispatch'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--room is required');
    expect(r.stderr).toContain('usage:');
  });

  it('rejects unknown agents and commands', async () => {
    const a = await runProgram('cli', ['dispatch', '--room', 'r', '--agents', 'crew-nope'], LIVEKIT);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('unknown agent(s) crew-nope');
    const b = await runProgram('cli', ['fly'], LIVEKIT);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('unknown command "fly"');
    const c = await runProgram('cli', ['status', '--rooom', 'r'], LIVEKIT);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain("Unknown option '--rooom'");
  });

  it('says the server is unreachable instead of failing obscurely', async () => {
    const port = await freePort();
    const r = await runProgram('cli', ['status', '--room', 'r'], {
      ...LIVEKIT,
      LIVEKIT_URL: `ws://127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the LiveKit server at ws://127.0.0.1:${port}`);
  });

  it('mints operator tokens only on request', async () => {
    const plain = await runProgram('cli', ['token', '--room', 'r', '--identity', 'i'], LIVEKIT);
    const op = await runProgram('cli', ['token', '--room', 'r', '--identity', 'i', '--operator'], LIVEKIT);
    const claims = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.trim().split('.')[1]!, 'base64url').toString());
    expect(claims(plain.stdout).attributes?.['crew.role']).toBeUndefined();
    expect(claims(op.stdout).attributes?.['crew.role']).toBe('operator');
  });
});

describe('dispatching when no worker serves it', () => {
  it('replaces a stale orchestrator dispatch no worker took, instead of trusting it forever', async () => {
    const server = await startLiveKitServer();
    const t = { url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret };
    try {
      const first = await dispatchCrew(t, 'nobody-home');
      expect(first.created).toBe(true);
      const again = await dispatchCrew(t, 'nobody-home');
      expect(again).toMatchObject({ created: false, dispatchId: first.dispatchId });
      const replaced = await dispatchCrew(t, 'nobody-home', { staleAfterMs: 0 });
      expect(replaced.created).toBe(true);
      expect(replaced.dispatchId).not.toBe(first.dispatchId);
      const status = await roomStatus(t, 'nobody-home');
      expect(status.dispatches.filter((d) => d.agentName === 'crew-orchestrator').map((d) => d.id)).toEqual([
        replaced.dispatchId,
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe('starting livekit-server', () => {
  it('reports a port in use instead of trusting the exit code', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      await expect(startLiveKitServer({ port })).rejects.toThrow(LiveKitServerError);
      await expect(startLiveKitServer({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
  });

  it('says how to install a missing server binary', async () => {
    const saved = process.env.LIVEKIT_SERVER_BIN;
    process.env.LIVEKIT_SERVER_BIN = '/nonexistent/livekit-server';
    try {
      const e = await startLiveKitServer().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MissingBinaryError);
      expect((e as Error).message).toContain('infra/setup.sh');
    } finally {
      if (saved === undefined) delete process.env.LIVEKIT_SERVER_BIN;
      else process.env.LIVEKIT_SERVER_BIN = saved;
    }
  });

  it('reports a server that dies during startup, with its output', async () => {
    // Config parsing is strict: an unknown key makes the server print an error and exit 0.
    const [port, tcp, udp] = await freePorts(3);
    const dir = mkdtempSync(join(tmpdir(), 'roomcrew-badcfg-'));
    const config = join(dir, 'livekit.yaml');
    writeFileSync(
      config,
      `port: ${port}\nrtc:\n  tcp_port: ${tcp}\n  udp_port: ${udp}\nkeys:\n  k: secret-secret-secret-secret-secret\nnot_a_livekit_option: true\n`,
    );
    const e = await startLiveKitServer({ configFile: config }).catch((x: unknown) => x);
    if (!(e instanceof Error)) await (e as { stop(): Promise<void> }).stop();
    expect(e).toBeInstanceOf(LiveKitServerError);
    expect((e as Error).message).toContain('exited during startup');
    expect((e as Error).message).toContain('not_a_livekit_option');
  });

  it('starts on free ports, answers, and stops cleanly', async () => {
    const s = await startLiveKitServer();
    expect(await (await fetch(`${s.httpUrl}/`)).text()).toContain('OK');
    await s.stop();
    expect(s.process.running).toBe(false);
    await expect(fetch(`${s.httpUrl}/`)).rejects.toThrow();
  });
});
