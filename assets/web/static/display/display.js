// The web hall display (/display): the same board as the Fyne display, kept
// current over the websocket by the staff pages' Live (snapshot, then events
// reduced with board.js; reconnect with backoff and resume with since and
// epoch), with the same call-outs played through Web Audio.
//
// The device token comes in the address (/display?token=…, the admin's
// pairing QR code), is kept in localStorage and removed from the address bar
// at once, so it does not stay on screen or in the history.

import { Live } from '/static/staff/live.js';
import { Announcer, WebAudioPlayer } from './announcer.js';
import { disruptionNotice } from './disruption.js';

const TOKEN_KEY = 'civiq.display.token';
const SETTINGS_KEY = 'civiq.display.settings';
const FLASH_MS = 8000;
const BLINK_MS = 500;
const ALTERNATE_MS = 12000;
const RECENT_SHOWN = 7;
const NOTICE_PX_PER_S = 120;

const L = {
  vi: {
    counter: (n) => 'Quầy ' + n, calling: 'Mời công dân có số', recall: 'Xin nhắc lại số',
    counters: 'Các quầy đang phục vụ', recent: 'Số vừa gọi', waiting: 'Đang chờ',
    offline: '⚠ MẤT KẾT NỐI – đang kết nối lại…', none: 'Chưa có quầy nào mở', idle: 'Xin chào!',
    paused: 'Tạm dừng', title: 'Trung tâm Phục vụ hành chính công',
    days: ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'],
    revoked: 'Mã thiết bị không còn hiệu lực (đã bị thu hồi?).',
  },
  en: {
    counter: (n) => 'Counter ' + n, calling: 'Now serving number', recall: 'Calling again',
    counters: 'Counters serving', recent: 'Recent calls', waiting: 'Waiting',
    offline: '⚠ OFFLINE – reconnecting…', none: 'No counter is open', idle: 'Welcome!',
    paused: 'Paused', title: 'Public Administrative Service Centre',
    days: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    revoked: 'The device token is no longer valid (revoked?).',
  },
};
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const $ = (id) => document.getElementById(id);

