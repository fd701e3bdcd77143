// A trivial ingest stand-in for measuring the load generators themselves: reads the body, answers 202.
// Run as its own process (forked, it sends {type:'ready', url} over IPC; alone, it prints {"url": ...}).
import http from 'node:http';

const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  req.on('end', () => {
    res.writeHead(202, { 'content-length': '0', 'x-received-bytes': String(bytes) });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  if (process.send) process.send({ type: 'ready', url });
  else process.stdout.write(`${JSON.stringify({ url })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stop') server.close(() => process.send!({ type: 'stopped' }, () => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
