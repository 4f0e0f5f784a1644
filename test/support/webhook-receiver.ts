// A real webhook receiver on 127.0.0.1 that verifies each delivery with the official
// standardwebhooks package and answers with whatever status the test chooses per delivery.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  path: string;
  webhookId: string;
  type: string;
  jobId: string;
  body: string;
  /** The payload as standardwebhooks' verify() returned it, or null when it did not verify. */
  verified: unknown;
  status: number;
}

export interface WebhookReceiver {
  /** Base URL; endpoints are `${url}/<path>`. */
  url: string;
  deliveries: Delivery[];
  /** Decides the answer to each delivery (default 200). */
  answer: (d: Omit<Delivery, 'status'>) => number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const verify = (headers: IncomingHttpHeaders, body: string): unknown => {
    try {
      return verifier.verify(body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      });
    } catch {
      return null;
    }
  };
  const receiver: WebhookReceiver = {
    url: '',
    deliveries: [],
    answer: () => 200,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const payload = JSON.parse(body) as { type: string; data: { id: string } };
      const d = {
        path: req.url ?? '',
        webhookId: String(req.headers['webhook-id']),
        type: payload.type,
        jobId: payload.data.id,
        body,
        verified: verify(req.headers, body),
      };
      const status = d.verified === null ? 401 : receiver.answer(d);
      receiver.deliveries.push({ ...d, status });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return receiver;
}
