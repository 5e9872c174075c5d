// The audit log: who changed what, when (newest first).

import { h, replace } from './dom.js';
import { t } from './i18n.js';

export function auditView(app) {
  let root = null;
  let entries = [];
  const filter = h('input', { type: 'search', class: 'filter', id: 'audit-filter', placeholder: t('au.filter'), 'aria-label': t('au.filter') });
  const limit = h('select', { id: 'audit-limit', 'aria-label': t('au.limit'), value: '200' },
    ['100', '200', '500', '1000', '5000'].map((n) => h('option', { value: n, text: n })));

  async function load() {
    try {
      entries = await app.api.get('/api/v1/audit?limit=' + encodeURIComponent(limit.value));
      draw();
    } catch (e) {
      app.fail(e);
    }
  }

  function render(body, tools) {
    root = body;
    limit.value = '200';
    replace(tools, h('div', { class: 'chips', style: { gap: '.5rem', alignItems: 'center' } }, filter, limit,
      h('button', { type: 'button', class: 'btn', id: 'audit-refresh', text: t('au.refresh'), onclick: load })));
    filter.addEventListener('input', draw);
    limit.addEventListener('change', load);
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    load();
  }

  function draw() {
    if (!root) return;
    const q = filter.value.trim().toLowerCase();
    const shown = q ? entries.filter((e) => (e.actor + ' ' + e.action + ' ' + e.detail).toLowerCase().includes(q)) : entries;
    if (!shown.length) {
      replace(root, h('p', { class: 'muted', text: t('au.none') }));
      return;
    }
    replace(root, h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'audit' },
      h('thead', {}, h('tr', {}, ...['au.at', 'au.actor', 'au.action', 'au.detail'].map((k) => h('th', { text: t(k) })))),
      h('tbody', {}, shown.map((e) => h('tr', {},
        h('td', { style: { whiteSpace: 'nowrap' }, text: app.time(e.at, true) }),
        h('td', { text: e.actor }),
        h('td', {}, h('code', { text: e.action })),
        h('td', { class: 'wrap', text: e.detail })))))));
  }

  return { render, leave: () => { root = null; } };
}
