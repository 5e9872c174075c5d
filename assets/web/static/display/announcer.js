// The web display's call-outs: the same rules as internal/voice/announce's
// Announcer (docs/ANNOUNCEMENTS.md): every call and recall once, in order,
// one at a time; a call arriving while 2 or more wait is played short (no
// chime, no English); a snapshot is never announced and marks its history as
// heard, so a reconnect or a reload never repeats an old call.

import { script } from './script.js';

const SHORTEN_AFTER = 2;
const REMEMBER = 2048;
const TIMEOUT_MS = 30000;

function callKey(c) {
  const t = c.ticket || {}, k = c.counter || {};
  return ['call', t.id, t.code, k.id, c.at, !!c.recall, t.recalls || 0].join('\u0000');
}

/** RecentSet remembers the last n keys added. */
class RecentSet {
  constructor(n) { this.n = n; this.set = new Set(); this.order = []; }
  has(k) { return this.set.has(k); }
  add(k) {
    if (this.set.has(k)) return;
    this.set.add(k);
    this.order.push(k);
    if (this.order.length > this.n) this.set.delete(this.order.shift());
  }
}

export class Announcer {
  /**
   * player: {play(clips) → Promise} plays one script; options {readNumbers,
   * english}. onQueued(script, call) is told of every call-out queued (the
   * tests and the page's log use it).
   */
  constructor(player, options = {}, onQueued = null) {
    this.player = player;
    this.options = options;
    this.onQueued = onQueued;
    this.queue = [];
    this.seen = new RecentSet(REMEMBER);
    this.floor = { epoch: '', seq: 0 };
    this.playing = false;
  }

  setOptions(o) { this.options = Object.assign({}, this.options, o); }

  /** handle takes every event of the display's feed and reports whether it queued a call-out. */
  handle(ev) {
    if (ev.type === 'snapshot') {
      const b = ev.data || {};
      this.floor = { epoch: b.epoch || ev.epoch || '', seq: b.seq || ev.seq || 0 };
      for (const c of b.recent || []) this.seen.add(callKey(c));
      return false;
    }
    if (ev.type !== 'ticket.called' && ev.type !== 'ticket.recalled') return false;
    if (ev.epoch && ev.epoch === this.floor.epoch && ev.seq <= this.floor.seq) return false;
    const c = Object.assign({}, ev.data || {});
    if (!c.ticket || !c.counter) return false;
    if (ev.type === 'ticket.recalled') c.recall = true;
    const evKey = ev.seq > 0 ? ['event', ev.epoch, ev.seq].join('\u0000') : '';
    const ck = callKey(c);
    if ((evKey && this.seen.has(evKey)) || this.seen.has(ck)) return false;
    if (evKey) this.seen.add(evKey);
    this.seen.add(ck);
    // Decided on arrival: the first calls of a burst keep the chime, later
    // ones are quicker, so the queue drains in bounded time.
    const short = this.queue.length >= SHORTEN_AFTER;
    const clips = script(c, { readNumbers: this.options.readNumbers, english: this.options.english, short });
    this.queue.push(clips);
    if (this.onQueued) this.onQueued(clips, c);
    this.pump();
    return true;
  }

  async pump() {
    if (this.playing) return;
    this.playing = true;
    try {
      while (this.queue.length > 0) {
        const clips = this.queue.shift();
        let timer;
        const timeout = new Promise((resolve) => { timer = setTimeout(resolve, TIMEOUT_MS); });
        try {
          await Promise.race([this.player.play(clips), timeout]);
        } catch (e) {
          console.warn('civiq: call-out failed', e);
        } finally {
          clearTimeout(timer);
        }
      }
    } finally {
      this.playing = false;
    }
  }
}

/**
 * WebAudioPlayer plays scripts from the server's clips (GET /sounds/NAME.wav),
 * decoded once and scheduled back to back. Browsers keep audio locked until a
 * first tap: until unlock() runs from a gesture (or the TV allows autoplay),
 * play() returns at once and the board still shows every call.
 */
export class WebAudioPlayer {
  constructor() {
    const AC = window.AudioContext || window.webkitAudioContext;
    this.ctx = AC ? new AC() : null;
    this.buffers = new Map();
    this.loading = new Map();
  }

  get unlocked() { return !!this.ctx && this.ctx.state === 'running'; }

  /** unlock resumes audio; call it from a tap or key press. */
  async unlock() {
    if (!this.ctx) return false;
    try {
      await this.ctx.resume();
      // A silent buffer started inside the gesture unlocks iOS-like browsers too.
      const src = this.ctx.createBufferSource();
      src.buffer = this.ctx.createBuffer(1, 1, 22050);
      src.connect(this.ctx.destination);
      src.start();
    } catch (e) {
      console.warn('civiq: audio unlock failed', e);
    }
    return this.unlocked;
  }

  load(name) {
    if (this.buffers.has(name)) return Promise.resolve(this.buffers.get(name));
    if (!this.loading.has(name)) {
      const p = fetch('/sounds/' + name + '.wav')
        .then((r) => { if (!r.ok) throw new Error('clip ' + name + ': HTTP ' + r.status); return r.arrayBuffer(); })
        .then((data) => this.ctx.decodeAudioData(data))
        .then((buf) => { this.buffers.set(name, buf); this.loading.delete(name); return buf; })
        .catch((e) => { this.loading.delete(name); throw e; });
      this.loading.set(name, p);
    }
    return this.loading.get(name);
  }

  /** preload fetches every clip the server lists, so the first call-out has no gaps. */
  async preload() {
    if (!this.ctx) return;
    try {
      const names = await (await fetch('/sounds/')).json();
      await Promise.allSettled(names.map((n) => this.load(n)));
    } catch (e) {
      console.warn('civiq: preload clips', e);
    }
  }

  async play(clips) {
    if (!this.unlocked) return;
    const bufs = [];
    for (const name of clips) {
      try {
        bufs.push(await this.load(name));
      } catch (e) {
        console.warn('civiq:', e.message); // a missing clip is skipped, the rest still speaks
      }
    }
    let t = this.ctx.currentTime + 0.05;
    let last = null;
    for (const b of bufs) {
      const src = this.ctx.createBufferSource();
      src.buffer = b;
      src.connect(this.ctx.destination);
      src.start(t);
      t += b.duration;
      last = src;
    }
    if (!last) return;
    await new Promise((resolve) => { last.onended = resolve; });
  }
}
