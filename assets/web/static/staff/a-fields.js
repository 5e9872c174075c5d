// Fields (lĩnh vực): ticket letter, names, daily cap, opening hours with a
// lunch break, wait target, on/off, the order on the kiosk and the priority
// rule (strict, interleave 1 : N, off) with the place of booked tickets
// (first, after priority, in line). Every save is
// a PUT of the whole definition; the server publishes it at once to kiosks
// and displays (service.updated) and writes the audit log.

import { h, replace } from './dom.js';
import { t, name } from './i18n.js';
import { field, input, check, intIn, openDialog, Invalid } from './forms.js';
import { hoursEditor, summary } from './hours.js';

const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const PREFIX = /^[A-Z]{1,2}$/;

/** definition is the editable part of a service, as PUT expects it. */
export function definition(s) {
  return {
    id: s.id, prefix: s.prefix, name: { vi: s.name.vi, en: s.name.en || '' },
    daily_cap: s.daily_cap || 0, target_minutes: s.target_minutes || 0,
    enabled: s.enabled !== false, order: s.order || 0, hours: s.hours || {},
    group: s.group ? { vi: s.group.vi, en: s.group.en || '' } : null,
    accept_unserved: !!s.accept_unserved,
    ...rule(s),
    booked_position: s.booked_position || 'first',
  };
}

/** BOOKED are the places a field's booked tickets (in their window) take in call-next. */
export const BOOKED = ['first', 'after_priority', 'in_line'];

/** RULES are the priority rules a field can have; MAX_EVERY bounds N. */
export const RULES = ['strict', 'interleave', 'off'];
export const MAX_EVERY = 20;

/** rule is the priority rule part of a definition (priority_every only with interleave). */
export function rule(s) {
  const r = s.priority_rule || 'strict';
  return r === 'interleave' ? { priority_rule: r, priority_every: s.priority_every || 1 } : { priority_rule: r, priority_every: 0 };
}

/** ruleText describes a field's rule in one line. */
export function ruleText(s) {
  const r = rule(s);
  return r.priority_rule === 'interleave' ? t('f.rule.interleave_n', { n: r.priority_every }) : t('f.rule.' + r.priority_rule);
}

/** unserved lists the fields no counter serves (closed: no_counter, unless they accept unserved). */
export function unserved(board) {
  const served = new Set();
  for (const cs of board.counters || []) for (const id of cs.counter.service_ids || []) served.add(id);
  return (board.services || []).filter((s) => !served.has(s.id));
}

/** groups lists the distinct groups of the fields, in kiosk order. */
export function groups(services) {
  const out = new Map();
  for (const s of services || []) if (s.group && s.group.vi && !out.has(s.group.vi)) out.set(s.group.vi, s.group);
  return [...out.values()];
}

/** slug turns a Vietnamese name into an id: "Đất đai" → "dat-dai". */
export function slug(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
}

// startingHours are what "own hours" start from: the centre's, unless those
// are round the clock (the demo centre), then office hours with a lunch break.
function startingHours(centre) {
  const days = Object.values(centre || {});
  if (days.length && !days.every((d) => d.length === 1 && d[0] === '00:00-24:00')) return centre;
  const office = ['07:30-11:30', '13:30-17:00'];
  return { mon: office, tue: office, wed: office, thu: office, fri: office };
}

