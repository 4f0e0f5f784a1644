// The ceiling for the submission benchmark: a bare node:http server that reads the request body and
// answers 202 with a job-shaped JSON carrying a new UUID (no parsing, no storage). Prints its URL.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = randomUUID();
    const body = JSON.stringify({ id, status: 'queued', progress: 0, created_at: new Date().toISOString() });
    res.writeHead(202, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      location: `/v1/jobs/${id}`,
    });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
