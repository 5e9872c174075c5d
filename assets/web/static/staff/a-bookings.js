// Appointments (issue 17): the day's bookings with their state and the
// figures per field; the booking settings of each field (slots per
// weekday, capacity, days ahead, check-in window); the centre's holidays.
// Supervisors read; admins change.

import { h, replace } from './dom.js';
import { t, name } from './i18n.js';
import { flash, intIn, Invalid } from './forms.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function bookingsView(app) {
  let root = null;
  let day = '';

  // Today in the centre's calendar (the hall's, not this computer's).
  function today() {
    const tz = app.tz() || 'Asia/Ho_Chi_Minh';
    try {
      return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(app.api.now()));
    } catch {
      return new Date().toISOString().slice(0, 10);
    }
  }

  function render(body, tools) {
    root = body;
    day = day || today();
    const pick = h('input', { type: 'date', id: 'bk-day', value: day, onchange: () => { day = pick.value || today(); load(); } });
    replace(tools, pick, ' ', h('button', { type: 'button', class: 'btn', id: 'bk-refresh', text: t('au.refresh'), onclick: load }));
    load();
  }

  async function load() {
    if (!root) return;
    let services, settings, holidays, list, stats;
    try {
      [services, settings, holidays, list] = await Promise.all([
        app.api.get('/api/v1/services'), app.api.get('/api/v1/bookings/settings'),
        app.api.get('/api/v1/holidays'), app.api.get('/api/v1/bookings?day=' + day)]);
      stats = await app.api.get('/api/v1/bookings/stats?from=' + day + '&to=' + day);
    } catch (e) {
      app.fail(e);
      return;
    }
    if (!root) return;
    const byId = Object.fromEntries(services.map((s) => [s.id, s]));
    const sets = Object.fromEntries(settings.map((s) => [s.service_id, s]));
    const admin = app.me && app.me.role === 'admin';
    replace(root,
      h('section', { class: 'card', id: 'bk-today' },
        h('h2', { text: t('bk.today') + ' — ' + day }),
        stats.length ? h('p', { class: 'muted', id: 'bk-stats' }, stats.map((s) =>
          t('bk.stat', { field: byId[s.service_id] ? name(byId[s.service_id].name) : s.service_id, n: s.bookings, c: s.checked_in, x: s.no_show, k: s.cancelled })).join(' · ')) : null,
        list.length ? h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'bk-list' },
          h('thead', {}, h('tr', {}, ['bk.col.time', 'bk.col.code', 'bk.col.field', 'bk.col.state', 'bk.col.ticket', 'bk.col.by'].map((k) => h('th', { text: t(k) })))),
          h('tbody', {}, list.map((b) => h('tr', { dataset: { code: b.code } },
            h('td', { text: b.slot_start.slice(11, 16) }),
            h('td', {}, h('code', { text: b.code })),
            h('td', { text: byId[b.service_id] ? name(byId[b.service_id].name) : b.service_id }),
            h('td', {}, h('span', { class: 'pill ' + (b.status === 'checked_in' ? 'ok' : b.status === 'booked' ? '' : 'bad'), text: t('bk.state.' + b.status) })),
            h('td', { text: b.ticket_code || '' }),
            h('td', { class: 'muted', text: b.created_by || '' })))))) : h('p', { class: 'muted', id: 'bk-none', text: t('bk.none') })),
      h('h2', { text: t('bk.settings') }),
      services.map((s) => settingsCard(s, sets[s.id], admin)),
      holidaysCard(holidays, admin));
  }

  function settingsCard(svc, set, admin) {
    set = set || { service_id: svc.id, enabled: false, days_ahead: 6, window_before: 15, window_after: 10, days: {} };
    const msg = h('p', { class: 'msg', hidden: true });
    const enabled = h('input', { type: 'checkbox', class: 'bk-enabled', checked: !!set.enabled });
    const ahead = h('input', { type: 'number', class: 'bk-ahead', min: '0', max: '60', value: String(set.days_ahead), style: { width: '5rem' } });
    const before = h('input', { type: 'number', class: 'bk-before', min: '1', max: '240', value: String(set.window_before || 15), style: { width: '5rem' } });
    const after = h('input', { type: 'number', class: 'bk-after', min: '1', max: '240', value: String(set.window_after || 10), style: { width: '5rem' } });
    const rows = WEEKDAYS.map((wd) => {
      const d = (set.days || {})[wd] || {};
      return {
        wd,
        starts: h('input', { type: 'text', class: 'bk-starts', value: (d.starts || []).join(', '), placeholder: '08:00, 08:30, 14:00', style: { minWidth: '14rem' } }),
        len: h('input', { type: 'number', class: 'bk-len', min: '0', max: '240', value: d.slot_minutes ? String(d.slot_minutes) : '', placeholder: '30', style: { width: '5rem' } }),
        cap: h('input', { type: 'number', class: 'bk-cap', min: '0', max: '1000', value: d.capacity ? String(d.capacity) : '', placeholder: '0', style: { width: '5rem' } }),
      };
    });
    const save = h('button', { type: 'submit', class: 'btn', text: t('save'), hidden: !admin });
    const state = h('span', { class: 'bk-state', text: t(set.enabled ? 'bk.on' : 'bk.off') });
    // Fields that take no bookings stay folded, so the page stays short.
    return h('details', { class: 'card', style: { marginTop: '1rem' }, open: !!set.enabled, dataset: { service: svc.id } },
      h('summary', {}, h('b', { text: name(svc.name) }), ' — ', state),
      h('form', { class: 'bk-settings', novalidate: true, dataset: { service: svc.id }, onsubmit: async (e) => {
      e.preventDefault();
      if (save.disabled) return;
      for (const el of e.target.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      save.disabled = true;
      try {
        // Checked here first, so the admin reads what is wrong in their
        // language next to the box (the server checks the same again).
        const body = { service_id: svc.id, enabled: enabled.checked,
          days_ahead: intIn(ahead, 0, 60, t('bk.err.ahead')),
          window_before: intIn(before, 1, 240, t('bk.err.window')),
          window_after: intIn(after, 1, 240, t('bk.err.window')), days: {} };
        for (const r of rows) {
          const day = t('h.day.' + r.wd);
          const cap = intIn(r.cap, 0, 1000, t('bk.err.cap', { day }));
          const starts = r.starts.value.split(/[\s,;]+/).filter(Boolean);
          const bad = starts.find((st) => !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(st));
          if (bad) throw new Invalid(t('bk.err.start', { day, v: bad }), r.starts);
          if (cap === 0) {
            // Slots without places would silently vanish on save.
            if (starts.length || r.len.value.trim()) throw new Invalid(t('bk.err.nocap', { day }), r.cap);
            continue;
          }
          const len = starts.length ? 0 : intIn(r.len, 5, 240, t('bk.err.len', { day }));
          body.days[r.wd] = { capacity: cap, starts, slot_minutes: len };
        }
        await app.api.put('/api/v1/bookings/settings/' + encodeURIComponent(svc.id), body);
        state.textContent = t(body.enabled ? 'bk.on' : 'bk.off');
        flash(msg, t('saved'), 'ok');
      } catch (err) {
        if (err instanceof Invalid) {
          flash(msg, err.message, 'error');
          if (err.el) { err.el.setAttribute('aria-invalid', 'true'); err.el.focus(); }
        } else {
          app.fail(err);
          flash(msg, document.getElementById('flash').textContent, 'error');
        }
      } finally {
        save.disabled = false;
      }
    } },
    h('div', { style: { display: 'flex', gap: '1.25rem', flexWrap: 'wrap', alignItems: 'center', marginTop: '.75rem' } },
      h('label', { class: 'check' }, enabled, h('span', { text: t('bk.enabled') })),
      h('label', {}, t('bk.ahead') + ' ', ahead),
      h('label', {}, t('bk.window.before') + ' ', before),
      h('label', {}, t('bk.window.after') + ' ', after)),
    h('div', { class: 'tbl-wrap', style: { marginTop: '.75rem' } }, h('table', { class: 'tbl' },
      h('thead', {}, h('tr', {}, ['bk.col.weekday', 'bk.col.starts', 'bk.col.len', 'bk.col.cap'].map((k) => h('th', { text: t(k) })))),
      h('tbody', {}, rows.map((r) => h('tr', { dataset: { day: r.wd } }, h('td', { text: t('h.day.' + r.wd) }), h('td', {}, r.starts), h('td', {}, r.len), h('td', {}, r.cap)))))),
    h('p', { class: 'muted', text: t('bk.hint') }),
    save, msg));
  }

  function holidaysCard(list, admin) {
    const msg = h('p', { class: 'msg', hidden: true });
    const area = h('textarea', { id: 'bk-holidays', rows: '6', style: { width: '100%', maxWidth: '36rem', font: 'inherit' },
      placeholder: '2027-01-01 Tết Dương lịch' });
    area.value = list.map((x) => x.day + (x.name ? ' ' + x.name : '')).join('\n');
    const save = h('button', { type: 'submit', class: 'btn', id: 'bk-holidays-save', text: t('save'), hidden: !admin });
    return h('form', { class: 'card', id: 'bk-holidays-form', novalidate: true, style: { marginTop: '1rem' }, onsubmit: async (e) => {
      e.preventDefault();
      if (save.disabled) return;
      area.removeAttribute('aria-invalid');
      save.disabled = true;
      try {
        const seen = new Set();
        const body = area.value.split('\n').map((l) => l.trim()).map((l, i) => [l, i + 1]).filter(([l]) => l).map(([l, n]) => {
          const m = l.match(/^(\S+)\s*(.*)$/);
          const d = new Date(m[1] + 'T00:00:00Z');
          if (!/^\d{4}-\d{2}-\d{2}$/.test(m[1]) || isNaN(d) || d.toISOString().slice(0, 10) !== m[1]) throw new Invalid(t('bk.err.holiday', { n, v: m[1] }), area);
          if (seen.has(m[1])) throw new Invalid(t('bk.err.holiday.twice', { v: m[1] }), area);
          if ([...m[2]].length > 100) throw new Invalid(t('bk.err.holiday.name', { n }), area);
          seen.add(m[1]);
          return { day: m[1], name: m[2] };
        });
        await app.api.put('/api/v1/holidays', body);
        flash(msg, t('saved'), 'ok');
      } catch (err) {
        if (err instanceof Invalid) {
          flash(msg, err.message, 'error');
          area.setAttribute('aria-invalid', 'true');
          area.focus();
        } else {
          app.fail(err);
          flash(msg, document.getElementById('flash').textContent, 'error');
        }
      } finally {
        save.disabled = false;
      }
    } },
    h('h2', { text: t('bk.holidays') }),
    h('p', { class: 'muted', text: t('bk.holidays.hint') }),
    area, h('div', {}, save), msg);
  }

  return { render, leave: () => { root = null; } };
}
