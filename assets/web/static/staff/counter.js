// The clerk console (/counter). One big button per action, each with a
// keyboard shortcut. The page never guesses: the current ticket comes from
// the board the server publishes (snapshot + events), an action's answer is
// shown at once only when it is not older than what the board already
// shows, and when an action's outcome is unknown (the network dropped) the
// page fetches the true state before doing anything else.

import { Api } from './api.js';
import { h, $, $$, replace, typing } from './dom.js';
import { t, name, initLang, onLang, errorText, duration } from './i18n.js';
import { Live } from './live.js';
import { signIn } from './session.js';
import { WaitingList } from './waiting.js';

const LIST_MAX = 60;
const HISTORY_MAX = 6;
const MAX_CODES = 20;
// A USB barcode scanner is a keyboard that types a whole code, then Enter,
// faster than any person: keys less than SCAN_GAP ms apart are one code.
// A lone key is a shortcut once SCAN_WAIT ms pass without a second one.
const SCAN_GAP = 40;
const SCAN_WAIT = 50;
const CAUSES = ['one_stop_software', 'network', 'power', 'printer', 'other'];

class Console {
  constructor() {
    this.api = new Api();
    this.me = null;
    this.counterId = '';
    this.live = null;
    this.waiting = null;
    this.busy = false;
    this.msgTimer = null;
    this.msgNetwork = false; // the message shown says the server is unreachable
    this.tick = null;
    // The visit record being noted for the current ticket.
    this.visit = { ticketId: '', codes: [] };
    // The visits finished here in this session, newest first.
    this.history = [];
    this.scan = { buf: '', last: 0, timer: 0 };
    this.api.onUnauthorized = () => this.restart(t('login.expired'));
  }

  async run(note) {
    this.signingIn = true;
    this.me = await signIn(this.api, $('#login'), note);
    this.signingIn = false;
    $('#logout').hidden = false;
    $('#who').hidden = false;
    $('#who').textContent = this.me.user;
    if (this.me.role !== 'clerk' && this.me.role !== 'admin') {
      this.fatal(t('c.notallowed'));
      return;
    }
    let board;
    try {
      board = await this.api.get('/api/v1/board');
    } catch (e) {
      this.fatal(errorText(e), true);
      return;
    }
    const allowed = this.allowed(board);
    const want = decodeURIComponent(location.hash.slice(1));
    if (allowed.some((cs) => cs.counter.id === want)) this.open(want, board);
    else if (allowed.length === 1) this.open(allowed[0].counter.id, board);
    else this.pick(allowed);
  }

  allowed(board) {
    const cs = board.counters || [];
    if (this.me.role === 'admin') return cs;
    return cs.filter((c) => (this.me.counter_ids || []).includes(c.counter.id));
  }

  // fatal shows a message instead of the console; retry offers a reload.
  fatal(text, retry) {
    const box = $('#picker');
    replace(box, h('div', { class: 'card narrow' },
      h('p', { class: 'msg error', role: 'alert', text }),
      retry ? h('button', { class: 'btn btn-primary', type: 'button', onclick: () => location.reload() }, t('au.refresh')) : null));
    box.hidden = false;
  }

  pick(allowed) {
    this.stopLive();
    $('#console').hidden = true;
    $('#change-counter').hidden = true;
    $('#btn-disrupt').hidden = true;
    $('#counter-status').hidden = true;
    $('#counter-title').textContent = t('c.title');
    const box = $('#picker');
    if (allowed.length === 0) {
      replace(box, h('div', { class: 'card narrow' }, h('p', { class: 'msg error', role: 'alert', text: t('c.pick.none') })));
      box.hidden = false;
      return;
    }
    const services = new Map();
    const list = h('div', { class: 'picker-grid' });
    const render = async () => {
      const b = await this.api.get('/api/v1/board').catch(() => null);
      if (b) for (const s of b.services || []) services.set(s.id, s);
      replace(list, this.allowed(b || { counters: allowed }).map((cs) => h('button', {
        type: 'button', class: 'btn picker-item', dataset: { counter: cs.counter.id },
        onclick: () => { box.hidden = true; this.open(cs.counter.id); },
      },
      h('span', { class: 'picker-name', text: name(cs.counter.name) }),
      h('span', { class: 'pill', dataset: { status: cs.counter.status }, text: t('status.' + cs.counter.status) }),
      h('span', { class: 'picker-fields', text: (cs.counter.service_ids || []).map((id) => services.has(id) ? name(services.get(id).name) : id).join(' · ') }))));
    };
    replace(box, h('div', { class: 'card wide' }, h('h1', { text: t('c.pick') }), list));
    box.hidden = false;
    render();
  }

