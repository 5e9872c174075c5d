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
const PAGE_MS = 9000; // each page of counters or waiting rows (view.PageEvery)
const HEALTH_MS = 10000; // how often GET /healthz is asked whether the server can save
// Floors and sizes in hundredths of the screen height (view.CodeFloor…).
const CODE_FLOOR = 5.4, CODE_MAX = 10, WAIT_FLOOR = 3.0, WAIT_MAX = 3.3;
const TILE_AH = 2.0, PAUSED_SCALE = 0.6;

const L = {
  vi: {
    counter: (n) => 'Quầy ' + n, calling: 'Mời công dân có số', recall: 'Xin nhắc lại số',
    counters: 'Các quầy đang phục vụ', recent: 'Số vừa gọi', waiting: 'Đang chờ',
    offline: 'Mất kết nối máy chủ – đang kết nối lại…', storage: 'Máy chủ không lưu được dữ liệu – cần kỹ thuật viên kiểm tra', none: 'Chưa có quầy nào mở', idle: 'Xin chào!',
    paused: 'Tạm dừng', title: 'Trung tâm Phục vụ hành chính công',
    days: ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'],
    revoked: 'Mã thiết bị không còn hiệu lực (đã bị thu hồi?).',
  },
  en: {
    counter: (n) => 'Counter ' + n, calling: 'Now serving number', recall: 'Calling again',
    counters: 'Counters serving', recent: 'Recent calls', waiting: 'Waiting',
    offline: 'Connection to the server lost – reconnecting…', storage: 'The server cannot save data – a technician must check it', none: 'No counter is open', idle: 'Welcome!',
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

function bestGrid(n, w, h, gap, aw, ah, maxS) {
  let best = { cols: 0, rows: 0, size: -1 };
  for (let c = 1; c <= n; c++) {
    const r = Math.ceil(n / c);
    const s = Math.min((w - gap * (c - 1)) / c / aw, (h - gap * (r - 1)) / r / ah, maxS);
    if (s > best.size + 0.5) best = { cols: c, rows: r, size: s };
  }
  return best;
}

/** grid lays out n tiles in w×h (the Fyne display's view.Grid): a tile with
 * its code at size s needs s·aw × s·ah; the biggest code wins, never below
 * minS: what does not fit at minS is spread evenly over pages. */
export function grid(n, w, h, gap, aw, ah, minS, maxS) {
  if (n <= 0 || w <= 0 || h <= 0) return { cols: 0, rows: 0, pages: 0, per: 0, size: 0 };
  let g = bestGrid(n, w, h, gap, aw, ah, maxS);
  if (g.size >= minS) return Object.assign(g, { pages: 1, per: n });
  const cols = Math.max(1, Math.floor((w + gap) / (minS * aw + gap)));
  const rows = Math.max(1, Math.floor((h + gap) / (minS * ah + gap)));
  const pages = Math.ceil(n / (cols * rows));
  const per = Math.ceil(n / pages);
  g = bestGrid(per, w, h, gap, aw, ah, maxS);
  if (g.size < minS) g = { cols, rows: Math.ceil(per / cols), size: minS };
  return Object.assign(g, { pages, per });
}

/** pageRows splits row heights into pages of at most h, filling each page
 * before the next (view.pageRows); it returns the first row of each page. */
export function pageRows(heights, h) {
  const starts = [];
  let used = Infinity;
  heights.forEach((x, i) => {
    if (used + x > h) { starts.push(i); used = 0; }
    used += x;
  });
  return starts;
}

const measurer = document.createElement('canvas').getContext('2d');
// emWidth is the width of s in DejaVu Sans at size 1.
function emWidth(s, bold) {
  measurer.font = (bold ? '700' : '400') + ' 100px "DejaVu Sans", sans-serif';
  return measurer.measureText(s).width / 100;
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
    // storageDown: the server answers but cannot save (GET /healthz 503).
    this.storageDown = false;
    // notices: calm lines for the banner strip, [{vi, en}] or strings.
    this.notices = [];
    // pageShift moves the pages on (tests; a technician's console).
    this.pageShift = 0;
    this.flashUntil = 0;
    this.lastTiles = '';
    this.lastWaiting = '';
    this.lastNotice = '';
    this.lastNotices = '';
  }

  lang() { return this.langs[Math.floor((Date.now() - this.start) / ALTERNATE_MS) % this.langs.length]; }

  pageTick() { return Math.floor((Date.now() - this.start) / PAGE_MS) + this.pageShift; }

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

    // The banner strip: a lost connection, a server that cannot save (known
    // only while connected), then calm notices.
    $('offline').hidden = this.online;
    text('offline', t.offline);
    $('storage').hidden = !this.online || !this.storageDown;
    text('storage', t.storage);
    const notices = this.notices.map((n) => (typeof n === 'string' ? n : name(n))).filter(Boolean);
    if (JSON.stringify(notices) !== this.lastNotices) {
      this.lastNotices = JSON.stringify(notices);
      $('notices').replaceChildren(...notices.map((n) => {
        const d = document.createElement('div');
        d.className = 'banner notice';
        d.textContent = n;
        return d;
      }));
    }

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
    fit($('title'), window.innerHeight * 0.038);
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
    document.getElementById('board').classList.toggle('many', tiles.length > 12);
    this.fitHero();
    this.renderTiles(tiles, t);

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

    // Recent calls: five, or four when more than six fields wait.
    const recent = $('recent');
    const shown = waiting.length > 6 ? 4 : 5;
    const rows = b.recent.slice(1, 1 + Math.min(RECENT_SHOWN, shown)).map((c) => {
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
    recent.style.height = (shown * 6) + 'vh';
    this.renderWaiting(waiting);

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

  // renderTiles lays the counters out with view.Grid's rule and shows the
  // page of the moment.
  renderTiles(tiles, t) {
    const box = $('tiles');
    const w = box.clientWidth, h = box.clientHeight;
    const key = JSON.stringify(tiles) + '|' + w + 'x' + h + '|' + window.innerHeight;
    if (key !== this.lastTiles) {
      this.lastTiles = key;
      this.tilePage = -1;
      const u = window.innerHeight / 100;
      // The widest code decides the tile width, at least a five-character
      // one ("A5002", an offline ticket), so the grid does not change when one appears.
      let codeW = emWidth('A0000', true);
      for (const x of tiles) codeW = Math.max(codeW, emWidth(x.code, true) * (x.paused ? PAUSED_SCALE : 1));
      const gap = 0.8 * u;
      this.tileGrid = grid(tiles.length, w, h, gap, codeW + 0.5, TILE_AH, CODE_FLOOR * u, CODE_MAX * u);
      this.tiles = tiles;
      const g = this.tileGrid;
      box.style.setProperty('--tile-font', g.size + 'px');
      box.style.setProperty('--label-font', Math.max(0.5 * g.size, WAIT_FLOOR * u) + 'px');
      box.style.gridTemplateColumns = `repeat(${g.cols || 1}, minmax(0, 1fr))`;
      box.style.gridTemplateRows = g.rows ? `repeat(${g.rows}, calc((100% - ${gap * (g.rows - 1)}px) / ${g.rows}))` : '1fr';
    }
    if (tiles.length === 0) {
      if (this.tilePage !== 0) {
        this.tilePage = 0;
        const e = document.createElement('div');
        e.className = 'empty';
        e.textContent = t.none;
        box.replaceChildren(e);
        $('tiles-page').hidden = true;
      }
      return;
    }
    const g = this.tileGrid;
    const page = ((this.pageTick() % g.pages) + g.pages) % g.pages;
    if (page === this.tilePage) return;
    this.tilePage = page;
    const mark = $('tiles-page');
    mark.hidden = g.pages <= 1;
    mark.textContent = (page + 1) + '/' + g.pages;
    box.replaceChildren(...this.tiles.slice(page * g.per, (page + 1) * g.per).map((x) => {
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

  // renderWaiting wraps each field's name on at most two lines at the
  // biggest size from WAIT_MAX down to WAIT_FLOOR (a longer one wraps more,
  // never cut), then pages the rows that do not fit.
  renderWaiting(waiting) {
    const wl = $('waiting');
    const key = JSON.stringify(waiting) + '|' + wl.clientWidth + 'x' + wl.clientHeight;
    if (key !== this.lastWaiting) {
      this.lastWaiting = key;
      this.waitPage = -1;
      const u = window.innerHeight / 100;
      const items = waiting.map(([n, k]) => {
        const li = document.createElement('li');
        const a = document.createElement('span');
        a.className = 'name';
        a.textContent = n;
        const c = document.createElement('span');
        c.className = 'n';
        c.textContent = String(k);
        li.append(a, c);
        return li;
      });
      wl.replaceChildren(...items);
      // The biggest size that shows every row on one page, else the floor and pages.
      for (let top = WAIT_MAX; ; top -= 0.1) {
        top = Math.max(top, WAIT_FLOOR);
        for (const li of items) {
          const a = li.firstChild;
          for (let f = top; ; f -= 0.1) {
            f = Math.max(f, WAIT_FLOOR);
            a.style.fontSize = (f * u) + 'px';
            const lines = Math.round(a.offsetHeight / (1.2 * f * u));
            if (lines <= 2 || f <= WAIT_FLOOR) break;
          }
        }
        this.waitStarts = pageRows(items.map((li) => li.offsetHeight), wl.clientHeight);
        if (this.waitStarts.length <= 1 || top <= WAIT_FLOOR) break;
      }
      this.waitItems = items;
    }
    const starts = this.waitStarts;
    if (!starts || starts.length === 0) {
      $('waiting-page').hidden = true;
      return;
    }
    const page = ((this.pageTick() % starts.length) + starts.length) % starts.length;
    if (page === this.waitPage) return;
    this.waitPage = page;
    const from = starts[page], to = page + 1 < starts.length ? starts[page + 1] : this.waitItems.length;
    this.waitItems.forEach((li, i) => {
      li.hidden = i < from || i >= to;
      li.classList.toggle('first', i === from);
    });
    const mark = $('waiting-page');
    mark.hidden = starts.length <= 1;
    mark.textContent = (page + 1) + '/' + starts.length;
  }

  resize() {
    this.lastTiles = '';
    this.lastWaiting = '';
    this.lastHero = '';
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
  // about 56 % of the panel's height, then the gap (0.7 of the code's size)
  // and the counter at 0.6, shrunk together if the line is too wide.
  fitHero() {
    const hero = $('hero');
    const hh = hero.clientHeight, hw = hero.clientWidth;
    const code = $('hero-code').textContent, counter = $('hero-counter').textContent;
    const key = hh + 'x' + hw + code + counter;
    if (key === this.lastHero) return;
    this.lastHero = key;
    let size = hh * 0.56;
    const em = emWidth(code, true) + 0.7 + 0.6 * emWidth('→ ' + counter, true);
    const avail = hw - window.innerHeight * 0.048 - 2;
    if (size * em > avail) size = avail / em;
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
  state.screen = screen;
  $('board').hidden = false;
  screen.resize();
  if (document.fonts) document.fonts.ready.then(() => screen.resize());

  // Can the server save? GET /healthz answers 503 when it serves but
  // cannot commit; that is told apart from a lost connection.
  const checkHealth = async () => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 5000);
    try {
      const r = await fetch('/healthz', { cache: 'no-store', signal: ctl.signal });
      screen.storageDown = r.status === 503;
    } catch {
      // Unreachable: the live connection reports that.
    } finally {
      clearTimeout(timer);
    }
    screen.render();
  };
  state.checkHealth = checkHealth;
  checkHealth();
  setInterval(checkHealth, HEALTH_MS);

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
      if (state.online) checkHealth();
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
