// Devices: kiosks and displays with their tokens. A new token is shown once,
// with a QR code of the pairing address; the server renders the QR code from
// a POST body, so the token never travels in a URL.

import { h, replace } from './dom.js';
import { t, ago } from './i18n.js';
import { field, input, openDialog, confirmDialog, Invalid } from './forms.js';

// Heartbeat ages that count as healthy and as late: kiosks and displays
// report every few tens of seconds.
const OK_MS = 2 * 60 * 1000;
const LATE_MS = 10 * 60 * 1000;

/**
 * health classifies a device: ok, fault (it reports, but its printer cannot
 * print), late, down, never (connected) or revoked.
 */
export function health(d, now) {
  if (d.revoked) return 'revoked';
  if (d.kind === 'integration') return 'na'; // outside software: no heartbeat
  if (!d.last_seen) return 'never';
  const age = now - Date.parse(d.last_seen);
  if (age > LATE_MS) return 'down';
  if (age > OK_MS) return 'late';
  const p = d.status && d.status.printer;
  return p && p !== 'ok' && p !== 'paper_low' ? 'fault' : 'ok';
}

/** printerText describes a kiosk's printer from its last heartbeat. */
export function printerText(d) {
  const st = d.status || {};
  if (!st.printer) return t('v.printer.none');
  let s = t('v.printer.' + st.printer);
  if (st.message) s += ' – ' + st.message;
  return s;
}

/** pairingURL is what the QR code holds for a new device. */
export function pairingURL(kind, base, token) {
  base = base.replace(/\/+$/, '');
  if (kind === 'display') return base + '/display?token=' + encodeURIComponent(token);
  return 'civiq://pair?server=' + encodeURIComponent(base) + '&kind=' + encodeURIComponent(kind) + '&token=' + encodeURIComponent(token);
}

