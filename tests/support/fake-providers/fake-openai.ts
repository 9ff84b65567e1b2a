/**
 * A local OpenAI stand-in that speaks OpenAI's real wire protocol for speech-to-text, for running
 * the real `@livekit/agents-plugin-openai` STT against it. It does not recognise audio: it
 * returns a scripted transcript.
 *
 * Wire protocol (what `@livekit/agents-plugin-openai` 1.9.0 uses; point its `baseURL` option at
 * `fake.baseURL` = `http://127.0.0.1:PORT/v1`):
 *
 * - `POST /v1/audio/transcriptions`, `Authorization: Bearer <key>`, `multipart/form-data` with
 *   `file` (`audio.wav`, 16-bit PCM WAV), `model`, `language` (or `languages[]`/`keywords[]` for
 *   gpt-transcribe models), `response_format=json`, optional `prompt`/`temperature`. Answered with
 *   `{"text": …, "usage": {"type": "duration", "seconds": n}}` (`json`), the bare text (`text`),
 *   or `verbose_json`. Errors use OpenAI's envelope `{"error": {message, type, param, code}}`.
 *   The plugin builds its OpenAI client with `maxRetries: 0`, so a failure is not retried.
 * - Streaming (`stt.stream()`, used when `useRealtime` is true — the plugin's default): websocket
 *   `GET /v1/realtime?intent=transcription&model=<model>`, `Authorization: Bearer <key>`.
 *   Client → server: `session.update` (`session.type: "transcription"`, `audio.input.format`
 *   `{type: "audio/pcm", rate: 24000}`, `audio.input.transcription {model, language}`,
 *   `audio.input.turn_detection` — `server_vad` with `silence_duration_ms` for whisper-1),
 *   `input_audio_buffer.append` (`audio`: base64 s16le 24 kHz mono), `input_audio_buffer.commit`.
 *   Server → client: `session.created`, `session.updated`, `input_audio_buffer.speech_started`
 *   `{item_id, audio_start_ms}`, `input_audio_buffer.speech_stopped {item_id, audio_end_ms}`,
 *   `input_audio_buffer.committed`, `conversation.item.input_audio_transcription.delta
 *   {item_id, delta}` (one per word), `…completed {item_id, transcript, usage}`, `error`.
 *   The fake's server VAD is an energy detector over 10 ms chunks (RMS > `vadRms`): speech starts
 *   at the first loud chunk and stops after `silence_duration_ms` of quiet chunks (or on an
 *   explicit commit); then the scripted transcript is delivered.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { synthesize } from '../media.js';

export interface FakeOpenAIOptions {
  /** Transcript returned for every request/utterance. Default `'hello from the fake openai'`. */
  script?: string;
  /** RMS (0..1 full scale) above which a 10 ms chunk counts as speech for the realtime server VAD. Default 0.01. */
  vadRms?: number;
  /** What chat completions answer. */
  chatScript?: string;
}

export interface TranscriptionRequest {
  model: string | undefined;
  language: string | undefined;
  responseFormat: string | undefined;
  prompt: string | undefined;
  fileName: string | undefined;
  fileType: string | undefined;
  /** PCM bytes in the uploaded WAV (file size minus its 44-byte header). */
  audioBytes: number;
  sampleRate: number | undefined;
  status: number;
}

export interface ChatRequestBody {
  model?: string;
  stream?: boolean;
  messages?: { role: string; content: unknown }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
}
export interface SpeechRequest {
  model?: string;
  input?: string;
  voice?: string;
  response_format?: string;
}
export interface ChatReply {
  text?: string;
  toolCalls?: { name: string; arguments: string }[];
}

