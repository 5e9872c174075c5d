// Webhooks: endpoints that receive every event (the one-stop software, the
// province). Add one (the secret is shown once), remove one, see the recent
// deliveries and send one again. Admins only.

import { h, replace } from './dom.js';
import { t } from './i18n.js';

export function webhooksView(app) {
  let root = null;
  let secretBox = null; // the secret of the endpoint just created, shown once

  function render(body, tools) {
    root = body;
    secretBox = null;
    replace(tools, h('button', { type: 'button', class: 'btn', id: 'wh-refresh', text: t('au.refresh'), onclick: load }));
    load();
  }

  async function load() {
    if (!root) return;
    let eps;
    try {
      eps = await app.api.get('/api/v1/webhooks');
    } catch (e) {
      app.fail(e);
      return;
    }
    const deliveries = await Promise.all(eps.map((ep) => app.api.get('/api/v1/webhooks/' + encodeURIComponent(ep.id) + '/deliveries?limit=10').catch(() => [])));
    if (!root) return;
    replace(root, form(), secretBox,
      eps.length ? eps.map((ep, i) => endpoint(ep, deliveries[i])) : h('p', { class: 'muted', id: 'wh-none', text: t('wh.none') }));
  }

  function form() {
    const url = h('input', { type: 'url', id: 'wh-url', required: true, placeholder: 'https://motcua.example.gov.vn/civiq', style: { minWidth: '26rem' } });
    const events = h('input', { type: 'text', id: 'wh-events', placeholder: t('wh.events.hint'), style: { minWidth: '18rem' } });
    return h('form', { class: 'card wh-form', id: 'wh-form', onsubmit: async (e) => {
      e.preventDefault();
      const pats = events.value.split(/[\s,]+/).filter(Boolean);
      try {
        const ep = await app.api.post('/api/v1/webhooks', { url: url.value.trim(), events: pats });
        secretBox = h('div', { class: 'card wh-secret', id: 'wh-secret', role: 'status' },
          h('p', { text: t('wh.secret') }), h('code', { class: 'secret', text: ep.secret }), h('p', { class: 'muted', text: ep.url }));
        load();
      } catch (err) {
        app.fail(err);
      }
    } },
    h('h2', { text: t('wh.add') }),
    h('div', { class: 'chips', style: { gap: '.75rem', alignItems: 'end', flexWrap: 'wrap' } },
      h('label', { class: 'rep-field' }, h('span', { text: t('wh.url') }), url),
      h('label', { class: 'rep-field' }, h('span', { text: t('wh.events') }), events),
      h('button', { type: 'submit', class: 'btn', id: 'wh-create', text: t('wh.create') })));
  }

  function endpoint(ep, atts) {
    const state = ep.failing_since
      ? h('span', { class: 'pill bad', text: t('wh.state.failing', { n: ep.attempts, since: app.time(ep.failing_since, true) }) })
      : h('span', { class: 'pill ok', text: t('wh.state.ok') });
    return h('section', { class: 'card wh-endpoint', dataset: { id: ep.id } },
      h('div', { class: 'wh-head' },
        h('div', {}, h('code', { class: 'wh-url', text: ep.url }), ' ', state,
          h('p', { class: 'muted', text: t('wh.events.short') + ': ' + (ep.events.length ? ep.events.join(', ') : t('wh.all')) + ' · ' + ep.id })),
        h('button', { type: 'button', class: 'btn btn-danger btn-small', text: t('wh.remove'), onclick: async () => {
          if (!confirm(t('wh.remove.confirm', { url: ep.url }))) return;
          try {
            await app.api.del('/api/v1/webhooks/' + encodeURIComponent(ep.id));
            secretBox = null;
            load();
          } catch (e) {
            app.fail(e);
          }
        } })),
      h('h3', { text: t('wh.deliveries') }),
      atts.length ? h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl wh-deliveries' },
        h('thead', {}, h('tr', {}, ['wh.col.at', 'wh.col.event', 'wh.col.attempt', 'wh.col.status', 'wh.col.ms'].map((k) => h('th', { text: t(k) })), h('th', {}))),
        h('tbody', {}, atts.map((a) => h('tr', {},
          h('td', { text: app.time(a.at, true) }),
          h('td', {}, h('code', { text: '#' + a.seq + ' ' + a.event_type })),
          h('td', { class: 'num', text: a.resend ? t('wh.resend') : String(a.attempt) }),
          h('td', {}, h('span', { class: 'pill ' + (a.ok ? 'ok' : 'bad'), text: a.ok ? t('wh.ok') + ' ' + a.status : t('wh.failed') + (a.status ? ' ' + a.status : '') }),
            a.error && !a.ok ? h('div', { class: 'muted small', text: a.error }) : null),
          h('td', { class: 'num', text: String(a.duration_ms) }),
          h('td', { class: 'actions-cell' }, h('button', { type: 'button', class: 'btn btn-small', text: t('wh.resend'), onclick: async () => {
            try {
              await app.api.post('/api/v1/webhooks/' + encodeURIComponent(ep.id) + '/resend', { seq: a.seq });
              app.flash(t('wh.resent', { seq: a.seq }), 'ok');
              setTimeout(load, 1000);
            } catch (e) {
              app.fail(e);
            }
          } }))))))) : h('p', { class: 'muted', text: '–' }));
  }

  return { render, leave: () => { root = null; } };
}
