// The opening-hours editor: one row per weekday with up to two shifts (the
// gap between them is the lunch break), mapped to and from the wire form
// {"mon": ["07:30-11:30", "13:30-17:00"], ...}.

import { h } from './dom.js';
import { t } from './i18n.js';
import { Invalid } from './forms.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$/;

function minutes(s) {
  const [hh, mm] = s.split(':').map(Number);
  return hh * 60 + mm;
}

function pad(s) {
  // "7:30" → "07:30", as the server expects.
  return s.length === 4 ? '0' + s : s;
}

/**
 * hoursEditor returns {el, value()} for hours (may be empty). value() returns
 * the wire form or throws Invalid naming the day at fault. Days with more
 * than two intervals (possible in a centre file) keep the extra ones.
 */
export function hoursEditor(hours) {
  hours = hours || {};
  const rows = [];
  const tbody = h('tbody');
  for (const day of DAYS) {
    const iv = (hours[day] || []).map((s) => s.split('-'));
    const open = h('input', { type: 'checkbox', checked: iv.length > 0, 'aria-label': t('h.open') + ' ' + t('h.day.' + day) });
    const box = (v, label) => h('input', { type: 'text', inputmode: 'numeric', maxlength: 5, placeholder: '--:--', value: v || '', 'aria-label': t('h.day.' + day) + ' ' + label, dataset: { day } });
    const s1 = box(iv[0] && iv[0][0], t('h.morning'));
    const e1 = box(iv[0] && iv[0][1], t('h.morning'));
    const s2 = box(iv[1] && iv[1][0], t('h.afternoon'));
    const e2 = box(iv[1] && iv[1][1], t('h.afternoon'));
    const extra = (hours[day] || []).slice(2);
    const tr = h('tr', { class: iv.length ? '' : 'closed', dataset: { day } },
      h('th', { scope: 'row' }, h('label', { class: 'check' }, open, h('span', { text: t('h.day.' + day) }))),
      h('td', {}, s1, h('span', { class: 'dash', text: '–' }), e1),
      h('td', {}, s2, h('span', { class: 'dash', text: '–' }), e2),
      h('td', { class: 'muted', text: extra.join(', ') }));
    open.addEventListener('change', () => {
      tr.className = open.checked ? '' : 'closed';
      if (open.checked && !s1.value && !e1.value) {
        s1.value = '07:30'; e1.value = '11:30'; s2.value = '13:30'; e2.value = '17:00';
      }
    });
    for (const b of [s1, e1, s2, e2]) b.addEventListener('input', () => { if (b.value) { open.checked = true; tr.className = ''; } });
    rows.push({ day, open, s1, e1, s2, e2, extra, tr });
    tbody.appendChild(tr);
  }
  const copy = h('button', {
    type: 'button', class: 'btn btn-small', text: t('h.copy'),
    onclick: () => {
      const mon = rows[0];
      for (const r of rows.slice(1, 5)) {
        r.open.checked = mon.open.checked;
        r.tr.className = mon.open.checked ? '' : 'closed';
        for (const k of ['s1', 'e1', 's2', 'e2']) r[k].value = mon[k].value;
      }
    },
  });
  const el = h('div', { class: 'hours-editor' },
    h('table', { class: 'hours' },
      h('thead', {}, h('tr', {}, h('th', {}), h('th', { text: t('h.morning') }), h('th', { text: t('h.afternoon') }), h('th'))),
      tbody),
    h('p', { class: 'hint', text: t('h.hint') }),
    copy);

  function value() {
    const out = {};
    for (const r of rows) {
      if (!r.open.checked) continue;
      const dayName = t('h.day.' + r.day);
      const list = [];
      for (const [s, e] of [[r.s1, r.e1], [r.s2, r.e2]]) {
        const a = s.value.trim(), b = e.value.trim();
        if (!a && !b) continue;
        if (!CLOCK.test(a)) throw new Invalid(t('h.err.format', { day: dayName }), s);
        if (!CLOCK.test(b)) throw new Invalid(t('h.err.format', { day: dayName }), e);
        if (minutes(a) >= minutes(b)) throw new Invalid(t('h.err.order', { day: dayName }), e);
        if (list.length && minutes(a) < minutes(list[list.length - 1].split('-')[1])) throw new Invalid(t('h.err.order', { day: dayName }), s);
        list.push(pad(a) + '-' + pad(b));
      }
      if (!list.length) throw new Invalid(t('h.err.empty', { day: dayName }), r.s1);
      out[r.day] = list.concat(r.extra);
    }
    return out;
  }
  return { el, value };
}

/** summary describes hours in one short line, e.g. "T2–T6: 07:30–11:30, 13:30–17:00". */
export function summary(hours) {
  if (!hours || Object.keys(hours).length === 0) return '';
  const groups = [];
  for (const day of DAYS) {
    const v = (hours[day] || []).join(', ') || t('h.closed');
    const last = groups[groups.length - 1];
    if (last && last.v === v) last.to = day;
    else groups.push({ from: day, to: day, v });
  }
  const short = (d) => t('h.day.' + d);
  return groups.map((g) => (g.from === g.to ? short(g.from) : short(g.from) + '–' + short(g.to)) + ': ' +
    (g.v === '00:00-24:00' ? t('h.all_day') : g.v.replaceAll('-', '–'))).join(' · ');
}
