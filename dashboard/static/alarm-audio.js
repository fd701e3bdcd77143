// Audible alarm signals generated with Web Audio in the IEC 60601-1-8 patterns: high priority is the
// 10-pulse burst (3 + 2, pause, 3 + 2), repeated; medium is a 3-pulse burst, repeated; low is one pulse,
// sounded once when the alarm is raised. Only the most urgent unacknowledged alarm is heard. Every pulse
// scheduled is also written to window.__vigilAudio (priority, AudioContext time, frequency, duration), so
// the pattern can be checked in a real browser.

/** Pulse duration td and spacing x (s) from IEC 60601-1-8 Table 4 (td 75-200 ms, x 50-125 ms). */
const TD = 0.15;
const X = 0.1;
const GAP = 2 * X + TD; // between the 3rd and 4th pulse, and the 8th and 9th
const MID = 0.5; // between the 5th and 6th pulse (0.35-1.30 s)

function burst(groups) {
  const starts = [];
  let t = 0;
  groups.forEach((group, g) => {
    for (let i = 0; i < group.count; i++) {
      starts.push(Number(t.toFixed(3)));
      t += TD + (i < group.count - 1 ? X : 0);
    }
    if (g < groups.length - 1) t += groups[g + 1].before;
  });
  return starts;
}

export const PATTERNS = {
  high: {
    starts: burst([
      { count: 3 },
      { count: 2, before: GAP },
      { count: 3, before: MID },
      { count: 2, before: GAP },
    ]),
    /** Burst start to burst start (interburst interval 2.5-15 s). */
    repeatS: 7,
    frequency: 880,
  },
  medium: { starts: burst([{ count: 3 }]), repeatS: 10, frequency: 660 },
  low: { starts: [0], repeatS: null, frequency: 440 },
};
export const PULSE_S = TD;

export class AlarmAudio {
  constructor() {
    this.ctx = null;
    this.nextBurst = { high: 0, medium: 0 };
    this.playing = null;
    window.__vigilAudio = window.__vigilAudio ?? [];
  }

  /** Needs a user gesture in most browsers (the "Enable alarm sound" button). */
  async enable() {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === 'suspended') await this.ctx.resume();
    return this.ctx.state === 'running';
  }

  get enabled() {
    return this.ctx !== null && this.ctx.state === 'running';
  }

  pulse(priority, at) {
    const p = PATTERNS[priority];
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    // A square wave carries the harmonics the standard asks for (at least four within 300-4000 Hz).
    osc.type = 'square';
    osc.frequency.value = p.frequency;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.2, at + 0.01);
    gain.gain.setValueAtTime(0.2, at + PULSE_S - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + PULSE_S);
    osc.connect(gain).connect(this.ctx.destination);
    osc.start(at);
    osc.stop(at + PULSE_S);
    window.__vigilAudio.push({ priority, at, frequency: p.frequency, duration: PULSE_S });
  }

  burst(priority) {
    const t0 = this.ctx.currentTime + 0.05;
    for (const s of PATTERNS[priority].starts) this.pulse(priority, t0 + s);
  }

  /** One low-priority tone, for a newly raised low alarm. */
  chime() {
    if (this.enabled) this.burst('low');
  }

  /**
   * Called often (every 250 ms): sounds the burst of `priority` (the most urgent unacknowledged alarm's,
   * or null for silence) when it is due. A more urgent alarm starts its burst at once.
   */
  update(priority) {
    if (!this.enabled || (priority !== 'high' && priority !== 'medium')) {
      this.playing = null;
      return;
    }
    const now = this.ctx.currentTime;
    if (this.playing !== priority) {
      this.playing = priority;
      this.nextBurst[priority] = now;
    }
    if (now >= this.nextBurst[priority]) {
      this.burst(priority);
      this.nextBurst[priority] = now + PATTERNS[priority].repeatS;
    }
  }
}