/** DisplayApi is the HTTP client of a device: bearer token, JSON, timeouts. */
class DisplayApi {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
    this.clockSkew = 0;
  }

  async request(method, path, body, opts = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeout || 10000);
    let resp;
    try {
      resp = await fetch(path, {
        method, cache: 'no-store', signal: ctl.signal,
        headers: Object.assign({ Authorization: 'Bearer ' + this.token, Accept: 'application/json' },
          body === undefined ? {} : { 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const err = new Error(String(e && e.message || e));
      err.network = true;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const date = Date.parse(resp.headers.get('Date') || '');
    if (!Number.isNaN(date)) this.clockSkew = date - Date.now();
    if (resp.status === 401) {
      if (this.onUnauthorized) this.onUnauthorized();
      const err = new Error('unauthorized');
      err.status = 401;
      throw err;
    }
    if (!resp.ok) {
      const err = new Error('HTTP ' + resp.status);
      err.status = resp.status;
      throw err;
    }
    return resp.status === 204 ? null : resp.json();
  }

  get(path, opts) { return this.request('GET', path, undefined, opts); }
  post(path, body, opts) { return this.request('POST', path, body, opts); }
  now() { return Date.now() + this.clockSkew; }
}

/** DisplayLive is Live with the device token on the websocket address. */
class DisplayLive extends Live {
  constructor(api, handlers, token) {
    super(api, handlers);
    this.token = token;
  }

  url() {
    const u = super.url();
    return u + (u.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(this.token);
  }
}

/** grid picks columns and rows for n tiles in w×h (the Fyne display's view.Grid). */
export function grid(n, w, h) {
  if (n <= 0 || w <= 0 || h <= 0) return [0, 0];
  let best = -1, cols = 0, rows = 0;
  for (let c = 1; c <= n; c++) {
    const r = Math.ceil(n / c);
    const usable = Math.min(h / r, w / c / 2.2);
    if (usable > best + 0.5) { best = usable; cols = c; rows = r; }
  }
  return [cols, rows];
}

function parts(ms, tz) {
  const opts = { year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, weekday: 'short' };
  let f;
  try {
    f = new Intl.DateTimeFormat('en-GB', Object.assign({ timeZone: tz || undefined }, opts));
  } catch {
    f = new Intl.DateTimeFormat('en-GB', opts); // an unknown zone: the TV's own clock
  }
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday);
  return { y: p.year, m: Number(p.month), d: Number(p.day), hh: p.hour === '24' ? '00' : p.hour, mm: p.minute, wd };
}

// fit gives el the biggest font size up to max at which its text fits its width.
function fit(el, max) {
  const key = el.textContent + '|' + max + '|' + el.clientWidth;
  if (el.dataset.fit === key) return;
  el.style.fontSize = max + 'px';
  if (el.scrollWidth > el.clientWidth && el.scrollWidth > 0) {
    el.style.fontSize = Math.max(10, Math.floor(max * el.clientWidth / el.scrollWidth)) + 'px';
  }
  el.dataset.fit = key;
}

function text(id, s) {
  const el = $(id);
  if (el.textContent !== s) el.textContent = s;
}

/** Screen draws boards. */
class Screen {
  constructor(settings, clock) {
    // clock is the server's time (the TV's own clock is often wrong).
    this.clock = clock;
    this.langs = settings.lang === 'vi' ? ['vi'] : settings.lang === 'en' ? ['en'] : ['vi', 'en'];
    this.start = Date.now();
    this.board = null;
    this.online = false;
    this.flashUntil = 0;
    this.lastTiles = '';
    this.lastNotice = '';
  }

  lang() { return this.langs[Math.floor((Date.now() - this.start) / ALTERNATE_MS) % this.langs.length]; }

  update(board, ev, online) {
    this.board = board;
    this.online = online;
    if (ev && (ev.type === 'ticket.called' || ev.type === 'ticket.recalled')) this.flashUntil = Date.now() + FLASH_MS;
    this.render();
  }

  render(now = Date.now()) {
    const wall = this.clock ? this.clock() : now;
    const b = this.board || { counters: [], recent: [], waiting: {}, services: [], centre: null };
    const lang = this.lang();
    const t = L[lang];
    document.documentElement.lang = lang;
    const centre = b.centre || {};
    const name = (x) => (x && (lang === 'en' && x.en ? x.en : x.vi)) || '';
    const counterLabel = (c) => (c.number > 0 ? t.counter(c.number) : name(c.name));
    const p = parts(wall, centre.timezone);

    text('title', name(centre.name) || t.title);
    text('clock', p.hh + ':' + p.mm);
    text('date', lang === 'vi' ? `${t.days[p.wd]}, ${String(p.d).padStart(2, '0')}/${String(p.m).padStart(2, '0')}/${p.y}`
      : `${t.days[p.wd]}, ${p.d} ${MONTHS[p.m - 1]} ${p.y}`);
    $('offline').hidden = this.online;
    text('offline', t.offline);

    const newest = b.recent[0] || null;
    const hero = $('hero');
    if (newest) {
      text('hero-caption', newest.recall ? t.recall : t.calling);
      text('hero-code', newest.ticket.code);
      text('hero-counter', counterLabel(newest.counter));
    } else {
      text('hero-caption', t.idle);
      text('hero-code', '');
      text('hero-counter', '');
    }
    fit($('title'), window.innerHeight * 0.042);
    this.fitHero();
    hero.classList.toggle('idle', !newest);
    const flashing = now < this.flashUntil && Math.floor((now - (this.flashUntil - FLASH_MS)) / BLINK_MS) % 2 === 0;
    hero.classList.toggle('flash', flashing);

    text('counters-title', t.counters);
    text('recent-title', t.recent);
    text('waiting-title', t.waiting);

    const tiles = [];
    for (const cs of b.counters) {
      const c = cs.counter;
      if (c.status === 'closed' && !cs.current) continue;
      const paused = c.status === 'paused';
      tiles.push({
        label: counterLabel(c), code: cs.current ? cs.current.code : paused ? t.paused : '—', paused,
        newest: !!(newest && cs.current && newest.counter.id === c.id), id: c.id,
      });
    }
    this.renderTiles(tiles, t);

    const recent = $('recent');
    const rows = b.recent.slice(1, 1 + RECENT_SHOWN).map((c) => {
      const li = document.createElement('li');
      if (c.recall) li.className = 'recall';
      const l = document.createElement('span');
      l.className = 'l';
      l.textContent = c.ticket.code;
      const r = document.createElement('span');
      r.className = 'r';
      r.textContent = counterLabel(c.counter);
      li.append(l, r);
      return li;
    });
    recent.replaceChildren(...rows);

    const waiting = [];
    const named = new Set();
    for (const s of b.services || []) {
      named.add(s.id);
      if (!s.enabled && !b.waiting[s.id]) continue;
      waiting.push([s.prefix + ' · ' + name(s.name), b.waiting[s.id] || 0]);
    }
    for (const id of Object.keys(b.waiting).sort()) {
      if (!named.has(id) && b.waiting[id] > 0) waiting.push([id, b.waiting[id]]);
    }
    const wl = $('waiting');
    wl.replaceChildren(...waiting.map(([n, k]) => {
      const li = document.createElement('li');
      const a = document.createElement('span');
      a.className = 'name';
      a.textContent = n;
      const c = document.createElement('span');
      c.className = 'n';
      c.textContent = String(k);
      li.append(a, c);
      return li;
    }));
    // The rows' share of the screen is fixed (about 29 % of its height:
    // the waiting panel less its title), so the font follows from the count
    // alone, in vh, with no measuring while the layout settles.
    if (waiting.length > 0) wl.style.setProperty('--wait-font', Math.min(29 / waiting.length / 1.45, 4.5) + 'vh');

    const numberOf = (id) => { const cs = b.counters.find((x) => x.counter.id === id); return cs ? cs.counter.number : 0; };
    const dn = disruptionNotice(b.disruptions, numberOf);
    if (dn.vi !== this.lastDisruption) {
      this.lastDisruption = dn.vi;
      $('disruption').hidden = !dn.vi;
      text('disruption-vi', dn.vi);
      text('disruption-en', dn.en);
      this.lastTiles = ''; // the tiles' box changed height
      requestAnimationFrame(() => this.render());
    }

    const notice = name(centre.notice);
    if (notice !== this.lastNotice) {
      this.lastNotice = notice;
      $('notice').textContent = notice;
      this.scrollNotice();
    }
  }

  renderTiles(tiles, t) {
    const box = $('tiles');
    document.getElementById('board').classList.toggle('many', tiles.length > 12);
    const key = JSON.stringify(tiles) + '|' + window.innerWidth + 'x' + window.innerHeight;
    if (key === this.lastTiles) return;
    this.lastTiles = key;
    if (tiles.length === 0) {
      const e = document.createElement('div');
      e.className = 'empty';
      e.textContent = t.none;
      box.style.gridTemplateColumns = '1fr';
      box.style.gridTemplateRows = '1fr';
      box.replaceChildren(e);
      return;
    }
    const w = box.clientWidth, h = box.clientHeight;
    const [cols, rows] = grid(tiles.length, w, h);
    const gap = window.innerHeight * 0.008;
    const tw = (w - gap * (cols - 1)) / cols, th = (h - gap * (rows - 1)) / rows;
    box.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
    box.style.gridTemplateRows = `repeat(${rows}, 1fr)`;
    // The code ("A012", about 2.9 em wide in bold) fills most of the tile.
    box.style.setProperty('--tile-font', Math.max(10, Math.min(th * 0.5, tw / 3.4)) + 'px');
    box.replaceChildren(...tiles.map((x) => {
      const d = document.createElement('div');
      d.className = 'tile' + (x.newest ? ' newest' : '') + (x.paused ? ' paused' : '');
      d.dataset.counter = x.id;
      const l = document.createElement('div');
      l.className = 'label';
      l.textContent = x.label;
      const c = document.createElement('div');
      c.className = 'code';
      c.textContent = x.code;
      d.append(l, c);
      return d;
    }));
  }

  resize() {
    this.lastTiles = '';
    this.render();
    this.scrollNotice();
  }

  // scrollNotice starts the notice at the left margin (readable at once),
  // moves it left at a steady speed and, once gone, brings it in from the
  // right edge, like the Fyne display.
  scrollNotice() {
    const el = $('notice');
    if (this.noticeAnim) this.noticeAnim.cancel();
    this.noticeAnim = null;
    requestAnimationFrame(() => {
      const w = el.scrollWidth, vw = window.innerWidth;
      if (!el.textContent || w === 0 || !el.animate) return;
      const out = w / (w + vw); // the share of a pass spent leaving
      this.noticeAnim = el.animate([
        { transform: 'translateX(0)' },
        { transform: `translateX(${-w}px)`, offset: out },
        { transform: `translateX(${vw}px)`, offset: out },
        { transform: 'translateX(0)' },
      ], { duration: ((w + vw) / NOTICE_PX_PER_S) * 1000, iterations: Infinity });
    });
  }

  // fitHero sizes the newest call as big as its panel allows: the code
  // about 60 % of the panel's height, the counter smaller beside it.
  fitHero() {
    const hero = $('hero');
    const hh = hero.clientHeight, hw = hero.clientWidth;
    const key = hh + 'x' + hw + $('hero-code').textContent + $('hero-counter').textContent;
    if (key === this.lastHero) return;
    this.lastHero = key;
    let size = hh * 0.56;
    hero.style.setProperty('--code-font', size + 'px');
    // Measured at that size, then shrunk in proportion if the line is too wide.
    const need = $('hero-code').scrollWidth + $('hero-counter').scrollWidth + window.innerHeight * 0.06;
    if (need > hw * 0.94) size *= (hw * 0.94) / need;
    hero.style.setProperty('--code-font', size + 'px');
  }
}

function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  const settings = JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}');
  for (const k of ['lang', 'voice']) {
    if (url.searchParams.has(k)) settings[k] = url.searchParams.get(k);
  }
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  if (fromUrl) localStorage.setItem(TOKEN_KEY, fromUrl.trim());
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search);
  }
  return { token: localStorage.getItem(TOKEN_KEY) || '', settings };
}

