// Hostile CloudEvents at the door, over real HTTP against the real runtime on both backends: every
// malformed attribute is a 4xx naming it, nothing of it reaches the broker, and another device's
// requests in flight at the same time are all accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../eventing/contract.ts';
import { startTestRuntime, type TestRuntime } from '../../runtime/testing.ts';
import { type EnrolledDevice, enrollDevice } from '../../storage/patients-store.ts';
import { recorderOnly } from '../testing.ts';

let n = 0;
const nextId = () => `hostile-${Date.now()}-${n++}`;

function hr(device: EnrolledDevice, extra: Record<string, unknown> = {}, id = nextId()) {
  return {
    specversion: '1.0',
    id,
    source: `/devices/${device.deviceId}`,
    type: EVENT_TYPES.heartRateSample,
    subject: 'patient-1',
    datacontenttype: 'application/json',
    data: {
      patientId: 'patient-1',
      deviceId: device.deviceId,
      source: 'watch',
      samples: [
        {
          time: `2026-11-26T10:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z`,
          bpm: 70,
        },
      ],
    },
    ...extra,
  };
}

/** An event whose extension `deep` nests `depth` objects, as JSON text (JSON.stringify of it would overflow). */
function withDeepExtension(ev: object, depth: number): string {
  return `${JSON.stringify(ev).slice(0, -1)},"deep":${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}}`;
}

describe.each(['sqlite', 'mysql'] as const)('hostile CloudEvents on %s', (backend) => {
  let rt: TestRuntime;
  let other: EnrolledDevice;
  const post = (device: EnrolledDevice, body: BodyInit, headers: Record<string, string>) =>
    fetch(rt.ingestUrl, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${device.token}`, ...headers },
    });
  const structured = (device: EnrolledDevice, ev: unknown) =>
    post(device, JSON.stringify(ev), { 'content-type': 'application/cloudevents+json' });
  const binary = (device: EnrolledDevice, headers: Record<string, string>) =>
    post(device, JSON.stringify(hr(device).data), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': nextId(),
      'ce-source': `/devices/${device.deviceId}`,
      'ce-type': EVENT_TYPES.heartRateSample,
      ...headers,
    });
  const stored = async () => Number((await rt.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'))?.n);

  beforeAll(async () => {
    rt = await startTestRuntime(backend, { functions: await recorderOnly() });
    other = await enrollDevice(rt.db, { patientId: 'patient-1', kind: 'watch' });
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('answers 400 naming the header for malformed or invalid percent-encoding, never 5xx', async () => {
    for (const bad of ['x%E0%A4%A', 'x%', 'x%zz', 'x%C0%A0', 'x%ED%A0%80']) {
      const res = await binary(rt.device, { 'ce-id': bad });
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const p = await res.json();
      expect(p.errors[0].pointer, bad).toBe('header:ce-id');
      expect(p.status).toBe(400);
    }
    // Well-formed encoding of an allowed value is decoded and accepted.
    const ok = await binary(rt.device, { 'ce-id': `ok%2D${nextId()}` });
    expect(ok.status).toBe(202);
  });

  it('refuses ids and subjects with NUL, newline, bidi overrides or HTML, in both modes', async () => {
    for (const bad of ['a%00b', 'a%0Ab', 'a%E2%80%AEb', '%3Cscript%3E', 'a%20b']) {
      const res = await binary(rt.device, { 'ce-id': bad });
      expect(res.status, bad).toBe(400);
      expect((await res.json()).errors[0].pointer).toBe('header:ce-id');
    }
    for (const bad of ['a\u0000b', 'a\nb', 'a\u202eb', '<img src=x onerror=alert(1)>', 'x'.repeat(256)]) {
      const res = await structured(rt.device, hr(rt.device, {}, bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await res.json()).errors[0].pointer).toBe('/id');
      const sub = await structured(rt.device, hr(rt.device, { subject: bad }));
      expect(sub.status).toBe(400);
      expect((await sub.json()).errors[0].pointer).toBe('/subject');
    }
  });

  it('types extension attributes as scalars within a length limit', async () => {
    const cases: Array<[string, unknown]> = [
      ['obj', { a: 1 }],
      ['arr', [1, 2]],
      ['float', 1.5],
      ['big', 2 ** 31],
      ['long', 'x'.repeat(4097)],
      ['ctl', 'a\u0007b'],
    ];
    for (const [name, value] of cases) {
      const res = await structured(rt.device, hr(rt.device, { [name]: value }));
      expect(res.status, name).toBe(400);
      expect((await res.json()).errors[0].pointer).toBe(`/${name}`);
    }
    const badName = await structured(rt.device, hr(rt.device, { 'Bad-Name': 'x' }));
    expect(badName.status).toBe(400);
    // Scalars of every CloudEvents type pass; null means unset and is dropped.
    const id = nextId();
    const ok = await structured(
      rt.device,
      hr(
        rt.device,
        { flag: true, count: -42, link: 'https://example.org/x', at: '2026-01-01T00:00:00Z', gone: null },
        id,
      ),
    );
    expect(ok.status).toBe(202);
  });

  it('reads ce-samplerate strictly: 0x10 is a 4xx naming it, not 16 Hz', async () => {
    // float32 little-endian, as the compact EEG body is (this machine is little-endian).
    const body = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    for (const rate of ['0x10', '1e2', '+16', '-16', 'Infinity', '16Hz', '']) {
      const res = await post(rt.device, body, {
        'content-type': 'application/octet-stream',
        'ce-specversion': '1.0',
        'ce-id': nextId(),
        'ce-source': `/devices/${rt.device.deviceId}`,
        'ce-type': EVENT_TYPES.eegChunk,
        'ce-patientid': 'patient-1',
        'ce-deviceid': rt.device.deviceId,
        'ce-starttime': '2026-11-26T10:00:00Z',
        'ce-samplerate': rate,
        'ce-channels': 'C3',
        'ce-unit': 'uV',
      });
      expect(res.status, JSON.stringify(rate)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(rate)).toBeLessThan(500);
      expect((await res.json()).errors[0].pointer).toMatch(/^header:ce-samplerate$/);
    }
  });

  it('refuses a 5,000-level nested extension at the door while another device is acknowledged', async () => {
    const before = await stored();
    const deep = withDeepExtension(hr(rt.device), 5000);
    const bad = Array.from({ length: 5 }, () =>
      post(rt.device, deep, { 'content-type': 'application/cloudevents+json' }),
    );
    const good = Array.from({ length: 40 }, () => structured(other, hr(other)));
    const [badRes, goodRes] = await Promise.all([Promise.all(bad), Promise.all(good)]);
    for (const r of badRes) {
      expect(r.status).toBe(400);
      expect((await r.json()).errors[0].pointer).toBe('/deep');
    }
    expect(goodRes.map((r) => r.status)).toEqual(goodRes.map(() => 202));
    await rt.idle();
    expect(await stored()).toBe(before + 40);
    // In a batch the bad event is named by its index and nothing of the batch is stored.
    const batch = await post(
      rt.device,
      `[${JSON.stringify(hr(rt.device))},${withDeepExtension(hr(rt.device), 5000)}]`,
      {
        'content-type': 'application/cloudevents-batch+json',
      },
    );
    expect(batch.status).toBe(400);
    expect((await batch.json()).errors[0].pointer).toBe('/1/deep');
    await rt.idle();
    expect(await stored()).toBe(before + 40);
  });
});
