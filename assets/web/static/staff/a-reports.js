// Reports (Báo cáo): a date range and a grouping, the figures of
// GET /api/v1/reports as a table, CSV/XLSX downloads, the charts the server
// draws as SVG, and the printable monthly summary. Supervisors and admins.

import { h, replace } from './dom.js';
import { t, lang, name } from './i18n.js';

const GROUPS = ['day', 'week', 'month', 'service', 'counter', 'clerk', 'hour', 'weekday'];
const CHARTS = ['daily', 'heatmap', 'waits', 'outcomes', 'ratings'];
const CAUSES = ['one_stop_software', 'network', 'power', 'printer', 'other'];

function pad(n) { return String(n).padStart(2, '0'); }

/** dayOf formats a Date's calendar day as YYYY-MM-DD (in the centre's zone when known). */
function dayOf(d, tz) {
  try {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: tz })
      .formatToParts(d).map((x) => [x.type, x.value]));
    return p.year + '-' + p.month + '-' + p.day;
  } catch {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  }
}

function addDays(day, n) {
  const d = new Date(day + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function monthRange(day, delta) {
  const [y, m] = day.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + delta, 1, 12));
  const last = new Date(Date.UTC(y, m + delta, 0, 12));
  return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)];
}

function minutes(s) { return s === null || s === undefined ? '–' : (s / 60).toLocaleString(lang() === 'en' ? 'en-GB' : 'vi-VN', { maximumFractionDigits: 1 }); }
function share(v) { return v === null || v === undefined ? '–' : Math.round(v * 100) + ' %'; }
function satisfied(r) {
  const all = r.very_satisfied + r.satisfied + r.unsatisfied;
  return all ? Math.round(100 * (r.very_satisfied + r.satisfied) / all) + ' %' : '–';
}
function n(v) { return (v || 0).toLocaleString(lang() === 'en' ? 'en-GB' : 'vi-VN'); }
function mins(v) { return (v || 0).toLocaleString(lang() === 'en' ? 'en-GB' : 'vi-VN', { maximumFractionDigits: 1 }); }