export function devicesView(app) {
  let root = null;
  let timer = 0;
  let soon = 0;

  async function load() {
    try {
      draw(await app.devices(true));
    } catch (e) {
      app.fail(e);
    }
  }

  function render(body, tools) {
    root = body;
    replace(tools,
      h('button', { type: 'button', class: 'btn btn-primary', id: 'device-pair', text: t('v.pair'), onclick: pair }),
      h('button', { type: 'button', class: 'btn', id: 'device-add', text: t('v.add'), onclick: create }));
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    load();
    timer = setInterval(load, 15000);
  }

  function leave() {
    clearInterval(timer);
    clearTimeout(soon);
    root = null;
  }

  function draw(list) {
    if (!root) return;
    const now = app.api.now();
    if (!list.length) {
      replace(root, h('p', { class: 'muted', text: t('v.none') }));
      return;
    }
    const sorted = list.slice().sort((a, b) => (a.revoked - b.revoked) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    replace(root, h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'devices' },
      h('thead', {}, h('tr', {}, ...['v.name', 'v.kind', 'v.health', 'v.last_seen', 'v.printer'].map((k) =>
        h('th', { text: t(k) })), h('th', { class: 'num', text: t('v.pending') }), h('th'))),
      h('tbody', {}, sorted.map((d) => {
        const hl = health(d, now);
        const st = d.status || {};
        return h('tr', { class: d.revoked ? 'off' : '', dataset: { device: d.id } },
          h('td', { class: 'wrap' }, h('div', { class: 'field-name', text: d.name }),
            h('div', { class: 'muted small', text: t('v.created') + ' ' + app.time(d.created_at, true) + (st.version ? ' · ' + t('v.version') + ' ' + st.version : '') })),
          h('td', { class: 'nowrap', text: t('v.kind.' + d.kind) }),
          h('td', {}, h('span', { class: 'health', dataset: { health: hl }, text: t('v.health.' + hl) })),
          h('td', { text: d.last_seen ? ago(now - Date.parse(d.last_seen)) : t('never'), title: d.last_seen ? app.time(d.last_seen, true) : '' }),
          h('td', { class: d.status && d.status.message ? 'wrap' : 'nowrap', text: d.kind === 'kiosk' ? printerText(d) : t('none') }),
          h('td', { class: 'num', text: st.pending || 0 }),
          h('td', { class: 'actions-cell' }, d.revoked ? null : h('button', {
            type: 'button', class: 'btn btn-small btn-danger', text: t('v.revoke'),
            onclick: () => revoke(d),
          })));
      })))));
  }

  async function revoke(d) {
    if (!await confirmDialog(t('v.revoke.confirm', { name: d.name }), t('v.revoke'), true)) return;
    try {
      await app.api.del('/api/v1/devices/' + encodeURIComponent(d.id));
      app.flash(t('v.revoked.ok', { name: d.name }), 'ok');
    } catch (e) {
      app.fail(e);
    }
    load();
  }

  function create() {
    const kind = h('select', { id: 'device-kind' },
      h('option', { value: 'kiosk', text: t('v.kind.kiosk') }),
      h('option', { value: 'display', text: t('v.kind.display') }),
      h('option', { value: 'integration', text: t('v.kind.integration') }));
    const nm = input({ id: 'device-name', maxlength: 100, placeholder: t('v.name.hint') });
    openDialog(t('v.new'), h('div', {}, field(t('v.kind'), kind), field(t('v.name'), nm, t('v.name.hint'))), async () => {
      const n = nm.value.trim();
      if (!n || n.length > 100) throw new Invalid(t('v.err.name'), nm);
      const d = await app.api.post('/api/v1/devices', { kind: kind.value, name: n });
      load();
      showToken(d);
    }, { saveText: t('v.create') });
  }

  // pair makes a one-time pairing code (POST /api/v1/devices/pairing): the
  // device trades it for its token ("kiosk pair CODE --server URL").
  function pair() {
    const kind = h('select', { id: 'pair-kind' },
      h('option', { value: 'kiosk', text: t('v.kind.kiosk') }),
      h('option', { value: 'display', text: t('v.kind.display') }));
    const nm = input({ id: 'pair-name', maxlength: 100, placeholder: t('v.name.hint') });
    openDialog(t('v.pair.new'), h('div', {}, field(t('v.kind'), kind), field(t('v.name'), nm, t('v.name.hint'))), async () => {
      const n = nm.value.trim();
      if (!n || n.length > 100) throw new Invalid(t('v.err.name'), nm);
      const pc = await app.api.post('/api/v1/devices/pairing', { kind: kind.value, name: n });
      showCode(pc);
    }, { saveText: t('v.pair.make') });
  }

  // showCode shows a pairing code in large digits with the command to type.
  function showCode(pc) {
    const code = pc.code.slice(0, 4) + ' ' + pc.code.slice(4);
    const file = pc.kind === 'display' ? '/etc/civiq/display.token' : '/etc/civiq/kiosk.token';
    const cmd = pc.kind + ' pair ' + pc.code + ' --server ' + (location.origin + (window.CIVIQ_BASE || '')) + ' --token-file ' + file;
    openDialog(t('v.pair.title', { name: pc.name }), h('div', { id: 'pair-dialog' },
      h('div', { class: 'field' }, h('span', { class: 'label', text: t('v.pair.code') }),
        h('div', { class: 'secret', id: 'pair-code', style: { fontSize: '2.6rem', letterSpacing: '.12em', fontWeight: '700' }, text: code })),
      h('p', { text: t('v.pair.until', { time: app.time(pc.expires_at, true) }) }),
      h('div', { class: 'secret', id: 'pair-cmd', text: cmd }),
      h('p', { class: 'muted small', text: t('v.pair.hint') })), null, { wide: true, noAutofocus: true });
    load();
  }

  // showToken shows a new token once: as text, as a pairing address and as a QR code.
  function showToken(d) {
    const base = input({ id: 'pair-base', value: (location.origin + (window.CIVIQ_BASE || '')) });
    const url = h('div', { class: 'secret', id: 'pair-url' });
    const img = h('img', { id: 'pair-qr', alt: t('v.qr.alt'), width: 260, height: 260 });
    const copyBtn = (get) => h('button', {
      type: 'button', class: 'btn btn-small', text: t('v.copy'),
      onclick: async (ev) => {
        try {
          await navigator.clipboard.writeText(get());
          ev.target.textContent = t('v.copied');
        } catch {
          // No clipboard (plain http on another host): the text is selectable.
        }
      },
    });
    let seq = 0;
    const refresh = async () => {
      const u = pairingURL(d.kind, base.value.trim() || (location.origin + (window.CIVIQ_BASE || '')), d.token);
      url.textContent = u;
      const mine = ++seq;
      try {
        const resp = await app.api.request('POST', '/api/v1/qr', { text: u, size: 520 }, { raw: true });
        const blob = await resp.blob();
        const dataURL = await new Promise((resolve, reject) => {
          const r = new FileReader();
          r.onload = () => resolve(r.result);
          r.onerror = reject;
          r.readAsDataURL(blob);
        });
        if (mine === seq) img.src = dataURL; // CSP allows data: images, not blob:
      } catch (e) {
        img.alt = String(e.message || e);
      }
    };
    base.addEventListener('change', refresh);
    openDialog(t('v.token.title', { name: d.name }), h('div', { id: 'token-dialog' },
      h('p', { class: 'msg info', text: t('v.token.once') }),
      h('div', { class: 'pair' },
        h('div', {},
          h('div', { class: 'field' }, h('span', { class: 'label', text: t('v.token') }),
            h('div', { class: 'copy-row' }, h('div', { class: 'secret', id: 'device-token', text: d.token }), copyBtn(() => d.token))),
          field(t('v.server'), base),
          h('div', { class: 'field' }, h('span', { class: 'label', text: t('v.pair_url') }),
            h('div', { class: 'copy-row' }, url, copyBtn(() => url.textContent)))),
        img)), null, { wide: true, noAutofocus: true });
    refresh();
  }

  // A device changed (device.updated): fetch the list, once for a burst.
  function onDevices() {
    if (!root) return;
    clearTimeout(soon);
    soon = setTimeout(load, 100);
  }

  return { render, leave, onDevices };
}
