/** A local HTTP receiver standing in for a Slack incoming webhook: records every POST body. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookReceiver {
  url: string;
  received: { body: unknown; at: number }[];
  /** Answer the next `n` posts with this HTTP status instead of 200 "ok". */
  failNext(n: number, status: number): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  let failures = { left: 0, status: 500 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end('method not allowed');
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end('invalid_payload');
        return;
      }
      if (failures.left > 0) {
        failures.left--;
        res.writeHead(failures.status).end('channel_not_found');
        return;
      }
      received.push({ body, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    received,
    failNext: (n, status) => {
      failures = { left: n, status };
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
