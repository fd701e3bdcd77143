// Starts perf/baseline/flask_ingest.py (the prototype's ingest service in Flask) with Debian's
// /usr/bin/python3 and waits for its "ready URL" line.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, 'flask_ingest.py');

export interface FlaskIngest {
  url: string;
  stop(): Promise<void>;
}

export async function startFlaskIngest(mysqlUrl: string, predictorUrl: string): Promise<FlaskIngest> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/setup-flask-baseline.sh`);
  const proc: ChildProcess = spawn(PYTHON, [SCRIPT], {
    env: { PATH: '/usr/bin:/bin', BASELINE_MYSQL_URL: mysqlUrl, BASELINE_PREDICTOR_URL: predictorUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('flask_ingest.py: not ready within 30 s')), 30_000);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /ready (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `flask_ingest.py exited with code ${code} before it was ready (scripts/setup-flask-baseline.sh installs its packages): ${stderr}`,
        ),
      );
    });
  });
  return {
    url,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
