/**
 * A local Deepgram stand-in that speaks Deepgram's real wire protocol, for running the real
 * `@livekit/agents-plugin-deepgram` STT against it. It does not recognise audio: it "hears" a
 * scripted list of words, revealed in step with the audio it receives.
 *
 * Wire protocol (what `@livekit/agents-plugin-deepgram` 1.9.0 sends and parses):
 *
 * - Streaming: websocket `GET {baseUrl}/v1/listen?model=…&encoding=linear16&sample_rate=16000
 *   &channels=1&interim_results=true&vad_events=true&endpointing=25&language=en-US…` with header
 *   `Authorization: Token <key>`. The plugin's option is `baseUrl` (no `/v1`; the plugin appends
 *   `/v1/listen`), so point it at `fake.url` = `ws://127.0.0.1:PORT`.
 *   Client → server: binary frames of raw s16le PCM (100 ms chunks, only the ones that pass the
 *   plugin's AudioEnergyFilter, i.e. speech plus ≤1 s of trailing silence), and text frames
 *   `{"type":"KeepAlive"}` (every 5 s), `{"type":"Finalize"}` (on `stream.flush()`),
 *   `{"type":"CloseStream"}` (on `stream.endInput()`/close).
 *   Server → client: `{"type":"SpeechStarted","channel":[0],"timestamp":s}` at the first audio
 *   of an utterance (when `vad_events=true`); `{"type":"Results",…}` messages (schema below);
 *   `{"type":"UtteranceEnd","channel":[0,1],"last_word_end":s}` after a speech-final result when
 *   `utterance_end_ms` is set; `{"type":"Metadata",…}` then a normal close (1000) after
 *   CloseStream. The plugin only finishes its listen loop when a message arrives after
 *   CloseStream, which is why the Metadata message matters.
 * - Pre-recorded: `POST {http base}/v1/listen?…` with an `audio/wav` body, answered with the
 *   pre-recorded JSON schema (`results.channels[0].alternatives[0]`, `metadata.request_id`).
 *
 * Transcript policy (deterministic, driven by audio received, not by wall clock):
 * - an utterance starts at the first binary audio after the previous final;
 * - every `msPerWord` ms of received audio reveals one more scripted word in an interim
 *   `Results` (`is_final:false, speech_final:false`), never revealing the whole script in an
 *   interim unless the audio is long enough (the final always carries every word);
 * - a final `Results` (`is_final:true, speech_final:true`) with all scripted words is sent on
 *   `Finalize` (with `from_finalize:true`), on `CloseStream`, or when no audio has arrived for
 *   `idleFinalMs` of wall-clock time while an utterance is open (an endpointing stand-in; the
 *   plugin stops sending audio ≈1 s after the signal goes quiet);
 * - word timings spread the utterance's audio span evenly over the words; `start`/`duration` of a
 *   result are the utterance's audio offset and length, in seconds since the connection began.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface FakeDeepgramOptions {
  /** Words the fake "hears" in every utterance. Default: `['hello', 'from', 'the', 'fake', 'deepgram']`. */
  script?: string[];
  /** Audio (ms) per revealed word in interim results. Default 200. */
  msPerWord?: number;
  /** Wall-clock silence (no audio frames) after which an open utterance is finalised. Default 1500; 0 disables. */
  idleFinalMs?: number;
  /** Confidence reported for every word and alternative. Default 0.98. */
  confidence?: number;
}

export interface FakeDeepgram {
  /** Value for the plugin's `baseUrl` option: `ws://127.0.0.1:PORT` (the plugin appends `/v1/listen`). */
  url: string;
  /** Total bytes of binary audio received on all listen sockets (plus WAV bodies of pre-recorded requests, minus 44-byte headers). */
  audioBytes(): number;
  /** Websocket connections accepted so far. */
  connections(): number;
  /** Websocket upgrades refused (while killed, wrong path, or no `Token` authorization). */
  refusedUpgrades(): number;
  /** Control messages received (`KeepAlive`, `Finalize`, `CloseStream`, …), in order. */
  controlMessages(): string[];
  /** Query parameters of the most recent listen request (websocket or pre-recorded). */
  lastParams(): URLSearchParams | undefined;
  /** Abruptly terminate every open socket and refuse new ones (HTTP 503 on upgrade) until `revive()`. */
  kill(): void;
  revive(): void;
  setScript(words: string[]): void;
  stop(): Promise<void>;
}