  async open(id, board) {
    this.counterId = id;
    history.replaceState(null, '', '#' + encodeURIComponent(id));
    $('#picker').hidden = true;
    $('#console').hidden = false;
    $('#change-counter').hidden = false;
    $('#btn-disrupt').hidden = false;
    this.history = [];
    this.stopLive();
    this.live = new Live(this.api, {
      onBoard: (b, ev) => this.onBoard(b, ev),
      onState: (s) => this.onConn(s),
      counter: id,
    });
    this.waiting = new WaitingList(
      () => this.api.get('/api/v1/counters/' + encodeURIComponent(id) + '/waiting'),
      (sid) => this.fields().includes(sid));
    try {
      if (!board) board = await this.api.get('/api/v1/board');
      this.live.replace(board);
      const cs = this.state();
      if (!cs) {
        this.fatal(t('c.counter.gone'));
        return;
      }
      // Choosing a counter opens it; a paused one stays paused (a reload
      // must not end the clerk's break).
      if (cs.counter.status === 'closed') await this.setStatus('open', true);
    } catch (e) {
      this.say(errorText(e), 'error', !!e.network);
    }
    this.live.start();
    this.refreshWaiting();
    this.loadHistory(id);
    this.render();
    clearInterval(this.tick);
    this.tick = setInterval(() => this.renderTimes(), 1000);
  }

  stopLive() {
    const live = this.live;
    this.live = null; // first: stop() reports "offline", which is no news here
    if (live) live.stop();
    clearInterval(this.tick);
    this.wasLive = false;
    $('#conn').hidden = true;
    $('#offline-banner').hidden = true;
  }

  restart(note) {
    // Several requests may fail with 401 at once: show one login form.
    if (this.signingIn) return;
    this.stopLive();
    $('#console').hidden = true;
    $('#picker').hidden = true;
    $('#logout').hidden = true;
    $('#who').hidden = true;
    $('#change-counter').hidden = true;
    $('#btn-disrupt').hidden = true;
    $('#conn').hidden = true;
    $('#offline-banner').hidden = true;
    this.run(note);
  }

  state() {
    if (!this.live) return null;
    return this.live.board.counters.find((cs) => cs.counter.id === this.counterId) || null;
  }

  fields() {
    const cs = this.state();
    return cs ? cs.counter.service_ids || [] : [];
  }

  service(id) {
    return this.live.board.services.find((s) => s.id === id) || null;
  }

  onBoard(b, ev) {
    if (!this.waiting) return;
    if (ev.type === 'snapshot' || ev.type === 'resync') {
      this.refreshWaiting();
    } else if (ev.type === 'counter.updated' && ev.data.id === this.counterId) {
      this.refreshWaiting(); // its fields may have changed
    } else if (ev.type !== 'local') {
      this.waiting.event(ev);
    }
    if ((ev.type === 'ticket.done' || ev.type === 'ticket.no_show') && ev.data && ev.data.counter_id === this.counterId) {
      this.remember(ev.data);
    }
    this.render();
  }

  refreshWaiting() {
    const w = this.waiting;
    w.refresh().then(() => { if (w === this.waiting) this.renderWaiting(); }, () => {});
  }

  onConn(s) {
    if (!this.live) return;
    const el = $('#conn');
    el.hidden = false;
    el.dataset.state = s;
    el.textContent = t('conn.' + s);
    // The banner is for a page that was live and lost the server, not for
    // the first second of loading.
    if (s === 'live') this.wasLive = true;
    $('#offline-banner').hidden = s === 'live' || !this.wasLive;
    // "The server cannot be reached" is no longer true once the page is
    // live again: it must not stay next to the green "online" mark.
    if (s === 'live' && this.msgNetwork) {
      $('#msg').hidden = true;
      this.msgNetwork = false;
    }
  }

