// A Knative Service's address in the rehearsal: what Kourier and the activator/queue-proxy do for a
// revision's pods, as a TEST FIXTURE for the cluster path. Each request goes to the next ready pod in
// turn (round-robin), a pod never holds more than `containerConcurrency` requests at once (0: no
// limit), requests wait in a queue while every pod is busy or none is ready (the activator buffers
// them), and a request gets `timeoutSeconds` in all (504 after that). A pod that dies mid-request
// (connection reset before the response) answers 503, as Envoy does, so the broker retries.
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { closeServer, listenOn } from '../listen.ts';

export interface Endpoint {
  id: string;
  host: string;
  port: number;
  ready: boolean;
  inFlight: number;
}

export interface ServiceProxyOptions {
  name: string;
  containerConcurrency: number;
  timeoutSeconds: number;
}

interface Waiter {
  resolve: (e: Endpoint) => void;
  timer: NodeJS.Timeout;
}

export class ServiceProxy {
  readonly endpoints = new Map<string, Endpoint>();
  private next = 0;
  private readonly waiting: Waiter[] = [];
  private server: Server | undefined;
  // Idle pooled sockets close after 4 s, before Node servers' 5-s keep-alive timeout closes them under a
  // request (which would surface as a spurious reset).
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
  served = 0;
  failed = 0;

  constructor(readonly opts: ServiceProxyOptions) {}

  setEndpoint(id: string, host: string, port: number): void {
    if (!this.endpoints.has(id)) this.endpoints.set(id, { id, host, port, ready: false, inFlight: 0 });
  }

  /** Readiness from the pod's probe; a dead pod is not ready at once (its endpoint is removed). */
  setReady(id: string, ready: boolean): void {
    const e = this.endpoints.get(id);
    if (!e || e.ready === ready) return;
    e.ready = ready;
    if (ready) this.serveWaiting();
  }

  readyCount(): number {
    return [...this.endpoints.values()].filter((e) => e.ready).length;
  }

  private hasRoom(e: Endpoint): boolean {
    return e.ready && (this.opts.containerConcurrency === 0 || e.inFlight < this.opts.containerConcurrency);
  }

  /** The next ready pod with room, in round-robin order. */
  private pick(): Endpoint | undefined {
    const list = [...this.endpoints.values()];
    for (let i = 0; i < list.length; i++) {
      const e = list[(this.next + i) % list.length]!;
      if (this.hasRoom(e)) {
        this.next = (this.next + i + 1) % list.length;
        return e;
      }
    }
    return undefined;
  }

  private serveWaiting(): void {
    while (this.waiting.length) {
      const e = this.pick();
      if (!e) return;
      const w = this.waiting.shift()!;
      clearTimeout(w.timer);
      e.inFlight++;
      w.resolve(e);
    }
  }

  private acquire(timeoutMs: number): Promise<Endpoint | undefined> {
    const e = this.waiting.length ? undefined : this.pick();
    if (e) {
      e.inFlight++;
      return Promise.resolve(e);
    }
    return new Promise((resolve) => {
      const w: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(undefined);
        }, timeoutMs),
      };
      this.waiting.push(w);
    });
  }

  private release(e: Endpoint): void {
    e.inFlight--;
    this.serveWaiting();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deadline = Date.now() + this.opts.timeoutSeconds * 1000;
    const e = await this.acquire(this.opts.timeoutSeconds * 1000);
    if (!e) {
      this.failed++;
      return fail(res, 503, `${this.opts.name}: no ready pod within ${this.opts.timeoutSeconds} s`);
    }
    let released = false;
    const done = () => {
      if (!released) {
        released = true;
        this.release(e);
      }
    };
    const up = request({
      host: e.host,
      port: e.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: this.agent,
      timeout: Math.max(1, deadline - Date.now()),
    });
    up.on('response', (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
      r.on('end', () => {
        this.served++;
        done();
      });
      r.on('error', () => {
        done();
        res.destroy();
      });
    });
    up.on('timeout', () => up.destroy(new Error('timeout')));
    up.on('error', (err) => {
      done();
      this.failed++;
      if (res.headersSent) res.destroy();
      else if (err.message === 'timeout')
        fail(res, 504, `${this.opts.name}: no answer within ${this.opts.timeoutSeconds} s`);
      else
        fail(
          res,
          503,
          `${this.opts.name}: upstream connect error or reset before headers (${(err as NodeJS.ErrnoException).code ?? err.message})`,
        );
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return `http://${host}:${await listenOn(server, port, host)}`;
  }

  async close(): Promise<void> {
    for (const w of this.waiting.splice(0)) clearTimeout(w.timer);
    this.agent.destroy();
    const s = this.server;
    this.server = undefined;
    await closeServer(s);
  }
}

function fail(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
