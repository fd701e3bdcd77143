// One ingest gateway, served either by Hono on @hono/node-server or by functions-framework
// (Express), in its own process, with a sink that accepts at once: only the HTTP stack differs.
// Env: BENCH_SERVER=hono|functions-framework, BENCH_DATA_DIR.

import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { toolSettings } from '../config/env.ts';
import type { EventSink } from '../eventing/sink.ts';
import { createIngestApp } from '../functions/ingest/app.ts';
import { listen } from '../http/listen.ts';
import { createMetrics } from '../observability/metrics.ts';
import { openDb } from '../storage/open.ts';
import { addPatient, enrollDevice } from '../storage/patients-store.ts';

const settings = toolSettings();
const db = await openDb({ dataDir: settings.BENCH_DATA_DIR! });
await addPatient(db, { id: 'fw-1', name: 'Framework bench' });
const device = await enrollDevice(db, { patientId: 'fw-1', kind: 'bench' });
const sink: EventSink = { accept: async (events) => ({ accepted: events.length, duplicates: 0 }) };
const app = createIngestApp({ db, sink, metrics: createMetrics('ingest') });

let url: string;
let close: () => Promise<void>;
if (settings.BENCH_SERVER === 'hono') {
  const l = await listen(app, 0, '127.0.0.1');
  url = l.url;
  close = l.close;
} else {
  // functions-framework parses the body itself and keeps the bytes in req.rawBody: hand those to the same app.
  ff.http('ingest', async (req, res) => {
    const request = new Request(`http://localhost${req.originalUrl}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === 'POST' ? new Uint8Array(req.rawBody ?? Buffer.alloc(0)) : undefined,
    });
    const response = await app.fetch(request);
    res.status(response.status);
    response.headers.forEach((v, k) => {
      res.setHeader(k, v);
    });
    res.send(Buffer.from(await response.arrayBuffer()));
  });
  const server = getTestServer('ingest');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
}

process.send!({ type: 'ready', url, pid: process.pid, devices: [device] });
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'stop') {
    await close();
    await db.close();
    process.exit(0);
  }
});
