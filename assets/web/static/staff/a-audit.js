// The audit log: who changed what, when, from where, and each changed
// field's value before and after (newest first). Filters by user and by
// kind ask the server; the text filter narrows what is shown; the CSV
// export downloads the same selection for a spreadsheet.

import { h, replace } from './dom.js';
import { t } from './i18n.js';

// Kinds of action (the part before the dot of "counter.put").
const KINDS = ['centre', 'service', 'counter', 'user', 'device'];

export function auditView(app) {
  let root = null;
  let entries = [];
  const filter = h('input', { type: 'search', class: 'filter', id: 'audit-filter', placeholder: t('au.filter'), 'aria-label': t('au.filter') });
  const limit = h('select', { id: 'audit-limit', 'aria-label': t('au.limit'), value: '200' },
    ['100', '200', '500', '1000', '5000'].map((n) => h('option', { value: n, text: n })));
  const actor = h('select', { id: 'audit-actor', 'aria-label': t('au.actor') }, h('option', { value: '', text: t('au.all_users') }));
  const kind = h('select', { id: 'audit-kind', 'aria-label': t('au.kind') }, h('option', { value: '', text: t('au.all_kinds') }),
    KINDS.map((k) => h('option', { value: k, text: t('au.kind.' + k) })));
  const csv = h('a', { class: 'btn', id: 'audit-csv', text: t('au.csv'), download: '' });

  function query(n) {
    const p = new URLSearchParams();
    if (n) p.set('limit', n);
    if (actor.value) p.set('actor', actor.value);
    if (kind.value) p.set('kind', kind.value);
    return p.toString();
  }

  async function load() {
    csv.href = (window.CIVIQ_BASE || '') + '/api/v1/audit.csv?' + query('');
    try {
      entries = await app.api.get('/api/v1/audit?' + query(limit.value));
      draw();
    } catch (e) {
      app.fail(e);
    }
  }

  async function loadUsers() {
    try {
      const us = await app.users();
      const keep = actor.value;
      replace(actor, h('option', { value: '', text: t('au.all_users') }),
        us.map((u) => h('option', { value: u.username, text: u.name ? u.username + ' – ' + u.name : u.username })),
        h('option', { value: 'command line', text: t('au.command_line') }));
      actor.value = keep;
    } catch { /* the filter keeps "all users" */ }
  }

  function render(body, tools) {
    root = body;
    limit.value = '200';
    replace(tools, h('div', { class: 'chips', style: { gap: '.5rem', alignItems: 'center' } }, actor, kind, filter, limit,
      h('button', { type: 'button', class: 'btn', id: 'audit-refresh', text: t('au.refresh'), onclick: load }), csv));
    filter.addEventListener('input', draw);
    limit.addEventListener('change', load);
    actor.addEventListener('change', load);
    kind.addEventListener('change', load);
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    loadUsers();
    load();
  }

  // value shows one field's value: text as is, lists joined, absent as "–".
  function value(v) {
    if (v === null || v === undefined || v === '') return t('none');
    if (Array.isArray(v)) return v.length ? v.join(', ') : t('none');
    if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function changes(e) {
    const cs = e.changes || [];
    if (!cs.length) return e.detail ? h('span', { text: e.detail }) : t('none');
    return h('ul', { class: 'changes' }, cs.map((c) => h('li', {},
      h('code', { text: c.field }), ': ',
      h('del', { text: value(c.before) }), ' → ', h('ins', { text: value(c.after) }))));
  }

  function draw() {
    if (!root) return;
    const q = filter.value.trim().toLowerCase();
    const text = (e) => [e.actor, e.action, e.subject, e.ip, e.detail, JSON.stringify(e.changes || [])].join(' ').toLowerCase();
    const shown = q ? entries.filter((e) => text(e).includes(q)) : entries;
    if (!shown.length) {
      replace(root, h('p', { class: 'muted', text: t('au.none') }));
      return;
    }
    replace(root, h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'audit' },
      h('thead', {}, h('tr', {}, ...['au.at', 'au.actor', 'au.ip', 'au.action', 'au.subject', 'au.changes'].map((k) => h('th', { text: t(k) })))),
      h('tbody', {}, shown.map((e) => h('tr', { dataset: { id: String(e.id) } },
        h('td', { style: { whiteSpace: 'nowrap' }, text: app.time(e.at, true) }),
        h('td', { text: e.actor }),
        h('td', { class: 'nowrap', text: e.ip || t('none') }),
        h('td', {}, h('code', { text: e.action })),
        h('td', { class: 'wrap', text: e.subject || t('none') }),
        h('td', { class: 'wrap' }, changes(e))))))));
  }

  return { render, leave: () => { root = null; } };
}