export function fieldsView(app) {
  let root = null;
  let moving = false;

  function render(body, tools) {
    root = body;
    replace(tools, h('button', { type: 'button', class: 'btn btn-primary', id: 'field-add', text: t('f.add'), onclick: () => edit(null) }));
    draw();
  }

  function onBoard(ev) {
    if (['service.updated', 'counter.updated', 'snapshot', 'resync', 'ticket.issued', 'ticket.called', 'ticket.transferred', 'ticket.cancelled'].includes(ev.type)) draw();
  }

  function draw() {
    if (!root) return;
    const b = app.board;
    const list = b.services;
    if (!list.length) {
      replace(root, h('p', { class: 'muted', text: t('f.none') }));
      return;
    }
    const lonely = new Set(unserved(b).map((s) => s.id));
    const warn = lonely.size ? h('p', { class: 'banner-warn msg', id: 'fields-unserved', role: 'status',
      text: '⚠ ' + t('f.warn.summary', { n: lonely.size, list: list.filter((s) => lonely.has(s.id)).map((s) => s.prefix + ' · ' + name(s.name)).join(', ') }) }) : null;
    replace(root, warn, h('div', { class: 'tbl-wrap list-frame' }, h('table', { class: 'tbl', id: 'fields' },
      h('thead', {}, h('tr', {},
        h('th', { text: t('f.order') }), h('th', { text: t('f.col.prefix') }), h('th', { text: t('f.col.name') }),
        h('th', { text: t('d.status') }), h('th', { text: t('f.col.hours') }), h('th', { class: 'num', text: t('f.col.cap') }),
        h('th', { class: 'num', text: t('d.target') }), h('th', { class: 'num', text: t('d.waiting') }), h('th'))),
      h('tbody', {}, list.map((s, i) => h('tr', { class: s.enabled === false ? 'off' : '', dataset: { service: s.id } },
        h('td', { class: 'nowrap' },
          h('button', { type: 'button', class: 'btn btn-small btn-icon', title: t('f.up'), 'aria-label': t('f.up'), disabled: i === 0 || moving, onclick: () => move(i, -1), text: '↑' }),
          h('button', { type: 'button', class: 'btn btn-small btn-icon', title: t('f.down'), 'aria-label': t('f.down'), disabled: i === list.length - 1 || moving, onclick: () => move(i, 1), text: '↓' })),
        h('td', {}, h('span', { class: 'prefix', text: s.prefix })),
        h('td', { class: 'wrap field-name-cell' },
          s.group ? h('div', { class: 'field-group', text: name(s.group) }) : null,
          h('div', { class: 'field-name', text: s.name.vi }), s.name.en ? h('div', { class: 'muted', text: s.name.en }) : null,
          rule(s).priority_rule !== 'strict' ? h('div', { class: 'muted field-rule', dataset: { rule: rule(s).priority_rule }, text: t('f.rule') + ': ' + ruleText(s) }) : null,
          (s.booked_position || 'first') !== 'first' ? h('div', { class: 'muted field-booked', dataset: { booked: s.booked_position }, text: t('f.booked') + ': ' + t('f.booked.' + s.booked_position) }) : null,
          lonely.has(s.id) ? h('div', { class: 'warn-line', dataset: { warn: 'no-counter' }, text: '⚠ ' + t(s.accept_unserved ? 'f.warn.no_counter_accepts' : 'f.warn.no_counter') }) : null),
        h('td', {}, s.enabled === false ? h('span', { class: 'pill', dataset: { status: 'closed' }, text: t('f.enabled.no') })
          : s.open ? h('span', { class: 'pill', dataset: { status: 'open' }, text: t('f.open_now') })
            : h('span', { class: 'pill', dataset: { status: 'paused' }, text: t('d.closed_reason.' + (s.closed_reason || 'outside_hours')) })),
        h('td', { class: 'wrap muted hours-cell', text: summary(s.hours) || t('f.hours.centre') }),
        h('td', { class: 'num', text: s.daily_cap || t('none') }),
        h('td', { class: 'num nowrap', text: s.target_minutes ? t('min', { n: s.target_minutes }) : t('none') }),
        h('td', { class: 'num', text: b.waiting[s.id] || 0 }),
        h('td', { class: 'actions-cell' }, h('button', { type: 'button', class: 'btn btn-small', text: t('edit'), onclick: () => edit(s) }))))))));
  }

  // move swaps a field with its neighbour and renumbers the kiosk order
  // 10, 20, 30… (the demo centre starts with every order at 0).
  async function move(i, dir) {
    if (moving) return;
    const list = app.board.services.slice();
    const [x] = list.splice(i, 1);
    list.splice(i + dir, 0, x);
    moving = true;
    draw();
    try {
      for (const [k, s] of list.entries()) {
        const want = (k + 1) * 10;
        if (s.order !== want) await app.api.put('/api/v1/services/' + encodeURIComponent(s.id), { ...definition(s), order: want });
      }
    } catch (e) {
      app.fail(e);
    } finally {
      moving = false;
      draw();
    }
  }

  function edit(s) {
    const isNew = !s;
    const all = app.board.services;
    const id = input({ id: 'field-id', maxlength: 40, value: s ? s.id : '', disabled: !isNew, placeholder: 'dat-dai' });
    const prefix = input({ id: 'field-prefix', maxlength: 2, value: s ? s.prefix : '', style: { textTransform: 'uppercase' } });
    const vi = input({ id: 'field-name-vi', maxlength: 120, value: s ? s.name.vi : '' });
    const en = input({ id: 'field-name-en', maxlength: 120, value: s ? s.name.en || '' : '' });
    const cap = input({ id: 'field-cap', type: 'number', min: 0, max: 99999, value: s ? s.daily_cap || 0 : 0 });
    const target = input({ id: 'field-target', type: 'number', min: 0, max: 1440, value: s ? s.target_minutes || 0 : 15 });
    const order = input({ id: 'field-order', type: 'number', min: 0, value: s ? s.order || 0 : Math.max(0, ...all.map((x) => x.order || 0)) + 10 });
    const enabled = check(t('f.enabled'), s ? s.enabled !== false : true, { id: 'field-enabled' });
    const known = groups(all);
    const listId = 'field-groups-list';
    const groupVi = input({ id: 'field-group-vi', maxlength: 120, value: s && s.group ? s.group.vi : '', list: listId });
    const groupEn = input({ id: 'field-group-en', maxlength: 120, value: s && s.group ? s.group.en || '' : '', list: listId + '-en' });
    const groupList = h('datalist', { id: listId }, known.map((g) => h('option', { value: g.vi })));
    const groupListEn = h('datalist', { id: listId + '-en' }, known.filter((g) => g.en).map((g) => h('option', { value: g.en })));
    // Picking a known group fills its English name.
    groupVi.addEventListener('input', () => {
      const g = known.find((x) => x.vi === groupVi.value.trim());
      if (g && g.en && !groupEn.value.trim()) groupEn.value = g.en;
    });
    const cur = rule(s || {});
    const ruleSel = h('select', { id: 'field-rule', value: cur.priority_rule },
      RULES.map((r) => h('option', { value: r, text: t('f.rule.' + r) })));
    const every = input({ id: 'field-every', type: 'number', min: 1, max: MAX_EVERY, value: cur.priority_every || 2 });
    const everyField = field(t('f.every'), every, t('f.every.hint'));
    const ruleHint = h('span', { class: 'hint', id: 'field-rule-hint' });
    const showRule = () => {
      everyField.hidden = ruleSel.value !== 'interleave';
      ruleHint.textContent = t('f.rule.hint.' + ruleSel.value);
    };
    ruleSel.addEventListener('change', showRule);
    showRule();
    const bookedSel = h('select', { id: 'field-booked', value: (s && s.booked_position) || 'first' },
      BOOKED.map((b) => h('option', { value: b, text: t('f.booked.' + b) })));
    const bookedHint = h('span', { class: 'hint', id: 'field-booked-hint' });
    const showBooked = () => { bookedHint.textContent = t('f.booked.hint.' + bookedSel.value); };
    bookedSel.addEventListener('change', showBooked);
    showBooked();
    const unservedBox = check(t('f.unserved'), s ? !!s.accept_unserved : false, { id: 'field-accept-unserved' });
    const own = s && s.hours && Object.keys(s.hours).length > 0;
    const useCentre = h('input', { type: 'radio', name: 'hours-mode', value: 'centre', checked: !own, id: 'hours-centre' });
    const useOwn = h('input', { type: 'radio', name: 'hours-mode', value: 'own', checked: own, id: 'hours-own' });
    const centreHours = app.board.centre && app.board.centre.hours;
    const editor = hoursEditor(own ? s.hours : startingHours(centreHours));
    editor.el.hidden = !own;
    const mode = () => { editor.el.hidden = !useOwn.checked; };
    useCentre.addEventListener('change', mode);
    useOwn.addEventListener('change', mode);
    let idTouched = !isNew;
    id.addEventListener('input', () => { idTouched = true; });
    vi.addEventListener('input', () => { if (!idTouched) id.value = slug(vi.value); });

    const body = h('div', {},
      h('div', { class: 'form-grid' },
        field(t('f.id'), id, isNew ? t('f.id.hint') : null),
        field(t('f.prefix'), prefix, t('f.prefix.hint')),
        field(t('f.name_vi'), vi),
        field(t('f.name_en'), en),
        field(t('f.cap'), cap, t('f.cap.hint')),
        field(t('f.target'), target, t('f.target.hint')),
        field(t('f.order'), order),
        h('div', { class: 'field' }, h('span', { class: 'label', text: t('f.enabled.label') }), enabled.el),
        field(t('f.group'), groupVi, t('f.group.hint')),
        field(t('f.group_en'), groupEn),
        h('div', { class: 'field' }, h('label', { for: 'field-rule', text: t('f.rule') }), ruleSel, ruleHint),
        everyField,
        h('div', { class: 'field' }, h('label', { for: 'field-booked', text: t('f.booked') }), bookedSel, bookedHint),
        h('div', { class: 'field full' }, unservedBox.el, h('span', { class: 'hint', text: t('f.unserved.hint') })),
        groupList, groupListEn),
      h('fieldset', { class: 'hours-set' },
        h('legend', { text: t('f.hours') }),
        h('label', { class: 'check' }, useCentre, h('span', { text: t('f.hours.centre') + (centreHours ? ' (' + summary(centreHours) + ')' : '') })),
        h('label', { class: 'check' }, useOwn, h('span', { text: t('f.hours.own') })),
        editor.el));

    openDialog(isNew ? t('f.new') : t('f.edit', { name: s.name.vi }), body, async () => {
      const def = {
        id: id.value.trim(),
        prefix: prefix.value.trim().toUpperCase(),
        name: { vi: vi.value.trim(), en: en.value.trim() },
      };
      if (!ID.test(def.id)) throw new Invalid(t('f.err.id'), id);
      if (isNew && all.some((x) => x.id === def.id)) throw new Invalid(t('f.err.id_used', { id: def.id }), id);
      if (!PREFIX.test(def.prefix)) throw new Invalid(t('f.err.prefix'), prefix);
      const clash = all.find((x) => x.prefix === def.prefix && x.id !== def.id);
      if (clash) throw new Invalid(t('f.err.prefix_used', { p: def.prefix, name: clash.name.vi }), prefix);
      if (!def.name.vi || def.name.vi.length > 120 || def.name.en.length > 120) throw new Invalid(t('f.err.name'), vi);
      def.daily_cap = intIn(cap, 0, 99999, t('f.err.cap'));
      def.target_minutes = intIn(target, 0, 1440, t('f.err.target'));
      def.order = intIn(order, 0, 1e6, t('f.order'));
      def.enabled = enabled.box.checked;
      const gv = groupVi.value.trim();
      const ge = groupEn.value.trim();
      if (!gv && ge) throw new Invalid(t('f.err.group'), groupVi);
      if (gv.length > 120 || ge.length > 120) throw new Invalid(t('f.err.group'), groupVi);
      def.group = gv ? { vi: gv, en: ge } : null;
      def.accept_unserved = unservedBox.box.checked;
      def.priority_rule = ruleSel.value;
      def.priority_every = def.priority_rule === 'interleave' ? intIn(every, 1, MAX_EVERY, t('f.err.every', { max: MAX_EVERY })) : 0;
      def.booked_position = bookedSel.value;
      def.hours = useOwn.checked ? editor.value() : {};
      if (useOwn.checked && Object.keys(def.hours).length === 0) throw new Invalid(t('h.err.empty', { day: t('h.day.mon') }), editor.el.querySelector('input'));
      const out = await app.api.put('/api/v1/services/' + encodeURIComponent(def.id), def);
      app.flash(t('saved') + ' ' + out.prefix + ' – ' + name(out.name), 'ok');
    }, { wide: true, id: 'field-dialog' });
  }

  return { render, onBoard, leave: () => { root = null; } };
}