export interface FakeOpenAI {
  /** Value for the plugin's `baseURL` option: `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  /** `POST /v1/audio/transcriptions` requests received (including failed ones). */
  requests(): number;
  /** Details of every transcription request, in order. */
  transcriptionRequests(): TranscriptionRequest[];
  /** PCM bytes received: WAV data chunks of transcription requests plus realtime appends. */
  audioBytes(): number;
  /** Realtime websocket connections accepted. */
  realtimeConnections(): number;
  /** The last `session.update` payload received on a realtime socket. */
  lastSession(): unknown;
  setScript(text: string): void;
  /** Answer the next `n` transcription requests with HTTP `status` (default 500) and an OpenAI error body. */
  failNext(n: number, status?: number): void;
  /** What chat completions answer (streamed word by word). */
  setChatScript(text: string): void;
  chatRequests(): number;
  /** The JSON body of the last chat completion request (model, messages with the image). */
  lastChatRequest(): unknown;
  /**
   * Decides per request what a streamed chat completion answers: text and/or tool calls (streamed
   * in argument pieces with finish_reason "tool_calls", as the real API does). Undefined falls
   * back to the chat script.
   */
  setChatResponder(fn: ((body: ChatRequestBody) => ChatReply | undefined) | undefined): void;
  /** Every chat completion request body, in order. */
  chatBodies(): ChatRequestBody[];
  /** Every text-to-speech request body, in order. */
  speechRequests(): SpeechRequest[];
  /** Answer the next `n` text-to-speech requests with HTTP 500. */
  failSpeechNext(n: number): void;
  /** Delay every HTTP answer (and realtime transcript delivery) by `ms`. */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

const errorType = (status: number) =>
  status === 401
    ? 'invalid_request_error'
    : status === 429
      ? 'rate_limit_exceeded'
      : status >= 500
        ? 'server_error'
        : 'invalid_request_error';

function wavInfo(buf: Buffer): { pcmBytes: number; sampleRate: number | undefined } {
  if (
    buf.byteLength < 12 ||
    buf.toString('latin1', 0, 4) !== 'RIFF' ||
    buf.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    return { pcmBytes: buf.byteLength, sampleRate: undefined };
  }
  let off = 12;
  let sampleRate: number | undefined;
  while (off + 8 <= buf.byteLength) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') sampleRate = buf.readUInt32LE(off + 12);
    if (id === 'data') return { pcmBytes: Math.min(size, buf.byteLength - off - 8), sampleRate };
    off += 8 + size + (size % 2);
  }
  return { pcmBytes: 0, sampleRate };
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  let script = opts.script ?? 'hello from the fake openai';
  let chatScript = opts.chatScript ?? 'a scripted description from the fake';
  let chatRequests = 0;
  let responder: ((body: ChatRequestBody) => ChatReply | undefined) | undefined;
  const chatLog: ChatRequestBody[] = [];
  const speechLog: SpeechRequest[] = [];
  let speechFailures = 0;
  let lastChat: unknown;
  const vadRms = opts.vadRms ?? 0.01;
  let delayMs = 0;
  let failures: { left: number; status: number } = { left: 0, status: 500 };
  let audioBytes = 0;
  let realtimeConnections = 0;
  let lastSession: unknown;
  const transcriptionLog: TranscriptionRequest[] = [];
  const rawSockets = new Set<Socket>();
  const sockets = new Set<WebSocket>();

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const sendError = (res: ServerResponse, status: number, message: string, code: string | null = null) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${randomUUID()}` });
    res.end(JSON.stringify({ error: { message, type: errorType(status), param: null, code } }));
  };
  const bearer = (req: IncomingMessage) => /^Bearer \S+/.test(req.headers.authorization ?? '');

  const transcriptions = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const entry: TranscriptionRequest = {
      model: undefined,
      language: undefined,
      responseFormat: undefined,
      prompt: undefined,
      fileName: undefined,
      fileType: undefined,
      audioBytes: 0,
      sampleRate: undefined,
      status: 200,
    };
    transcriptionLog.push(entry);
    const fail = (status: number, message: string, code: string | null = null) => {
      entry.status = status;
      sendError(res, status, message, code);
    };
    if (!bearer(req)) return fail(401, 'Incorrect API key provided.', 'invalid_api_key');

    let form: FormData;
    try {
      form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body,
      }).formData();
    } catch {
      return fail(400, 'Could not parse multipart form');
    }
    const str = (k: string) => {
      const v = form.get(k);
      return typeof v === 'string' ? v : undefined;
    };
    entry.model = str('model');
    entry.language = str('language');
    entry.responseFormat = str('response_format');
    entry.prompt = str('prompt');
    const file = form.get('file');
    if (file !== null && typeof file !== 'string') {
      entry.fileName = file.name;
      entry.fileType = file.type;
      const info = wavInfo(Buffer.from(await file.arrayBuffer()));
      entry.audioBytes = info.pcmBytes;
      entry.sampleRate = info.sampleRate;
      audioBytes += info.pcmBytes;
    }

    if (delayMs > 0) await sleep(delayMs);
    if (failures.left > 0) {
      failures.left--;
      return fail(
        failures.status,
        `The server had an error while processing your request (fake ${failures.status}).`,
      );
    }
    if (!entry.model) return fail(400, 'you must provide a model parameter', null);
    if (file === null || typeof file === 'string')
      return fail(400, "Could not parse multipart form: missing 'file'");
    const duration = entry.sampleRate ? entry.audioBytes / (entry.sampleRate * 2) : 0;
    const format = entry.responseFormat ?? 'json';
    const reqId = `req_${randomUUID()}`;
    if (format === 'text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': reqId });
      res.end(`${script}\n`);
    } else if (format === 'json' || format === 'verbose_json') {
      const usage = { type: 'duration', seconds: Math.ceil(duration) };
      const payload =
        format === 'json'
          ? { text: script, usage }
          : {
              task: 'transcribe',
              language: entry.language === 'en' || !entry.language ? 'english' : entry.language,
              duration,
              text: script,
              segments: [
                {
                  id: 0,
                  seek: 0,
                  start: 0,
                  end: duration,
                  text: ` ${script}`,
                  tokens: [],
                  temperature: 0,
                  avg_logprob: -0.1,
                  compression_ratio: 1,
                  no_speech_prob: 0.01,
                },
              ],
              usage,
            };
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': reqId });
      res.end(JSON.stringify(payload));
    } else {
      fail(400, `response_format '${format}' is not supported by the fake`);
    }
  };

  // Chat completions (the vision agent's OpenAI-compatible path): streamed as server-sent events,
  // as the real API does when the client asks for `stream: true`.
  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as ChatRequestBody;
    chatRequests++;
    lastChat = body;
    chatLog.push(body);
    if (!bearer(req)) return sendError(res, 401, 'Incorrect API key provided', 'invalid_api_key');
    if (failures.left > 0) {
      failures.left--;
      return sendError(res, failures.status, 'The server had an error while processing your request.');
    }
    if (delayMs) await sleep(delayMs);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? 'gpt-4o-mini';
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: chatScript }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: object, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    const reply = responder?.(body);
    if (reply) {
      send({ role: 'assistant', content: reply.text ? '' : null });
      for (const word of (reply.text ?? '').split(/(?<= )/).filter(Boolean)) send({ content: word });
      (reply.toolCalls ?? []).forEach((call, index) => {
        const callId = `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
        send({
          tool_calls: [{ index, id: callId, type: 'function', function: { name: call.name, arguments: '' } }],
        });
        for (let i = 0; i < call.arguments.length; i += 12) {
          send({ tool_calls: [{ index, function: { arguments: call.arguments.slice(i, i + 12) } }] });
        }
      });
      send({}, reply.toolCalls?.length ? 'tool_calls' : 'stop');
      res.end('data: [DONE]\n\n');
      return;
    }
    send({ role: 'assistant', content: '' });
    for (const word of chatScript.split(/(?<= )/)) send({ content: word });
    send({}, 'stop');
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };

  // Text to speech (`POST /v1/audio/speech`, JSON `{model, input, voice, response_format}`):
  // answered with real speech for the input (flite), as raw 24 kHz s16le mono for "pcm".
  const speech = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as SpeechRequest;
    speechLog.push(body);
    if (!bearer(req)) return sendError(res, 401, 'Incorrect API key provided', 'invalid_api_key');
    if (speechFailures > 0) {
      speechFailures--;
      return sendError(res, 500, 'The server had an error while processing your request.');
    }
    if (body.response_format !== 'pcm')
      return sendError(res, 400, 'the fake speaks response_format pcm only');
    const samples = synthesize(body.input ?? '');
    const pcm = execFileSync(
      'sox',
      [
        '-t',
        'raw',
        '-r',
        '16000',
        '-b',
        '16',
        '-c',
        '1',
        '-e',
        'signed',
        '-',
        '-r',
        '24000',
        '-t',
        'raw',
        '-',
      ],
      { input: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength) },
    );
    res.writeHead(200, { 'content-type': 'audio/pcm' });
    res.end(pcm);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
      chat(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendError(res, 500, String(e));
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/audio/speech') {
      speech(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendError(res, 500, String(e));
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/audio/transcriptions') {
      transcriptions(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendError(res, 500, String(e));
      });
      return;
    }
    sendError(res, 404, `Invalid URL (${req.method} ${url.pathname})`);
  });
  server.on('connection', (s) => {
    rawSockets.add(s);
    s.on('close', () => rawSockets.delete(s));
  });

  const handleRealtime = (ws: WebSocket) => {
    const send = (msg: Record<string, unknown>) => {
      if (ws.readyState === WebSocket.OPEN)
        ws.send(JSON.stringify({ event_id: `event_${randomUUID()}`, ...msg }));
    };
    const rate = 24000;
    let silenceMs = 500;
    let serverVad = true;
    let totalMs = 0; // audio received, in ms
    let itemId: string | undefined;
    let speechStartMs = 0;
    let quietMs = 0;
    let carry = Buffer.alloc(0);
    const chunkBytes = (rate / 100) * 2; // 10 ms

    const complete = async (id: string, endMs: number) => {
      send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: id });
      send({
        type: 'conversation.item.created',
        previous_item_id: null,
        item: {
          id,
          object: 'realtime.item',
          type: 'message',
          status: 'completed',
          role: 'user',
          content: [],
        },
      });
      if (delayMs > 0) await sleep(delayMs);
      const words = script.split(/\s+/).filter(Boolean);
      words.forEach((w, i) => {
        send({
          type: 'conversation.item.input_audio_transcription.delta',
          item_id: id,
          content_index: 0,
          delta: i === 0 ? w : ` ${w}`,
        });
      });
      send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: id,
        content_index: 0,
        transcript: script,
        usage: { type: 'duration', seconds: Math.ceil((endMs - speechStartMs) / 1000) },
      });
    };
    const stopSpeech = () => {
      if (!itemId) return;
      const id = itemId;
      itemId = undefined;
      send({ type: 'input_audio_buffer.speech_stopped', item_id: id, audio_end_ms: Math.round(totalMs) });
      void complete(id, totalMs);
    };

    send({
      type: 'session.created',
      session: {
        type: 'transcription',
        id: `sess_${randomUUID()}`,
        object: 'realtime.transcription_session',
      },
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: { type?: string; audio?: string; session?: Record<string, unknown> };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        send({ type: 'error', error: { type: 'invalid_request_error', message: 'invalid JSON' } });
        return;
      }
      if (msg.type === 'session.update') {
        lastSession = msg.session;
        const input = (msg.session?.audio as { input?: Record<string, unknown> } | undefined)?.input;
        const td = input?.turn_detection as
          | { type?: string; silence_duration_ms?: number }
          | null
          | undefined;
        if (td === null) serverVad = false;
        else if (td) {
          serverVad = true;
          silenceMs = td.silence_duration_ms ?? silenceMs;
        }
        send({ type: 'session.updated', session: msg.session ?? {} });
      } else if (msg.type === 'input_audio_buffer.append') {
        const pcm = Buffer.from(msg.audio ?? '', 'base64');
        audioBytes += pcm.byteLength;
        carry = Buffer.concat([carry, pcm]);
        while (carry.byteLength >= chunkBytes) {
          const chunk = carry.subarray(0, chunkBytes);
          carry = carry.subarray(chunkBytes);
          let sum = 0;
          for (let i = 0; i < chunk.byteLength; i += 2) sum += (chunk.readInt16LE(i) / 32768) ** 2;
          const loud = Math.sqrt(sum / (chunk.byteLength / 2)) > vadRms;
          if (loud) {
            quietMs = 0;
            if (!itemId) {
              itemId = `item_${randomUUID()}`;
              speechStartMs = totalMs;
              if (serverVad)
                send({
                  type: 'input_audio_buffer.speech_started',
                  item_id: itemId,
                  audio_start_ms: Math.round(totalMs),
                });
            }
          } else if (itemId) {
            quietMs += 10;
            if (serverVad && quietMs >= silenceMs) stopSpeech();
          }
          totalMs += 10;
        }
      } else if (msg.type === 'input_audio_buffer.commit') {
        if (!itemId) {
          send({
            type: 'error',
            error: {
              type: 'invalid_request_error',
              code: 'input_audio_buffer_commit_empty',
              message: 'buffer too small',
            },
          });
          return;
        }
        stopSpeech();
      } else if (msg.type === 'input_audio_buffer.clear') {
        itemId = undefined;
        carry = Buffer.alloc(0);
        send({ type: 'input_audio_buffer.cleared' });
      }
    });
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
  };

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/realtime' || !bearer(req)) {
      socket.end(`HTTP/1.1 ${bearer(req) ? 404 : 401} Error\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      realtimeConnections++;
      sockets.add(ws);
      handleRealtime(ws);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests: () => transcriptionLog.length,
    transcriptionRequests: () => transcriptionLog.map((r) => ({ ...r })),
    audioBytes: () => audioBytes,
    realtimeConnections: () => realtimeConnections,
    lastSession: () => lastSession,
    setScript(text: string) {
      script = text;
    },
    setChatScript(text: string) {
      chatScript = text;
    },
    chatRequests: () => chatRequests,
    lastChatRequest: () => lastChat,
    setChatResponder: (fn) => {
      responder = fn;
    },
    chatBodies: () => [...chatLog],
    speechRequests: () => [...speechLog],
    failSpeechNext: (n) => {
      speechFailures = n;
    },
    failNext(n: number, status = 500) {
      failures = { left: n, status };
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    async stop() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      for (const s of rawSockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
