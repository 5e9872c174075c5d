// The live dashboard: waiting per field with the longest current wait against
// the field's target, the counters with their current ticket and how many
// they served today, and the health of the devices. Queue figures follow the
// websocket; the devices are fetched again when device.updated says one was
// created, revoked or changed status, and polled slowly for the ageing of
// their last heartbeat (silence sends nothing).

import { h, replace } from './dom.js';
import { t, has, name, duration, ago } from './i18n.js';
import { health, printerText } from './a-devices.js';
import { unserved } from './a-fields.js';
import { field, input, openDialog } from './forms.js';

const CAUSES = ['one_stop_software', 'network', 'power', 'printer', 'other'];

const DEVICE_POLL_MS = 15000;
const SERVICES_POLL_MS = 30000;
// /healthz turns within 5 s of the store failing; poll it a bit slower.
const HEALTH_POLL_MS = 5000;

export function dashboardView(app) {
  let root = null;
  let devices = [];
  let users = [];
  let services = [];
  let timers = [];
  let pending = 0;
  let servicesTimer = 0;
  let devicesTimer = 0;
  // storage is null while the server can save, else its reason ("disk full").
  let storage = null;

  const loadDevices = () => app.devices(true).then((d) => { devices = d; draw(); }, () => {});
  const loadServices = () => app.api.get('/api/v1/services').then((s) => { services = s; draw(); }, () => {});
  // An unreachable server is the offline banner's news; this one is for a
  // server that answers but cannot save.
  const loadHealth = () => fetch('/healthz', { cache: 'no-store' }).then(async (r) => {
    const was = storage;
    if (r.status === 503) {
      const b = await r.json().catch(() => ({}));
      storage = b.reason || '';
    } else if (r.ok) {
      storage = null;
    }
    if (was !== storage) draw();
  }, () => {});

  function render(body) {
    root = body;
    draw();
    app.users().then((u) => { users = u; draw(); }, (e) => app.fail(e));
    loadDevices();
    loadServices();
    loadHealth();
    timers.push(setInterval(loadDevices, DEVICE_POLL_MS), setInterval(loadServices, SERVICES_POLL_MS),
      setInterval(loadHealth, HEALTH_POLL_MS));
  }

  function leave() {
    for (const x of timers) clearInterval(x);
    clearTimeout(servicesTimer);
    clearTimeout(devicesTimer);
    cancelAnimationFrame(pending);
    root = null;
  }

  function onBoard(ev) {
    if (ev.type.startsWith('ticket.') || ev.type.startsWith('counter.') || ev.type === 'service.updated' || ev.type.startsWith('disruption.')) {
      // issued_today and the expected wait of a new ticket are not in the
      // board's events; fetch them, at most once a second or so.
      clearTimeout(servicesTimer);
      servicesTimer = setTimeout(loadServices, 800);
    }
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(draw);
  }

  function longestWaits() {
    const oldest = new Map();
    for (const tk of app.waiting.map.values()) {
      const ts = Date.parse(tk.issued_at);
      if (!oldest.has(tk.service_id) || ts < oldest.get(tk.service_id)) oldest.set(tk.service_id, ts);
    }
    return oldest;
  }

  // etaNew is the expected wait of a ticket issued now (eta_new_seconds;
  // absent when the field is closed or no open counter serves it).
  function etaNew(sv) {
    const secs = sv.eta_new_seconds;
    if (secs === undefined || secs === null) return t('none');
    return secs < 60 ? t('d.eta_now') : t('d.eta_min', { n: Math.round(secs / 60) });
  }

  function stat(label, value, cls, id) {
    return h('div', { class: 'stat' + (cls ? ' ' + cls : ''), id },
      h('div', { class: 'stat-value', text: value }),
      h('div', { class: 'stat-label', text: label }));
  }

  // disruptions: the open ones (Board.disruptions); an admin reports one
  // for the whole centre and ends any, a supervisor only reads.
  function disruptionSection(b) {
    const ds = b.disruptions || [];
    const admin = app.isAdmin();
    const counterNo = (id) => { const cs = b.counters.find((x) => x.counter.id === id); return cs ? String(cs.counter.number) : id; };
    const rows = ds.map((d) => h('tr', { dataset: { disruption: d.id } },
      h('td', { text: t('cause.' + d.cause) }),
      h('td', { class: 'wrap', text: (d.counter_ids || []).length ? t('dz.counters', { list: d.counter_ids.map(counterNo).join(', ') }) : t('dz.centre') }),
      h('td', { class: 'nowrap', text: app.time(d.started_at) }),
      h('td', { class: 'wrap', text: d.note || '' }),
      admin ? h('td', { class: 'actions-cell' }, h('button', { type: 'button', class: 'btn btn-small', dataset: { end: d.id }, text: t('dz.end'),
        onclick: () => endDisruption(d) })) : null));
    return h('section', { class: 'dash-wide', id: 'dash-disruptions' },
      h('div', { class: 'section-head' }, h('h2', { text: t('dz.title') }),
        admin ? h('button', { type: 'button', class: 'btn btn-small', id: 'dz-start', text: t('dz.start'), onclick: startDisruption }) : null),
      ds.length ? h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl' },
        h('thead', {}, h('tr', {}, ...['dz.cause', 'dz.where', 'dz.since', 'c.note'].map((k) => h('th', { text: t(k) })), admin ? h('th') : null)),
        h('tbody', {}, rows))) : h('p', { class: 'muted', text: t('dz.none') }));
  }

  function startDisruption() {
    const cause = h('select', { id: 'dz-cause' }, CAUSES.map((c) => h('option', { value: c, text: t('cause.' + c) })));
    const note = input({ id: 'dz-note', maxlength: 500 });
    openDialog(t('dz.start.title'), h('div', {},
      h('p', { class: 'hint', text: t('dz.start.hint') }),
      field(t('dz.cause'), cause), field(t('dz.note'), note)),
    async () => {
      const body = { cause: cause.value };
      if (note.value.trim()) body.note = note.value.trim();
      await app.api.post('/api/v1/disruptions', body);
      app.flash(t('dz.started', { cause: t('cause.' + cause.value) }), 'ok');
    }, { id: 'dz-dialog', saveText: t('dz.start') });
  }

  async function endDisruption(d) {
    try {
      await app.api.post('/api/v1/disruptions/' + encodeURIComponent(d.id) + '/end');
      app.flash(t('dz.ended', { cause: t('cause.' + d.cause) }), 'ok');
    } catch (e) {
      app.fail(e);
    }
  }

  function draw() {
    if (!root) return;
    const b = app.board;
    const now = app.api.now();
    const oldest = longestWaits();
    const issued = new Map(services.map((s) => [s.id, s]));
    const waitingTotal = b.services.reduce((n, s) => n + (b.waiting[s.id] || 0), 0);
    const served = b.counters.reduce((n, cs) => n + (cs.counter.served_today || 0), 0);
    const issuedTotal = services.reduce((n, s) => n + (s.issued_today || 0), 0);
    const open = b.counters.filter((cs) => cs.counter.status === 'open').length;
    // Integration tokens (bookings from outside software) send no heartbeat.
    const live = devices.filter((d) => !d.revoked && d.kind !== 'integration');
    const healthy = live.filter((d) => health(d, now) === 'ok').length;
    let over = 0;

    const lonely = new Set(unserved(b).map((s) => s.id));
    const fieldRows = b.services.map((s) => {
      const w = b.waiting[s.id] || 0;
      const since = oldest.get(s.id);
      const waitMs = since ? now - since : 0;
      const target = (s.target_minutes || 0) * 60000;
      const frac = target ? waitMs / target : 0;
      const level = frac >= 1 ? 'bad' : frac >= 0.75 ? 'warn' : 'ok';
      if (target && since && frac >= 1) over++;
      const sv = issued.get(s.id) || s;
      return h('tr', { dataset: { service: s.id }, class: s.enabled === false ? 'off' : '' },
        h('td', { class: 'wrap' }, h('span', { class: 'prefix', text: s.prefix }), ' ', h('span', { text: name(s.name) }),
          lonely.has(s.id) ? h('div', { class: 'warn-line', dataset: { warn: 'no-counter' }, text: '⚠ ' + t('d.no_counter') }) : null),
        h('td', {}, s.open ? h('span', { class: 'pill', dataset: { status: 'open' }, text: t('status.open') })
          : h('span', { class: 'pill', dataset: { status: 'closed' }, text: t('d.closed_reason.' + (s.closed_reason || 'disabled')) })),
        h('td', { class: 'num', dataset: { cell: 'waiting' }, text: w }),
        h('td', {}, h('div', { class: 'wait-cell' },
          h('span', { dataset: since ? { since: String(since) } : {}, class: 'longest', text: since ? duration(waitMs) : t('none') }),
          target && since ? h('div', { class: 'bar', dataset: { level }, title: Math.round(frac * 100) + '%' },
            h('span', { style: { width: Math.min(100, frac * 100).toFixed(1) + '%' } })) : null)),
        h('td', { class: 'num', dataset: { cell: 'eta-new' }, text: etaNew(sv) }),
        h('td', { class: 'num', text: s.target_minutes ? t('min', { n: s.target_minutes }) : t('none') }),
        h('td', { class: 'num', text: (sv.issued_today || 0) + (sv.daily_cap ? ' / ' + sv.daily_cap : '') }));
    });

    const clerksOf = (id) => users.filter((u) => u.role === 'clerk' && !u.disabled && (u.counter_ids || []).includes(id));
    const counterRows = b.counters.map((cs) => {
      const c = cs.counter, cur = cs.current;
      const called = cur && cur.called_at ? Date.parse(cur.called_at) : 0;
      return h('tr', { dataset: { counter: c.id } },
        h('td', { class: 'num', text: c.number }),
        h('td', { class: 'wrap', text: name(c.name) }),
        h('td', {}, h('span', { class: 'pill', dataset: { status: c.status }, text: t('status.' + c.status) })),
        h('td', { dataset: { cell: 'current' } }, cur ? [h('strong', { text: cur.code }),
          cur.priority ? [' ', h('span', { class: 'badge badge-priority', text: t('priority') })] : null,
          ' ', h('span', { class: 'muted', dataset: { since: String(called) }, text: duration(now - called) })] : t('none')),
        h('td', { class: 'num', dataset: { cell: 'served' }, text: c.served_today || 0 }),
        h('td', { class: 'wrap', text: clerksOf(c.id).map((u) => u.name || u.username).join(', ') || t('none') }));
    });

    const deviceRows = live.map((d) => {
      const hl = health(d, now);
      return h('tr', { dataset: { device: d.id } },
        h('td', { text: d.name }),
        h('td', { class: 'nowrap', text: t('v.kind.' + d.kind) }),
        h('td', {}, h('span', { class: 'health', dataset: { health: hl }, text: t('v.health.' + hl) })),
        h('td', { text: d.last_seen ? ago(now - Date.parse(d.last_seen)) : t('never') }),
        h('td', { text: d.kind === 'kiosk' ? printerText(d) : t('none') }));
    });

    const reason = storage && has('d.storage.' + storage) ? t('d.storage.' + storage) : storage;
    replace(root,
      storage !== null ? h('div', { class: 'banner storage-banner', id: 'storage-banner', role: 'alert' },
        h('strong', { text: t('d.storage_down') + (reason ? ' (' + reason + ')' : '') }),
        h('div', { class: 'storage-banner-more', text: t('d.storage_down.long') })) : null,
      h('div', { class: 'stats' },
        stat(t('d.waiting_total'), waitingTotal, over ? 'bad' : '', 'stat-waiting'),
        stat(t('d.issued_total'), issuedTotal, '', 'stat-issued'),
        stat(t('d.served_total'), served, '', 'stat-served'),
        stat(t('d.counters_open'), open + ' / ' + b.counters.length, '', 'stat-open'),
        stat(t('d.devices_ok'), healthy + ' / ' + live.length, live.length && healthy < live.length ? 'bad' : '', 'stat-devices')),
      h('div', { class: 'dash-grid' },
        disruptionSection(b),
        h('section', {},
          h('h2', { text: t('d.fields') }),
          h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'dash-fields' },
            h('thead', {}, h('tr', {}, ...['d.field', 'd.status', 'd.waiting', 'd.longest', 'd.eta_new', 'd.target', 'd.issued'].map((k, i) =>
              h('th', { class: i === 2 || i >= 4 ? 'num' : '', text: t(k), title: k === 'd.eta_new' ? t('d.eta_new.title') : null })))),
            h('tbody', {}, fieldRows)))),
        h('section', {},
          h('h2', { text: t('d.counters') }),
          h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'dash-counters' },
            h('thead', {}, h('tr', {}, ...['#', 'd.counter', 'd.status', 'd.current', 'd.served', 'd.clerks'].map((k, i) =>
              h('th', { class: i === 0 || i === 4 ? 'num' : '', text: k === '#' ? '#' : t(k) })))),
            h('tbody', {}, counterRows)))),
        h('section', { class: 'dash-wide' },
          h('h2', { text: t('d.devices') }),
          live.length ? h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'dash-devices' },
            h('thead', {}, h('tr', {}, ...['v.name', 'v.kind', 'v.health', 'v.last_seen', 'v.printer'].map((k) => h('th', { text: t(k) })))),
            h('tbody', {}, deviceRows))) : h('p', { class: 'muted', text: t('d.no_devices') }))));
  }

  // tick moves the running clocks without rebuilding the tables.
  function tick() {
    if (!root) return;
    const now = app.api.now();
    for (const el of root.querySelectorAll('[data-since]')) el.textContent = duration(now - Number(el.dataset.since));
  }

  // A device changed (device.updated): fetch the list, once for a burst.
  function onDevices() {
    clearTimeout(devicesTimer);
    devicesTimer = setTimeout(loadDevices, 100);
  }

  return { render, leave, onBoard, onDevices, tick };
}
