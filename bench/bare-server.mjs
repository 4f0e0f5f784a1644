// The ceiling for the status-GET benchmark: a bare node:http server answering the same job JSON
// from memory. Prints its URL on stdout.
import { createServer } from 'node:http';

const body = process.argv[2] ?? '{}';
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