export function reportsView(app) {
  let root = null;
  const today = dayOf(new Date(app.api.now()), app.tz());
  const [mFrom] = monthRange(today, 0);
  // Kept on the app: a language switch draws the view again, same report.
  const state = app.reportState || (app.reportState = { from: mFrom, to: today, group: 'day' });
  const from = h('input', { type: 'date', id: 'rep-from', value: state.from, 'aria-label': t('r.from') });
  const to = h('input', { type: 'date', id: 'rep-to', value: state.to, 'aria-label': t('r.to') });
  const group = h('select', { id: 'rep-group', 'aria-label': t('r.group'), value: state.group },
    GROUPS.map((g) => h('option', { value: g, text: t('r.by.' + g) })));
  const csv = h('a', { class: 'btn btn-ghost', id: 'rep-csv', text: t('r.csv'), download: '' });
  const xlsx = h('a', { class: 'btn btn-ghost', id: 'rep-xlsx', text: t('r.xlsx'), download: '' });
  const print = h('a', { class: 'btn btn-ghost', id: 'rep-print', text: t('r.print'), target: '_blank', rel: 'noopener' });

  function query(extra) {
    return 'from=' + encodeURIComponent(state.from) + '&to=' + encodeURIComponent(state.to) + (extra || '');
  }

  function preset(which) {
    let r;
    switch (which) {
      case 'this': r = [monthRange(today, 0)[0], today]; break;
      case 'last': r = monthRange(today, -1); break;
      case '7': r = [addDays(today, -6), today]; break;
      default: r = [addDays(today, -29), today];
    }
    from.value = r[0];
    to.value = r[1];
    load();
  }

  function render(body, tools) {
    root = body;
    from.value = state.from;
    to.value = state.to;
    group.value = state.group;
    replace(tools, h('form', { class: 'chips rep-tools', style: { gap: '.5rem', alignItems: 'center', flexWrap: 'wrap' },
      onsubmit: (e) => { e.preventDefault(); load(); } },
    h('label', { class: 'rep-field' }, h('span', { text: t('r.from') }), from),
    h('label', { class: 'rep-field' }, h('span', { text: t('r.to') }), to),
    h('label', { class: 'rep-field' }, h('span', { text: t('r.group') }), group),
    h('button', { type: 'submit', class: 'btn', id: 'rep-show', text: t('r.show') }),
    ['this', 'last', '7', '30'].map((p) => h('button', { type: 'button', class: 'btn btn-ghost btn-small', dataset: { preset: p }, text: t('r.preset.' + p), onclick: () => preset(p) })),
    csv, xlsx, print));
    group.addEventListener('change', load);
    load();
  }

  async function load() {
    if (!root) return;
    state.from = from.value;
    state.to = to.value;
    state.group = group.value;
    csv.href = (window.CIVIQ_BASE || '') + '/api/v1/reports?' + query('&group_by=' + state.group + '&format=csv');
    xlsx.href = (window.CIVIQ_BASE || '') + '/api/v1/reports?' + query('&group_by=' + state.group + '&format=xlsx');
    print.href = (window.CIVIQ_BASE || '') + '/admin/summary?month=' + encodeURIComponent(state.from.slice(0, 7));
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    let rep, dis, bk, svcs;
    try {
      [rep, dis, bk, svcs] = await Promise.all([
        app.api.get('/api/v1/reports?' + query('&group_by=' + encodeURIComponent(state.group))),
        app.api.get('/api/v1/disruptions?' + query()),
        // Bookings (issue 17): a range the stats refuse (over 400 days) shows none.
        app.api.get('/api/v1/bookings/stats?' + query()).catch(() => []),
        app.api.get('/api/v1/services'),
      ]);
    } catch (e) {
      replace(root);
      app.fail(e);
      return;
    }
    if (!root) return;
    draw(rep, dis, bookings(bk, svcs));
  }

  /** bookings is the Đặt lịch section: bookings, check-ins, no-shows and
   * cancellations per field over the range. */
  function bookings(stats, svcs) {
    const head = h('h2', { text: t('r.bk.title') });
    if (!stats.length) return h('section', { class: 'card', id: 'rep-bk' }, head, h('p', { class: 'muted', id: 'rep-bk-none', text: t('bk.none') }));
    const by = new Map();
    for (const s of stats) {
      const a = by.get(s.service_id) || { bookings: 0, checked_in: 0, no_show: 0, cancelled: 0 };
      for (const k of Object.keys(a)) a[k] += s[k];
      by.set(s.service_id, a);
    }
    const label = (id) => { const s = svcs.find((x) => x.id === id); return s ? name(s.name) : id; };
    const keys = ['bookings', 'checked_in', 'no_show', 'cancelled'];
    return h('section', { class: 'card', id: 'rep-bk' }, head, h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'rep-bk-table' },
      h('thead', {}, h('tr', {}, h('th', { text: t('bk.col.field') }), keys.map((k) => h('th', { class: 'num', text: t('r.bk.' + k) })))),
      h('tbody', {}, [...by].map(([id, a]) => h('tr', { dataset: { service: id } },
        h('th', { scope: 'row', class: 'rep-label', text: label(id) }), keys.map((k) => h('td', { class: 'num', text: n(a[k]) }))))))));
  }

  function where(d) {
    if (!d.counter_ids.length) return t('r.dis.centre');
    return d.counter_ids.map((id) => {
      const cs = app.board.counters.find((x) => x.counter.id === id);
      return cs ? name(cs.counter.name) : id;
    }).join(', ');
  }

  /** disruptions is the Gián đoạn section: per cause, then each one. */
  function disruptions(list) {
    const head = h('h2', { text: t('r.dis.title') });
    if (!list.length) return h('section', { class: 'card rep-dis', id: 'rep-dis' }, head, h('p', { class: 'muted', id: 'rep-dis-none', text: t('r.dis.none') }));
    const by = CAUSES.map((c) => {
      const ds = list.filter((d) => d.cause === c);
      return { cause: c, count: ds.length, minutes: ds.reduce((a, d) => a + d.minutes, 0), waiting: ds.reduce((a, d) => a + d.citizens_waiting, 0) };
    }).filter((x) => x.count);
    const th = (k, num) => h('th', { class: num ? 'num' : null, text: t(k) });
    const causes = h('table', { class: 'tbl', id: 'rep-dis-causes' },
      h('thead', {}, h('tr', {}, th('r.dis.cause'), th('r.dis.count', true), th('r.dis.minutes', true), th('r.dis.waiting', true))),
      h('tbody', {}, by.map((x) => h('tr', { dataset: { cause: x.cause } },
        h('th', { scope: 'row', class: 'rep-label', text: t('cause.' + x.cause) }),
        h('td', { class: 'num', text: n(x.count) }), h('td', { class: 'num', text: mins(x.minutes) }), h('td', { class: 'num', text: n(x.waiting) })))));
    const each = h('table', { class: 'tbl rep-dis-list', id: 'rep-dis-list' },
      h('thead', {}, h('tr', {}, th('r.dis.start'), th('r.dis.end'), th('r.dis.where'), th('r.dis.cause'),
        th('r.dis.minutes', true), th('r.dis.waiting', true), th('r.dis.note'))),
      h('tbody', {}, list.map((d) => h('tr', { dataset: { id: d.id } },
        h('td', { text: app.time(d.started_at, true) }), h('td', { text: d.ended_at ? app.time(d.ended_at, true) : t('r.dis.open') }),
        h('td', { text: where(d) }), h('td', { text: t('cause.' + d.cause) }),
        h('td', { class: 'num', text: mins(d.minutes) }), h('td', { class: 'num', text: n(d.citizens_waiting) }),
        h('td', { class: 'rep-dis-note', text: d.note || '' })))));
    return h('section', { class: 'card rep-dis', id: 'rep-dis' }, head,
      h('div', { class: 'rep-dis-grid' },
        h('div', { class: 'tbl-wrap' }, causes), h('div', { class: 'tbl-wrap' }, each)));
  }

  function draw(rep, dis, bk) {
    // The figures a person reads on screen; the downloads hold every column.
    const cols = [
      ['issued', (r) => n(r.issued)], ['served', (r) => n(r.served)], ['no_show', (r) => n(r.no_show)],
      ['transferred', (r) => n(r.transferred)],
      ['wait_mean', (r) => minutes(r.wait_mean_seconds)], ['wait_p90', (r) => minutes(r.wait_p90_seconds)],
      ['service_mean', (r) => minutes(r.service_mean_seconds)], ['within', (r) => share(r.within_target_share)],
      ['received', (r) => n(r.outcomes.received)], ['returned', (r) => n(r.outcomes.returned)],
      ['supplement', (r) => n(r.outcomes.supplement)], ['dossiers', (r) => n(r.dossiers)],
      ['satisfied', (r) => satisfied(r.ratings)],
      ['disruption', (r) => n(Math.round(r.disruption_minutes))],
    ];
    const row = (r, cls) => h('tr', { class: cls || null },
      h('th', { scope: 'row', class: 'rep-label', text: r.label, title: r.key }), cols.map(([, f]) => h('td', { class: 'num', text: f(r) })));
    const table = rep.rows.length
      ? h('div', { class: 'tbl-wrap rep-table' }, h('table', { class: 'tbl', id: 'report' },
        h('thead', {}, h('tr', {}, h('th', { text: t('r.by.' + rep.group_by) }), cols.map(([k]) => h('th', { class: 'num', text: t('r.col.' + k) })))),
        h('tbody', {}, rep.rows.map((r) => row(r)), row(Object.assign({}, rep.total, { label: t('r.total') }), 'rep-total'))))
      : h('p', { class: 'muted', id: 'report-empty', text: t('r.empty') });
    const l = lang() === 'en' ? '&lang=en' : '';
    const charts = h('div', { class: 'rep-charts' }, CHARTS.map((c) => h('figure', { class: 'card rep-chart rep-chart-' + c },
      h('figcaption', { text: t('r.chart.' + c) }),
      h('img', { src: (window.CIVIQ_BASE || '') + '/api/v1/reports/charts/' + c + '.svg?' + query(l), alt: t('r.chart.' + c), id: 'chart-' + c, loading: 'lazy' }))));
    replace(root,
      h('section', { class: 'kpi-row rep-kpis' },
        kpi(t('r.col.issued'), n(rep.total.issued)), kpi(t('r.col.served'), n(rep.total.served)),
        kpi(t('r.kpi.wait'), minutes(rep.total.wait_mean_seconds) + ' / ' + minutes(rep.total.wait_p90_seconds)),
        kpi(t('r.col.within'), share(rep.total.within_target_share)),
        kpi(t('r.col.dossiers'), n(rep.total.dossiers)), kpi(t('r.col.disruption'), n(Math.round(rep.total.disruption_minutes)))),
      table, disruptions(dis || []), bk, charts);
  }

  function kpi(label, value) {
    return h('div', { class: 'card rep-kpi' }, h('b', { text: value }), h('span', { text: label }));
  }

  return { render, leave: () => { root = null; } };
}