  // ---- rendering ----

  render() {
    const cs = this.state();
    if (!cs) return;
    const c = cs.counter;
    $('#counter-title').textContent = name(c.name);
    const pill = $('#counter-status');
    pill.hidden = false;
    pill.dataset.status = c.status;
    pill.textContent = t('status.' + c.status);
    const banner = $('#status-banner');
    banner.hidden = c.status === 'open';
    banner.textContent = c.status === 'paused' ? t('c.paused.banner') : c.status === 'closed' ? t('c.closed.banner') : '';

    const cur = cs.current;
    const card = $('#current');
    card.classList.toggle('idle', !cur);
    card.classList.toggle('priority', !!(cur && cur.priority));
    $('#current-code').textContent = cur ? cur.code : t('c.idle');
    const field = $('#current-field');
    if (cur) {
      const s = this.service(cur.service_id);
      // The citizen's name from their ID card: only in this counter's
      // next/recall answer for the ticket served now (show_citizen_name).
      const citizen = this.citizen && this.citizen.id === cur.id ? this.citizen.name : '';
      replace(field, s ? name(s.name) : cur.service_id,
        cur.priority ? h('span', { class: 'badge badge-priority', text: t('priority') }) : null,
        citizen ? h('span', { class: 'citizen-name', id: 'current-citizen' },
          h('span', { class: 'citizen-label', text: t('c.citizen') }), h('span', { text: citizen })) : null);
    } else {
      replace(field);
    }
    this.renderVisit(cur);
    this.renderDisruptions();
    this.renderHistory();
    this.renderTimes();
    this.renderButtons();
    this.renderWaiting();
    $('#served-today').textContent = t('c.served_today', { n: c.served_today || 0 });
  }

  renderTimes() {
    const cs = this.state();
    if (!cs) return;
    const cur = cs.current;
    const meta = $('#current-meta');
    if (!cur) {
      replace(meta, h('span', { text: t('c.idle.hint') }));
    } else {
      const now = this.api.now();
      const called = cur.called_at ? Date.parse(cur.called_at) : now;
      const parts = [
        h('span', { class: 'meta-item', id: 'current-waited', text: t('c.waited', { d: duration(called - Date.parse(cur.issued_at)) }) }),
        h('span', { class: 'meta-item', id: 'current-serving', text: t('c.serving', { d: duration(now - called) }) }),
      ];
      if (cur.recalls) parts.push(h('span', { class: 'meta-item', text: t('c.recalls', { n: cur.recalls }) }));
      if (cur.from_service_id) {
        const f = this.service(cur.from_service_id);
        parts.push(h('span', { class: 'meta-item', text: t('c.transferred_from', { name: f ? name(f.name) : cur.from_service_id }) }));
      }
      replace(meta, parts);
    }
    const now = this.api.now();
    for (const el of $$('#waiting-list [data-issued]')) el.textContent = duration(now - Number(el.dataset.issued));
  }

  renderButtons() {
    const cs = this.state();
    const has = !!(cs && cs.current);
    const paused = cs && cs.counter.status === 'paused';
    const ok = !!cs && !this.busy;
    $('#btn-next').disabled = !ok;
    $('#btn-recall').disabled = !ok || !has;
    $('#btn-done').disabled = !ok || !has;
    $('#btn-noshow').disabled = !ok || !has;
    $('#btn-transfer').disabled = !ok || !has;
    $('#btn-pause').disabled = !ok;
    for (const b of $$('#outcomes [data-outcome]')) b.disabled = !ok || !has;
    $('#pause-label').textContent = paused ? t('c.resume') : t('c.pause');
    $('#actions').setAttribute('aria-busy', this.busy ? 'true' : 'false');
  }

