// The citizen's phone page /t/{token}: follows one ticket live over the
// ticket-scoped websocket (/ws/ticket/{token}), which carries only this
// ticket's view. Shows the place in the queue and the expected wait, a clear
// call screen (vibration and a chime where the phone allows), no-show and
// transfer explanations, and the satisfaction form after the service.

import { h, t, name, lang, setLang, hasChoice } from './text.js';
import { ratingForm, postJSON } from './rating.js';
import { disruptionNotice } from '/static/display/disruption.js';

// The last segment: /t/{token}, also under a centre's prefix (/c/{centre}/t/{token}).
const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const app = document.getElementById('app');
const state = {
  view: null,        // the last TicketView
  at: 0,             // when it arrived (ms), for the countdown
  live: false,
  screen: '',        // what is shown, so forms are not rebuilt needlessly
  unknown: false,
  error: '',
  alerted: '',       // the call already signalled (status + recalls)
  thanks: false,
  centre: null,      // the centre's name ({vi, en}), once /api/v1/centre answered
  langFromTicket: false, // the page took the ticket's language already
};
let audio = null;
let centreZone = 'Asia/Ho_Chi_Minh'; // until /api/v1/centre answers

// ---- language ----
const langBtn = document.getElementById('lang-switch');
function labelLang() {
  langBtn.textContent = t('lang.switch');
  langBtn.lang = lang() === 'vi' ? 'en' : 'vi';
}
langBtn.addEventListener('click', () => {
  setLang(lang() === 'vi' ? 'en' : 'vi');
  labelLang();
  state.screen = '';
  render();
});
setLang(lang(), false);
labelLang();

// ---- formatting ----
function etaText(secs) {
  if (secs < 60) return t('eta.soon');
  const mins = Math.round(secs / 60);
  if (mins < 60) return t('eta.min', { m: mins });
  return t('eta.hour', { h: Math.floor(mins / 60), m: mins % 60 });
}
function dur(mins) {
  if (mins < 60) return t('dur.min', { m: mins });
  const hh = Math.floor(mins / 60);
  return mins % 60 ? t('dur.hour', { h: hh, m: mins % 60 }) : t('dur.hours', { h: hh });
}
// The range 8 in 10 citizens in this place are called in (eta_low_seconds,
// eta_high_seconds), counted down like the estimate; none when the server
// gives none or it has run out.
function rangeText(tk, elapsed) {
  if (!tk.eta_high_seconds) return '';
  const lo = Math.floor(Math.max(0, (tk.eta_low_seconds || 0) - elapsed) / 60);
  const hi = Math.ceil(Math.max(0, tk.eta_high_seconds - elapsed) / 60);
  if (hi < 2 || hi <= lo) return '';
  if (lo < 1) return t('eta.within', { b: dur(hi) });
  return hi < 60 ? t('eta.range.min', { a: lo, b: hi }) : t('eta.range', { a: dur(lo), b: dur(hi) });
}
// The hall's clock, not the phone's: a phone set to another time zone
// still shows the time on the centre's wall.
function clock(ms) {
  try {
    return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: centreZone }).format(new Date(ms));
  } catch {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }
}
function counterName(c) {
  if (!c) return '';
  return name(c.name) || t('tablet.counter', { n: c.number });
}

// ---- alerts ----
function unlockAudio() {
  try {
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
  } catch { audio = null; }
}
document.addEventListener('pointerdown', unlockAudio, { passive: true });

function chime() {
  if (!audio || audio.state !== 'running') return;
  const now = audio.currentTime;
  [[660, 0], [880, 0.35], [660, 0.9], [880, 1.25]].forEach(([f, at]) => {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, now + at);
    g.gain.exponentialRampToValueAtTime(0.4, now + at + 0.03);
    g.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.3);
    o.connect(g).connect(audio.destination);
    o.start(now + at);
    o.stop(now + at + 0.32);
  });
}

function alertCall(v) {
  const key = v.ticket.status + ':' + (v.ticket.recalls || 0) + ':' + (v.ticket.called_at || '');
  if (state.alerted === key) return;
  const ring = state.alerted !== '' || v.reason === 'called' || v.reason === 'recalled';
  state.alerted = key;
  if (!ring) return; // the page was opened on an old call: no alarm
  try { navigator.vibrate && navigator.vibrate([500, 200, 500, 200, 900]); } catch { /* not allowed */ }
  chime();
}

// ---- screens ----
function card(cls, ...children) { return h('section', { class: 'card ' + cls }, ...children); }