function showPairing(reason) {
  $('board').hidden = true;
  $('sound-prompt').hidden = true;
  $('pair').hidden = false;
  $('pair-reason').textContent = reason || '';
  $('pair-form').onsubmit = (e) => {
    e.preventDefault();
    const tok = $('pair-token').value.trim();
    if (!tok) return;
    localStorage.setItem(TOKEN_KEY, tok);
    location.reload();
  };
}

function main() {
  const { token, settings } = takeToken();
  if (!token) {
    showPairing('');
    return;
  }
  let live = null;
  const api = new DisplayApi(token, () => {
    // The token was revoked or mistyped: forget it and ask for a new one.
    localStorage.removeItem(TOKEN_KEY);
    if (live) live.stop();
    showPairing(L.vi.revoked + ' ' + L.en.revoked);
  });

  const player = new WebAudioPlayer();
  // Exposed for the browser tests (server/webtest/display_test.go) and for
  // a technician's console: what was queued, and the live state.
  const state = { announced: [], board: null, online: false };
  window.civiqDisplay = state;
  const english = settings.voice === 'vi+en';
  const announcer = new Announcer(player, { english }, (clips, c) => state.announced.push({ code: c.ticket.code, counter: c.counter.number, recall: !!c.recall, clips }));
  const screen = new Screen(settings, () => api.now());
  $('board').hidden = false;
  screen.resize();

  // One tap (or key press) unlocks sound; a TV that allows autoplay never
  // shows the prompt.
  const prompt = $('sound-prompt');
  const unlock = async () => {
    if (await player.unlock()) {
      prompt.hidden = true;
      document.removeEventListener('pointerdown', unlock);
      document.removeEventListener('keydown', unlock);
    }
  };
  setTimeout(() => { if (!player.unlocked && player.ctx) prompt.hidden = false; }, 300);
  state.player = player;
  document.addEventListener('pointerdown', unlock);
  document.addEventListener('keydown', unlock);
  player.preload();

  live = new DisplayLive(api, {
    onBoard(b, ev) {
      state.board = b;
      if (b.centre && b.centre.read_numbers) announcer.setOptions({ readNumbers: b.centre.read_numbers });
      // "resync" boards come from HTTP and carry no calls to announce.
      if (ev.type !== 'resync') announcer.handle(ev);
      screen.update(b, ev, live.state === 'live');
    },
    onState(s) {
      state.online = s === 'live';
      screen.online = state.online;
      screen.render();
    },
  }, token);
  live.start();

  setInterval(() => screen.render(), BLINK_MS);
  window.addEventListener('resize', () => screen.resize());
  const beat = () => api.post('/api/v1/devices/heartbeat', { version: 'web' }).catch(() => {});
  beat();
  setInterval(beat, 60000);
}

main();