  renderWaiting() {
    const cs = this.state();
    if (!cs || !this.waiting) return;
    const b = this.live.board;
    const ids = this.fields();
    let total = 0;
    const counts = ids.map((id) => {
      const n = b.waiting[id] || 0;
      total += n;
      const s = this.service(id);
      return h('li', { dataset: { service: id } },
        h('span', { class: 'prefix', text: s ? s.prefix : '' }),
        h('span', { class: 'fname', text: s ? name(s.name) : id }),
        h('span', { class: 'count', text: n }));
    });
    $('#waiting-total').textContent = total;
    replace($('#field-counts'), counts);
    const list = this.waiting.sorted();
    const now = this.api.now();
    const items = list.slice(0, LIST_MAX).map((tk) => {
      const s = this.service(tk.service_id);
      const issued = Date.parse(tk.issued_at);
      return h('li', { class: tk.priority ? 'priority' : '', dataset: { ticket: tk.code } },
        h('span', { class: 'wcode', text: tk.code }),
        tk.priority ? h('span', { class: 'badge badge-priority', text: t('priority') }) : null,
        h('span', { class: 'wfield', text: s ? name(s.name) : tk.service_id }),
        h('span', { class: 'wtime', dataset: { issued: String(issued) }, text: duration(now - issued) }));
    });
    if (list.length > LIST_MAX) items.push(h('li', { class: 'more', text: t('c.waiting.more', { n: list.length - LIST_MAX }) }));
    if (list.length === 0 && this.waiting.loaded) items.push(h('li', { class: 'empty', text: t('c.waiting.empty') }));
    replace($('#waiting-list'), items);
  }

  // ---- visit record, disruptions, history ----

  // renderVisit shows the outcome keys and the dossier codes while a ticket
  // is served; the record belongs to that ticket and is dropped with it.
  renderVisit(cur) {
    $('#visit').hidden = !cur;
    $('#console').classList.toggle('visiting', !!cur);
    const id = cur ? cur.id : '';
    if (this.visit.ticketId !== id) {
      this.visit = { ticketId: id, codes: [] };
      $('#dossier-input').value = '';
      $('#visit-note').value = '';
    }
    replace($('#dossier-chips'), this.visit.codes.map((code) => h('span', { class: 'chip', dataset: { code } },
      h('span', { text: code }),
      h('button', { type: 'button', title: t('c.dossier.remove', { code }), 'aria-label': t('c.dossier.remove', { code }), text: '×',
        onclick: (e) => { e.preventDefault(); this.removeCode(code); } }))));
  }

  // addCode adds a typed or scanned dossier code to the current visit.
  addCode(raw) {
    const code = raw.trim();
    const cs = this.state();
    if (!code || !cs || !cs.current) return false;
    if (code.length > 64 || /[\u0000-\u001f\u007f]/.test(code)) {
      this.say(t('c.dossier.bad'), 'error');
      return false;
    }
    if (this.visit.ticketId !== cs.current.id) this.visit = { ticketId: cs.current.id, codes: [] };
    if (!this.visit.codes.includes(code)) {
      if (this.visit.codes.length >= MAX_CODES) {
        this.say(t('c.dossier.full'), 'error');
        return false;
      }
      this.visit.codes.push(code);
    }
    this.renderVisit(cs.current);
    return true;
  }

  removeCode(code) {
    this.visit.codes = this.visit.codes.filter((c) => c !== code);
    const cs = this.state();
    this.renderVisit(cs && cs.current);
  }

  // record is the visit record to send with done: what the clerk noted.
  record(outcome) {
    const body = {};
    if (outcome) body.outcome = outcome;
    const cs = this.state();
    if (cs && cs.current && this.visit.ticketId === cs.current.id && this.visit.codes.length) body.dossier_codes = this.visit.codes.slice();
    const note = $('#visit-note').value.trim();
    if (note) body.note = note;
    return Object.keys(body).length ? body : undefined;
  }