function ticketHead(v) {
  const tk = v.ticket;
  return h('div', { class: 'head' },
    h('div', { class: 'label' }, t('ticket')),
    h('div', { class: 'code', id: 'code' }, tk.code),
    tk.priority ? h('div', { class: 'badge' }, t('priority')) : null,
    h('div', { class: 'field', id: 'field' }, name(v.service)));
}

function waiting(v) {
  const tk = v.ticket;
  const elapsed = Math.floor((Date.now() - state.at) / 1000);
  const left = Math.max(0, tk.eta_seconds - elapsed);
  const range = left >= 60 ? rangeText(tk, elapsed) : '';
  const transferred = tk.from_service_id
    ? h('p', { class: 'note', id: 'transferred' }, t('transferred', { field: name(v.service) })) : null;
  return card('waiting',
    ticketHead(v),
    h('p', { class: 'status' }, t('status.waiting')),
    disruption(v),
    transferred,
    h('div', { class: 'stats' },
      h('div', { class: 'stat' },
        h('div', { class: 'label' }, t('ahead')),
        h('div', { class: 'big', id: 'ahead' }, tk.ahead === 0 ? '0' : String(tk.ahead)),
        tk.ahead === 0 ? h('div', { class: 'small' }, t('ahead.none')) : null),
      h('div', { class: 'stat' },
        h('div', { class: 'label' }, t('eta')),
        h('div', { class: 'big eta', id: 'eta' }, etaText(left)),
        range ? h('div', { class: 'small range', id: 'eta-range' }, range) : null,
        left >= 60 ? h('div', { class: 'small' }, t('eta.at', { t: clock(Date.now() + left * 1000) })) : null)),
    v.open_counters > 0
      ? h('p', { class: 'small mid' }, t('counters', { n: v.open_counters }))
      : h('p', { class: 'note' }, t('eta.nocounter')),
    h('p', { class: 'small mid' }, t('keep')),
    soundButton());
}

// disruption is the calm notice while a disruption touches the ticket's
// field (the waits shown are already stretched for it).
function disruption(v) {
  const n = disruptionNotice(v.disruptions);
  if (!n.vi) return null;
  return h('p', { class: 'disruption', id: 'disruption', role: 'status' }, lang() === 'en' ? n.en : n.vi);
}

function soundButton() {
  const on = audio && audio.state === 'running';
  const b = h('button', { type: 'button', class: 'sound' + (on ? ' on' : ''), id: 'sound' }, on ? t('sound.ready') : t('sound.on'));
  b.addEventListener('click', () => {
    unlockAudio();
    // A short tick proves the sound works and keeps the context unlocked.
    setTimeout(() => { chime(); b.textContent = t('sound.ready'); b.classList.add('on'); }, 50);
  });
  return b;
}

function called(v) {
  const tk = v.ticket;
  return card('called',
    h('div', { class: 'turn', id: 'turn' }, t('called.title')),
    h('div', { class: 'go', id: 'go' }, t('called.go', { counter: counterName(v.counter) })),
    h('div', { class: 'code' }, tk.code),
    tk.recalls > 0 ? h('div', { class: 'recall', id: 'recall' }, t('called.recall', { n: tk.recalls })) : null,
    h('p', { class: 'small mid' }, t('called.hint')));
}

function message(cls, title, text, v) {
  return card(cls, v ? ticketHead(v) : null, h('h1', { id: 'title' }, title), h('p', {}, text));
}

function rating(v) {
  const form = ratingForm(async (score, comment, reasons) => {
    try {
      const body = { score, comment };
      if (reasons.length) body.reasons = reasons;
      await postJSON('/api/v1/tickets/' + encodeURIComponent(token) + '/rating', body);
    } catch (e) {
      if (e.status !== 409) throw e; // 409: rated already (another tab): thank anyway
    }
    state.thanks = true;
    state.view.rated = true;
    state.view.can_rate = false;
    render();
  });
  return card('done', ticketHead(v), h('h1', { id: 'title' }, t('done.title')), h('p', {}, t('done.text')), form);
}

// pending is a ticket a kiosk printed while the server was unreachable: the
// server knows it from the kiosk's lease but has not received it yet. The
// ticket websocket sends the real ticket the moment the kiosk syncs it.
function pending(v) {
  return card('pending',
    ticketHead(v),
    h('h1', { id: 'title' }, t('pending.title')),
    h('p', { class: 'mid' }, t('pending.text')),
    h('div', { class: 'spinner', 'aria-hidden': 'true' }),
    h('p', { class: 'small mid' }, t('keep')));
}

