// The baseline for the side-by-side comparison: a replica of the prototype's design (Flask services),
// written in Node so the only difference is the design. Per chunk, strictly one request at a time (a
// queue, as one synchronous worker):
// - read the body, JSON.parse it, check the chunk fields;
// - a synchronous REST call to the predictor service (perf/baseline/predictor-server.ts, its own
//   process, Vigil's model), on a new TCP connection as `requests.post` makes, awaited;
// - a NEW MySQL connection, ONE INSERT of the whole chunk (samples as JSON text) in autocommit, close;
// - only then answer 201.
// No authentication, no CloudEvents validation, no broker, no batching, no episode state.
// Run as its own process; env BASELINE_MYSQL_URL and BASELINE_PREDICTOR_URL. Sends {type:'ready', url}
// over IPC (or prints it).

import http from 'node:http';
import mysql from 'mysql2/promise';
import { toolSettings } from '../../config/env.ts';
import { serveOneAtATime } from './one-at-a-time.ts';

interface Chunk {
  patientId: string;
  deviceId: string;
  startTime: string;
  sampleRateHz: number;
  channels: string[];
  samples: number[][];
}

const { BASELINE_MYSQL_URL: mysqlUrl, BASELINE_PREDICTOR_URL: predictorUrl } = toolSettings();
const conn = await mysql.createConnection(mysqlUrl!);
await conn.query(`CREATE TABLE IF NOT EXISTS baseline_eeg_chunks (
  id BIGINT AUTO_INCREMENT PRIMARY KEY, event_id VARCHAR(255), patient_id VARCHAR(64), device_id VARCHAR(64),
  start_time VARCHAR(40), sample_rate_hz DOUBLE, channels TEXT, samples LONGTEXT, probability DOUBLE)`);

/** POST to the predictor on a connection of its own (no keep-alive agent), as the prototype did. */
function predict(samples: number[][], sampleRateHz: number): Promise<number> {
  const body = JSON.stringify({ samples, sampleRateHz });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${predictorUrl}/predict`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`predictor answered ${res.statusCode}`));
          else
            resolve(
              (JSON.parse(Buffer.concat(parts).toString('utf8')) as { probability: number }).probability,
            );
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function handle(req: http.IncomingMessage, body: string): Promise<[number, string]> {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(body) as Chunk;
  } catch {
    return [400, '{"error":"invalid JSON"}'];
  }
  if (
    !Array.isArray(chunk.samples) ||
    !Array.isArray(chunk.channels) ||
    typeof chunk.sampleRateHz !== 'number'
  )
    return [400, '{"error":"missing fields"}'];
  const probability = await predict(chunk.samples, chunk.sampleRateHz);
  const db = await mysql.createConnection(mysqlUrl!);
  try {
    await db.execute(
      'INSERT INTO baseline_eeg_chunks (event_id, patient_id, device_id, start_time, sample_rate_hz, channels, samples, probability) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        String(req.headers['ce-id'] ?? ''),
        chunk.patientId,
        chunk.deviceId,
        chunk.startTime,
        chunk.sampleRateHz,
        chunk.channels.join(','),
        JSON.stringify(chunk.samples),
        probability,
      ],
    );
  } finally {
    await db.end();
  }
  return [201, JSON.stringify({ probability })];
}

const server = serveOneAtATime(handle);
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'stop') {
    server.close();
    await conn.end();
    process.send!({ type: 'stopped' }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