  // loadHistory fetches today's visits at the counter (a reload keeps them).
  async loadHistory(id) {
    try {
      const list = await this.api.get('/api/v1/counters/' + encodeURIComponent(id) + '/visits?limit=' + HISTORY_MAX);
      if (this.counterId !== id) return;
      // Events that arrived meanwhile are newer: keep them first.
      const seen = new Set(this.history.map((x) => x.id));
      this.history = [...this.history, ...(list || []).filter((x) => !seen.has(x.id))].slice(0, HISTORY_MAX);
      this.renderHistory();
    } catch { /* the list stays as the events fill it */ }
  }

  remember(tk) {
    this.history = [tk, ...this.history.filter((x) => x.id !== tk.id)].slice(0, HISTORY_MAX);
  }

  renderHistory() {
    const items = this.history.map((tk) => {
      const out = tk.status === 'no_show' ? t('c.history.noshow') : tk.outcome ? t('o.' + tk.outcome) : t('c.history.nooutcome');
      const n = (tk.dossier_codes || []).length;
      return h('li', { dataset: { ticket: tk.code, outcome: tk.outcome || '' }, title: (tk.dossier_codes || []).join(', ') },
        h('span', { class: 'hcode', text: tk.code }),
        h('span', { class: 'hout', text: out }),
        n ? h('span', { class: 'hcodes', text: t('c.history.codes', { n }) }) : null);
    });
    if (items.length === 0) items.push(h('li', { class: 'empty', text: t('c.history.none') }));
    replace($('#history'), items);
  }

  // disruptions are the open disruptions touching this counter.
  disruptions() {
    const ds = (this.live && this.live.board.disruptions) || [];
    return ds.filter((d) => !d.counter_ids || d.counter_ids.length === 0 || d.counter_ids.includes(this.counterId));
  }

  // mayEnd: an admin ends any; a clerk those of their own counters only.
  mayEnd(d) {
    if (this.me.role === 'admin') return true;
    const mine = this.me.counter_ids || [];
    return (d.counter_ids || []).length > 0 && d.counter_ids.every((id) => mine.includes(id));
  }

  renderDisruptions() {
    const ds = this.disruptions();
    const box = $('#disruption-banner');
    box.hidden = ds.length === 0;
    replace(box, ds.map((d) => {
      const centre = !d.counter_ids || d.counter_ids.length === 0;
      const hm = this.clock(d.started_at);
      return h('div', { class: 'disruption-row', dataset: { disruption: d.id } },
        h('span', { text: t(centre ? 'c.disrupt.banner.centre' : 'c.disrupt.banner', { cause: t('cause.' + d.cause), at: hm }) }),
        this.mayEnd(d) ? h('button', { type: 'button', class: 'btn btn-small', dataset: { end: d.id }, text: t('c.disrupt.end'),
          onclick: () => this.endDisruption(d) }) : null);
    }));
  }