function render() {
  document.title = t('title') + ' – CiviQ';
  if (state.centre) document.getElementById('centre-name').textContent = name(state.centre);
  if (state.unknown) return show('unknown', () => message('unknown', t('unknown.title'), t('unknown.text')));
  const v = state.view;
  if (!v) {
    if (state.error) show('error:' + state.error, () => card('error', h('p', {}, state.error)));
    return;
  }
  const tk = v.ticket;
  switch (tk.status) {
    case 'pending_sync':
      show('pending', () => pending(v));
      break;
    case 'waiting':
      show('waiting', () => waiting(v), true);
      break;
    case 'called':
      document.title = '🔔 ' + t('called.title') + ' – ' + tk.code;
      show('called', () => called(v), true);
      alertCall(v);
      break;
    case 'no_show':
      show('no_show', () => message('noshow', t('noshow.title'), t('noshow.text', { code: tk.code }), v));
      break;
    case 'cancelled':
      show('cancelled', () => message('cancelled', t('cancelled.title'), t('cancelled.text'), v));
      break;
    case 'done':
      if (v.rated) show('thanks', () => message('thanks', t('thanks.title'), t('thanks.text'), v));
      else if (v.can_rate) show('rate', () => rating(v));
      else show('done', () => message('done', t('done.title'), t('done.text'), v));
      break;
    default:
      show('other', () => message('done', tk.status, '', v));
  }
  liveBar();
}

// show replaces the screen, unless it already shows key and is not volatile
// (a half-filled rating form must survive updates).
function show(key, build, volatile = false) {
  if (state.screen === key && !volatile) return;
  state.screen = key;
  app.replaceChildren(build());
}

function liveBar() {
  const foot = document.getElementById('foot');
  const done = state.view && ['done', 'no_show', 'cancelled'].includes(state.view.ticket.status);
  foot.replaceChildren(done ? '' : h('span', { class: 'live ' + (state.live ? 'on' : 'off'), id: 'live' }, state.live ? t('live.on') : t('live.off')));
}

// ---- data ----
async function load() {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) {
    state.unknown = true;
    render();
    return false;
  }
  try {
    const r = await fetch('/api/v1/tickets/' + encodeURIComponent(token) + '/view', { cache: 'no-store' });
    if (r.status === 404) {
      state.unknown = true;
      render();
      return false;
    }
    // 200: a stored ticket; 202: a ticket printed offline, not synced yet
    // (status pending_sync).
    if (!r.ok) throw Object.assign(new Error('http'), { status: r.status });
    accept(await r.json());
    return true;
  } catch (e) {
    state.error = e.status === 429 ? t('limited') : t('offline');
    render();
    return null;
  }
}

function accept(v) {
  // The citizen's kiosk language, once the ticket tells it (a ticket
  // pending sync does not know it yet).
  if (!state.langFromTicket && v.ticket.lang) {
    state.langFromTicket = true;
    if (!hasChoice() && v.ticket.lang === 'en' && lang() !== 'en') {
      setLang('en', false);
      labelLang();
      state.screen = '';
    }
  }
  state.view = v;
  state.at = Date.now();
  state.error = '';
  render();
}

// centre takes the centre's name and time zone (GET /api/v1/centre, or a
// centre.updated message when an admin changes them).
function centre(c) {
  if (c && c.name) { state.centre = c.name; document.getElementById('centre-name').textContent = name(c.name); }
  if (c && c.timezone && c.timezone !== centreZone) { centreZone = c.timezone; if (state.view) render(); }
}
function loadCentre() {
  fetch('/api/v1/centre', { cache: 'no-store' }).then((r) => r.ok ? r.json() : null).then(centre).catch(() => {});
}

let retry = 1000;
let reconnecting = false;
function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/ticket/' + encodeURIComponent(token));
  ws.onopen = () => {
    retry = 1000;
    // A centre change while the page was cut off is not replayed: read it.
    if (reconnecting) loadCentre();
    reconnecting = true;
  };
  ws.onmessage = (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (ev.type === 'centre.updated') { centre(ev.data); return; }
    if (ev.type !== 'ticket.view' || !ev.data) return;
    state.live = true;
    accept(ev.data);
  };
  ws.onclose = () => {
    state.live = false;
    liveBar();
    const s = state.view && state.view.ticket.status;
    if (s === 'cancelled' || s === 'no_show' || (s === 'done' && !state.view.can_rate)) return; // nothing more will happen
    setTimeout(connect, retry + Math.random() * 500);
    retry = Math.min(retry * 2, 30000);
  };
}

async function start() {
  loadCentre();
  let ok = await load();
  while (ok === null) {
    await new Promise((r) => setTimeout(r, 5000));
    ok = await load();
  }
  if (ok) connect();
  // The countdown moves between server updates.
  setInterval(() => { if (state.view && state.view.ticket.status === 'waiting') render(); }, 20000);
}

start();