interface Word {
  word: string;
  punctuated_word: string;
  start: number;
  end: number;
  confidence: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export async function startFakeDeepgram(opts: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  let script = [...(opts.script ?? ['hello', 'from', 'the', 'fake', 'deepgram'])];
  const msPerWord = opts.msPerWord ?? 200;
  const idleFinalMs = opts.idleFinalMs ?? 1500;
  const confidence = opts.confidence ?? 0.98;

  let audioBytes = 0;
  let connections = 0;
  let refused = 0;
  let dead = false;
  let params: URLSearchParams | undefined;
  const control: string[] = [];
  const sockets = new Set<WebSocket>();
  const rawSockets = new Set<Socket>();

  const modelInfo = { name: '2-general-nova', version: '2024-01-09.29447', arch: 'nova-3' };

  const words = (span: { start: number; end: number }, list: string[]): Word[] => {
    const per = list.length > 0 ? (span.end - span.start) / list.length : 0;
    return list.map((w, i) => ({
      word: w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
      punctuated_word: w,
      start: round(span.start + i * per),
      end: round(span.start + (i + 1) * per),
      confidence,
    }));
  };

  const alternative = (span: { start: number; end: number }, list: string[]) => ({
    transcript: list.join(' '),
    confidence: list.length > 0 ? confidence : 0,
    words: words(span, list),
  });

  const handleListen = (ws: WebSocket, query: URLSearchParams) => {
    const requestId = randomUUID();
    const sampleRate = Number(query.get('sample_rate') ?? 16000);
    const channels = Number(query.get('channels') ?? 1);
    const bytesPerSecond = sampleRate * channels * 2;
    const interim = query.get('interim_results') === 'true';
    const vadEvents = query.get('vad_events') === 'true';
    const utteranceEnd = query.get('utterance_end_ms') !== null;
    const created = new Date().toISOString();

    let received = 0; // bytes on this connection
    let uttStart: number | undefined; // byte offset where the open utterance began
    let revealed = 0;
    let idle: NodeJS.Timeout | undefined;

    const seconds = (bytes: number) => bytes / bytesPerSecond;
    const send = (msg: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    };
    const results = (isFinal: boolean, list: string[], fromFinalize: boolean) => {
      const start = seconds(uttStart ?? received);
      const end = seconds(received);
      send({
        type: 'Results',
        channel_index: [0, 1],
        duration: round(end - start),
        start: round(start),
        is_final: isFinal,
        speech_final: isFinal,
        ...(isFinal ? { from_finalize: fromFinalize } : {}),
        channel: { alternatives: [alternative({ start, end }, list)] },
        metadata: { request_id: requestId, model_info: modelInfo, model_uuid: randomUUID() },
      });
    };
    const finalize = (fromFinalize: boolean) => {
      clearTimeout(idle);
      if (uttStart === undefined) {
        // Deepgram answers Finalize even with nothing pending: an empty final result.
        if (fromFinalize) results(true, [], true);
        return;
      }
      results(true, script, fromFinalize);
      if (utteranceEnd)
        send({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: round(seconds(received)) });
      uttStart = undefined;
      revealed = 0;
    };

    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const len = Array.isArray(data)
          ? data.reduce((n, b) => n + b.byteLength, 0)
          : (data as Buffer | ArrayBuffer).byteLength;
        if (uttStart === undefined) {
          uttStart = received;
          if (vadEvents) send({ type: 'SpeechStarted', channel: [0], timestamp: round(seconds(received)) });
        }
        received += len;
        audioBytes += len;
        const want = Math.min(
          script.length,
          Math.floor(((received - uttStart) / bytesPerSecond) * (1000 / msPerWord)),
        );
        if (interim && want > revealed) {
          revealed = want;
          results(false, script.slice(0, revealed), false);
        }
        clearTimeout(idle);
        if (idleFinalMs > 0) idle = setTimeout(() => finalize(false), idleFinalMs);
        return;
      }
      let type = 'unknown';
      try {
        type = String((JSON.parse(data.toString()) as { type?: unknown }).type);
      } catch {
        // Deepgram closes with 1008 (DATA-0000) on malformed control messages.
        ws.close(1008, 'DATA-0000');
        return;
      }
      control.push(type);
      if (type === 'Finalize') finalize(true);
      else if (type === 'CloseStream') {
        finalize(false);
        send({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: requestId,
          sha256: '0'.repeat(64),
          created,
          duration: round(seconds(received)),
          channels,
          models: [randomUUID()],
          model_info: {},
        });
        ws.close(1000);
      }
    });
    ws.on('close', () => {
      clearTimeout(idle);
      sockets.delete(ws);
    });
    ws.on('error', () => {});
  };

  const authorized = (req: IncomingMessage) => /^Token \S+/.test(req.headers.authorization ?? '');

  const prerecorded = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const pcm = body.subarray(0, 4).toString() === 'RIFF' ? body.byteLength - 44 : body.byteLength;
      audioBytes += Math.max(0, pcm);
      const rate = body.subarray(0, 4).toString() === 'RIFF' ? body.readUInt32LE(28) : 32000;
      const duration = pcm / rate;
      const requestId = randomUUID();
      res.writeHead(200, { 'content-type': 'application/json', 'dg-request-id': requestId });
      res.end(
        JSON.stringify({
          metadata: {
            transaction_key: 'deprecated',
            request_id: requestId,
            sha256: '0'.repeat(64),
            created: new Date().toISOString(),
            duration: round(duration),
            channels: 1,
            models: [randomUUID()],
            model_info: {},
          },
          results: {
            channels: [{ alternatives: [alternative({ start: 0, end: duration }, script)] }],
          },
        }),
      );
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (dead) {
      res.writeHead(503).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/listen') {
      if (!authorized(req)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"err_code":"INVALID_AUTH"}');
        return;
      }
      params = url.searchParams;
      prerecorded(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    rawSockets.add(s);
    s.on('close', () => rawSockets.delete(s));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (status: number) => {
      refused++;
      socket.end(
        `HTTP/1.1 ${status} ${status === 503 ? 'Service Unavailable' : 'Error'}\r\nConnection: close\r\n\r\n`,
      );
    };
    if (dead) return reject(503);
    if (url.pathname !== '/v1/listen') return reject(404);
    if (!authorized(req)) return reject(401);
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections++;
      sockets.add(ws);
      params = url.searchParams;
      handleListen(ws, url.searchParams);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}`,
    audioBytes: () => audioBytes,
    connections: () => connections,
    refusedUpgrades: () => refused,
    controlMessages: () => [...control],
    lastParams: () => params,
    kill() {
      dead = true;
      for (const ws of sockets) ws.terminate();
      sockets.clear();
    },
    revive() {
      dead = false;
    },
    setScript(words: string[]) {
      script = [...words];
    },
    async stop() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      for (const s of rawSockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