  // clock is HH:MM on the centre's wall clock (the browser's zone may differ).
  clock(iso) {
    const tz = this.live && this.live.board.centre && this.live.board.centre.timezone;
    try {
      return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: tz || undefined }).format(new Date(iso));
    } catch {
      return new Date(iso).toTimeString().slice(0, 5);
    }
  }

  openDisrupt() {
    const cs = this.state();
    if (!cs) return;
    const dlg = $('#disrupt-dialog');
    $('#disrupt-title').textContent = t('c.disrupt.title', { counter: name(cs.counter.name) });
    $('#disrupt-note').value = '';
    replace($('#disrupt-causes'), CAUSES.map((c, i) => h('button', {
      type: 'button', class: 'btn transfer-item', dataset: { cause: c, key: String(i + 1) },
      onclick: () => this.startDisruption(c),
    }, h('kbd', { text: String(i + 1) }), h('span', { class: 'fname', text: t('cause.' + c) }))));
    dlg.showModal();
    const first = $('#disrupt-causes').querySelector('button');
    if (first) first.focus();
  }

  async startDisruption(cause) {
    const dlg = $('#disrupt-dialog');
    const note = $('#disrupt-note').value.trim();
    if (dlg.open) dlg.close();
    try {
      const body = { cause, counter_ids: [this.counterId] };
      if (note) body.note = note;
      await this.api.post('/api/v1/disruptions', body);
      this.say(t('c.disrupt.ok', { cause: t('cause.' + cause) }), 'ok');
    } catch (e) {
      await this.failed(e);
    }
  }

  async endDisruption(d) {
    try {
      await this.api.post('/api/v1/disruptions/' + encodeURIComponent(d.id) + '/end');
      this.say(t('c.disrupt.ended', { cause: t('cause.' + d.cause) }), 'ok');
    } catch (e) {
      await this.failed(e);
    }
  }

  // say shows a message; network marks one about the server being
  // unreachable, which the reconnection clears.
  say(text, kind, network = false) {
    this.msgNetwork = network;
    const m = $('#msg');
    m.textContent = text;
    m.className = 'msg ' + (kind || 'info');
    m.hidden = false;
    clearTimeout(this.msgTimer);
    // Errors stay until the next action; confirmations fade.
    if (kind === 'ok') this.msgTimer = setTimeout(() => { m.hidden = true; }, 6000);
  }

  // ---- actions ----

  // patch changes the counter's state locally from an action's answer, so
  // the clerk sees the result even before (or without) its event.
  patch(fn) {
    const b = this.live.board;
    const i = b.counters.findIndex((cs) => cs.counter.id === this.counterId);
    if (i < 0) return;
    const cs = { counter: b.counters[i].counter, current: b.counters[i].current };
    if (fn(cs) === false) return;
    const nb = { ...b, counters: b.counters.slice() };
    nb.counters[i] = cs;
    this.live.board = nb;
    this.onBoard(nb, { type: 'local' });
  }

  async act(action) {
    if (this.busy || !this.state()) return;
    const cs = this.state();
    if (action === 'transfer') {
      if (cs.current) this.openTransfer(cs.current);
      return;
    }
    if (action === 'pause') {
      await this.setStatus(cs.counter.status === 'paused' ? 'open' : 'paused');
      return;
    }
    if (action !== 'next' && !cs.current) {
      this.say(t('err.no_current_ticket'), 'error');
      return;
    }
    if (action === 'done') {
      await this.run1('done', this.record(''));
      return;
    }
    if (action === 'next' && cs.current && this.record('')) {
      // Codes or a note were noted without an outcome: keep them, then call.
      await this.run1('done', this.record(''));
      const after = this.state();
      if (after && after.current) return; // done failed: the record stays
    }
    await this.run1(action, undefined);
  }

  // finish ends the visit with an outcome (keys 1–6).
  async finish(outcome) {
    if (this.busy) return;
    const cs = this.state();
    if (!cs || !cs.current) {
      this.say(t('err.no_current_ticket'), 'error');
      return;
    }
    await this.run1('done', this.record(outcome));
  }

  // run1 sends one counter action and shows its outcome.
  async run1(action, body) {
    const sentAt = this.api.now();
    this.busy = true;
    this.renderButtons();
    try {
      const tk = await this.api.post('/api/v1/counters/' + encodeURIComponent(this.counterId) + '/' + action, body);
      this.applyAnswer(action, tk, sentAt, body);
    } catch (e) {
      await this.failed(e);
    } finally {
      this.busy = false;
      this.renderButtons();
    }
  }

  applyAnswer(action, tk, sentAt, body) {
    switch (action) {
      case 'next':
        if (!tk) {
          // Nobody waits; a ticket still called here was completed.
          this.patch((cs) => {
            if (cs.current && Date.parse(cs.current.called_at) > sentAt) return false;
            cs.current = null;
            return true;
          });
          this.say(t('c.nobody'), 'info');
          return;
        }
        this.waiting.remove(tk.id);
        this.citizen = tk.citizen_name ? { id: tk.id, name: tk.citizen_name } : null;
        this.patch((cs) => {
          if (cs.current && Date.parse(cs.current.called_at) > Date.parse(tk.called_at)) return false;
          cs.current = tk;
          return true;
        });
        this.say(t('c.called', { code: tk.code }), 'ok');
        return;
      case 'recall':
        if (tk.citizen_name) this.citizen = { id: tk.id, name: tk.citizen_name };
        this.patch((cs) => {
          if (!cs.current || cs.current.id !== tk.id) return false;
          cs.current = tk;
          return true;
        });
        this.say(t('c.recalled', { code: tk.code }), 'ok');
        return;
      default: {
        this.patch((cs) => {
          if (!cs.current || cs.current.id !== tk.id) return false;
          cs.current = null;
          return true;
        });
        if (action === 'done' || action === 'no-show') this.visit = { ticketId: '', codes: [] };
        if (action === 'done' || action === 'no-show') this.remember(tk);
        if (action === 'done' && tk.outcome) this.say(t('c.done.outcome', { code: tk.code, outcome: t('o.' + tk.outcome) }), 'ok');
        else if (action === 'done') this.say(t('c.done.ok', { code: tk.code }), 'ok');
        else if (action === 'no-show') this.say(t('c.noshow.ok', { code: tk.code }), 'ok');
        else {
          const s = this.service(body.service_id);
          this.say(t('c.transfer.ok', { code: tk.code, name: s ? name(s.name) : body.service_id }), 'ok');
        }
      }
    }
  }

  // failed reports an error; when the outcome is unknown or the page's view
  // is stale, it fetches the true state.
  async failed(e) {
    if (e.status === 401) return; // the login form is already showing
    if (e.network) {
      this.say(t('err.unknown_outcome'), 'error', true);
      try {
        await this.live.resync();
        await this.waiting.refresh();
        this.render();
        this.say(t('err.network'), 'error', true);
      } catch {
        this.say(t('err.network'), 'error', true);
      }
      return;
    }
    this.say(errorText(e), 'error');
    if (e.status === 409 || e.status === 404 || e.status === 422) this.live.resync().catch(() => {});
  }

  async setStatus(status, quiet) {
    if (this.busy) return;
    this.busy = true;
    this.renderButtons();
    try {
      const c = await this.api.put('/api/v1/counters/' + encodeURIComponent(this.counterId) + '/status', { status });
      this.patch((cs) => { cs.counter = c; return true; });
      if (!quiet) this.say(t(status === 'paused' ? 'c.paused.ok' : status === 'closed' ? 'c.closed.ok' : 'c.resumed.ok'), 'ok');
    } catch (e) {
      await this.failed(e);
    } finally {
      this.busy = false;
      this.renderButtons();
    }
  }

  openTransfer(cur) {
    const dlg = $('#transfer-dialog');
    $('#transfer-title').textContent = t('c.transfer.title', { code: cur.code });
    const targets = this.live.board.services.filter((s) => s.id !== cur.service_id && s.enabled !== false);
    const list = $('#transfer-list');
    replace(list, targets.map((s, i) => h('button', {
      type: 'button', class: 'btn transfer-item', dataset: { service: s.id, key: i < 9 ? String(i + 1) : '' },
      onclick: () => this.transfer(s.id),
    },
    i < 9 ? h('kbd', { text: String(i + 1) }) : null,
    h('span', { class: 'prefix', text: s.prefix }),
    h('span', { class: 'fname', text: name(s.name) }),
    h('span', { class: 'count', text: t('c.waiting.count', { n: this.live.board.waiting[s.id] || 0 }) }))));
    dlg.showModal();
    const first = list.querySelector('button');
    if (first) first.focus();
  }

  async transfer(serviceId) {
    const dlg = $('#transfer-dialog');
    if (dlg.open) dlg.close();
    if (this.busy) return;
    await this.run1('transfer', { service_id: serviceId });
  }

  onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const dd = $('#disrupt-dialog');
    if (dd.open) {
      if (typing(ev)) return; // the note
      const b = ev.key >= '1' && ev.key <= '5' ? dd.querySelector(`[data-key="${ev.key}"]`) : null;
      if (b) {
        ev.preventDefault();
        if (!ev.repeat) b.click();
      }
      return;
    }
    const dlg = $('#transfer-dialog');
    if (dlg.open) {
      const b = ev.key >= '1' && ev.key <= '9' ? dlg.querySelector(`[data-key="${ev.key}"]`) : null;
      if (b) {
        ev.preventDefault();
        if (!ev.repeat) b.click();
      }
      return; // Escape is handled by the dialog itself
    }
    if (typing(ev) || $('#console').hidden) return;
    this.scanKey(ev);
  }

  // scanKey tells a barcode scanner (a burst of keys ending with Enter)
  // from a person pressing one shortcut key.
  scanKey(ev) {
    const sc = this.scan;
    const now = performance.now();
    if (ev.key === 'Enter') {
      if (!sc.buf) return;
      ev.preventDefault();
      clearTimeout(sc.timer);
      const code = sc.buf;
      sc.buf = '';
      if (code.length > 1) this.addCode(code);
      else this.shortcut(code);
      return;
    }
    if (ev.key.length !== 1) return; // Shift (scanners press it for capitals) and the like
    if (sc.buf && now - sc.last < SCAN_GAP) {
      ev.preventDefault();
      sc.buf += ev.key;
      sc.last = now;
      clearTimeout(sc.timer);
      sc.timer = setTimeout(() => this.flushScan(), SCAN_WAIT);
      return;
    }
    this.flushScan();
    // A held-down key repeats; only the first press counts.
    if (ev.repeat) return;
    if (ev.key === ' ') return; // Space presses the focused button
    ev.preventDefault();
    sc.buf = ev.key;
    sc.last = now;
    sc.timer = setTimeout(() => this.flushScan(), SCAN_WAIT);
  }

  // flushScan ends a pending burst: one key is a shortcut, several without
  // Enter a code from a scanner set up without it.
  flushScan() {
    const sc = this.scan;
    clearTimeout(sc.timer);
    const b = sc.buf;
    sc.buf = '';
    // One key, or one key bouncing (pressed twice at once), is one press.
    if (b.length === 1 || (b.length === 2 && b[0] === b[1])) this.shortcut(b[0]);
    else if (b.length >= 3) this.addCode(b);
  }

  shortcutButton(k) {
    const key = k.toLowerCase();
    if (key === 'm') return $('#dossier-input');
    return document.querySelector(`#actions [data-key="${key}"], #outcomes [data-key="${key}"]`);
  }

  shortcut(k) {
    const btn = this.shortcutButton(k);
    if (!btn || btn.disabled) return;
    if (btn.id === 'dossier-input') {
      if (!$('#visit').hidden) btn.focus();
      return;
    }
    if (btn.dataset.outcome) this.finish(btn.dataset.outcome);
    else this.act(btn.dataset.action);
  }

  wire() {
    for (const b of $$('#actions [data-action]')) b.addEventListener('click', () => this.act(b.dataset.action));
    for (const b of $$('#outcomes [data-outcome]')) b.addEventListener('click', () => this.finish(b.dataset.outcome));
    const input = $('#dossier-input');
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        // Enter adds the code (a scanner sends it after each code) and
        // hands the keys back to the shortcuts, so "1" then finishes the
        // visit; further scans are caught as bursts (scanKey).
        if (!input.value.trim() || this.addCode(input.value)) {
          input.value = '';
          input.blur();
        }
      } else if (ev.key === 'Escape') {
        input.blur();
      } else if (ev.key === 'Backspace' && !input.value && this.visit.codes.length) {
        this.removeCode(this.visit.codes[this.visit.codes.length - 1]);
      }
    });
    $('#visit-note').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === 'Escape') { ev.preventDefault(); ev.target.blur(); }
    });
    $('#btn-disrupt').addEventListener('click', () => this.openDisrupt());
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    $('#logout').addEventListener('click', async () => {
      this.stopLive();
      await this.api.logout();
      history.replaceState(null, '', location.pathname);
      this.restart();
    });
    $('#change-counter').addEventListener('click', async () => {
      const b = await this.api.get('/api/v1/board').catch(() => null);
      history.replaceState(null, '', location.pathname);
      this.pick(b ? this.allowed(b) : []);
    });
    onLang(() => {
      $('#msg').hidden = true; // written in the other language
      if (this.state()) this.render();
      if (this.live) this.onConn(this.live.state);
    });
  }
}

initLang();
const app = new Console();
app.wire();
app.run();
