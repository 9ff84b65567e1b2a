/**
 * A local server on OpenAI's chat-completions wire protocol that passes requests through to an
 * upstream OpenAI-compatible server (e.g. the fake in fake-openai.ts) and, when told, answers the
 * next ones with garbage instead: what a broken provider or proxy sends with HTTP 200.
 *
 * Faults: `not-json` an SSE event whose data is not JSON; `html` an HTML page instead of a
 * stream; `cut` two chunks of an answer, then the connection drops; `no-done` two chunks, then a
 * clean end without finish_reason or `[DONE]`; `empty` a complete stream without text;
 * `wrong-shape` JSON events that are not chat-completion chunks; `hang` headers, then nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ChatFault = 'not-json' | 'html' | 'cut' | 'no-done' | 'empty' | 'wrong-shape' | 'hang';
export const CHAT_FAULTS: ChatFault[] = [
  'not-json',
  'html',
  'cut',
  'no-done',
  'empty',
  'wrong-shape',
  'hang',
];

export interface ChatFaults {
  /** Value for the plugin's `baseURL`. */
  baseURL: string;
  /** Answer the next `n` chat completions with `fault`. */
  breakNext(n: number, fault: ChatFault): void;
  /** Faulty answers given so far. */
  faultsServed(): number;
  stop(): Promise<void>;
}

const chunk = (content: string | undefined, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  })}\n\n`;

export async function startChatFaults(upstreamBaseURL: string): Promise<ChatFaults> {
  let pending: { left: number; fault: ChatFault } = { left: 0, fault: 'empty' };
  let served = 0;
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    const body: Buffer[] = [];
    for await (const c of req) body.push(c as Buffer);
    if (pending.left === 0) {
      // Pass through, streaming the upstream answer as it comes.
      try {
        const path = (req.url ?? '/').replace(/^\/v1/, '');
        const up = await fetch(`${upstreamBaseURL}${path}`, {
          method: req.method ?? 'POST',
          headers: {
            authorization: req.headers.authorization ?? '',
            'content-type': req.headers['content-type'] ?? 'application/json',
          },
          body: Buffer.concat(body),
        });
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        if (up.body) for await (const c of up.body) res.write(c);
        res.end();
      } catch (e) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: `upstream failed: ${String(e)}`, type: 'server_error' } }),
        );
      }
      return;
    }
    pending.left--;
    served++;
    const fault = pending.fault;
    if (fault === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    switch (fault) {
      case 'hang':
        res.flushHeaders();
        return; // the client's own timeout has to end it
      case 'not-json':
        res.end('data: {"id": "chatcmpl-x", "choices": [{"delta": {"content": "A sl\n\n');
        return;
      case 'wrong-shape':
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-x', object: 'chat.completion.chunk', choices: null })}\n\n`,
        );
        res.write(`data: ${JSON.stringify({ result: 'a description in the wrong place' })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      case 'empty':
        res.write(chunk(''));
        res.write(chunk(undefined, 'stop'));
        res.end('data: [DONE]\n\n');
        return;
      case 'cut':
      case 'no-done':
        res.write(chunk('A slide '));
        res.write(chunk('about '));
        if (fault === 'cut') res.socket?.destroy();
        else res.end();
        return;
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    breakNext(n, fault) {
      pending = { left: n, fault };
    },
    faultsServed: () => served,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
