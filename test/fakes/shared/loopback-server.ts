// Starting and stopping a fake's node:http server on 127.0.0.1 with an ephemeral port, the same way
// for every fake: stop also ends kept-alive connections so that a test's teardown never waits on them.
import { createServer, type RequestListener, type Server } from 'node:http';
import { once } from 'node:events';

export async function listenLoopback(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

export async function closeLoopback(server: Server | null): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}
