// Counters: number, names, the fields each serves (in order) and the clerks
// assigned to it. Clerk assignment lives on the users (counter_ids), so saving
// a counter also updates the users whose assignment changed.

import { h, replace } from './dom.js';
import { t, name, errorText } from './i18n.js';
import { field, input, check, intIn, openDialog, Invalid } from './forms.js';
import { unserved } from './a-fields.js';

const ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function countersView(app) {
  let root = null;
  let users = [];

  function render(body, tools) {
    root = body;
    replace(tools, h('button', { type: 'button', class: 'btn btn-primary', id: 'counter-add', text: t('k.add'), onclick: () => edit(null) }));
    draw();
    app.users().then((u) => { users = u; draw(); }, (e) => app.fail(e));
  }

  function onBoard(ev) {
    if (['counter.updated', 'service.updated', 'snapshot', 'resync', 'ticket.done'].includes(ev.type)) draw();
  }

  const clerksOf = (id) => users.filter((u) => (u.counter_ids || []).includes(id));

  // A counter serving many fields (a centre's general desk serves all 40)
  // shows its first ones and "+n more", whose title names the rest; a
  // click shows them all (kept across redraws) and "fewer" folds them.
  const FOLD = 8, SHOWN = 6;
  const unfolded = new Set();
  function fieldChips(c) {
    const ids = c.service_ids || [];
    const label = (id) => { const s = app.service(id); return s ? s.prefix + ' · ' + name(s.name) : id; };
    const chip = (id) => h('span', { class: 'chip', text: label(id) });
    if (ids.length <= FOLD) return h('div', { class: 'chips' }, ids.map(chip));
    const open = unfolded.has(c.id);
    const rest = ids.slice(SHOWN);
    const toggle = () => { if (open) unfolded.delete(c.id); else unfolded.add(c.id); draw(); };
    return h('div', { class: 'chips' }, (open ? ids : ids.slice(0, SHOWN)).map(chip),
      h('button', { type: 'button', class: 'chip chip-more', 'aria-expanded': open ? 'true' : 'false',
        title: open ? null : rest.map(label).join('\n'),
        text: open ? t('k.fields.fewer') : t('k.fields.more', { n: rest.length }), onclick: toggle }));
  }

  function draw() {
    if (!root) return;
    const list = app.board.counters;
    if (!list.length) {
      replace(root, h('p', { class: 'muted', text: t('k.none') }));
      return;
    }
    const lonely = unserved(app.board);
    const warn = lonely.length ? h('p', { class: 'banner-warn msg', id: 'counters-unserved', role: 'status',
      text: '⚠ ' + t('k.warn.summary', { n: lonely.length, list: lonely.map((s) => s.prefix + ' · ' + name(s.name)).join(', ') }) }) : null;
    replace(root, warn, h('div', { class: 'tbl-wrap list-frame' }, h('table', { class: 'tbl', id: 'counters' },
      h('thead', {}, h('tr', {},
        h('th', { class: 'num', text: '#' }), h('th', { text: t('k.name_vi') }), h('th', { text: t('k.fields') }),
        h('th', { text: t('k.status') }), h('th', { text: t('k.clerks') }), h('th', { class: 'num', text: t('d.served') }), h('th'))),
      h('tbody', {}, list.map(({ counter: c }) => h('tr', { dataset: { counter: c.id } },
        h('td', { class: 'num', text: c.number }),
        h('td', { class: 'wrap' }, h('div', { text: c.name.vi }), c.name.en ? h('div', { class: 'muted', text: c.name.en }) : null),
        h('td', { class: 'fields-cell' }, fieldChips(c)),
        h('td', {}, h('span', { class: 'pill', dataset: { status: c.status }, text: t('status.' + c.status) })),
        h('td', { class: 'wrap', text: clerksOf(c.id).map((u) => (u.name || u.username) + (u.disabled ? ' (' + t('u.disabled') + ')' : '')).join(', ') || t('none') }),
        h('td', { class: 'num', text: c.served_today || 0 }),
        h('td', { class: 'actions-cell' }, h('button', { type: 'button', class: 'btn btn-small', text: t('edit'), onclick: () => edit(c) }))))))));
  }

  async function edit(c) {
    const isNew = !c;
    try {
      users = await app.users(true); // assignments may have changed elsewhere
    } catch (e) {
      app.fail(e);
      return;
    }
    const all = app.board.counters.map((cs) => cs.counter);
    const nextNumber = Math.max(0, ...all.map((x) => x.number)) + 1;
    const id = input({ id: 'counter-id', maxlength: 40, value: c ? c.id : 'q' + nextNumber, disabled: !isNew });
    const number = input({ id: 'counter-number', type: 'number', min: 1, max: 999, value: c ? c.number : nextNumber });
    const vi = input({ id: 'counter-name-vi', maxlength: 120, value: c ? c.name.vi : 'Quầy ' + nextNumber });
    const en = input({ id: 'counter-name-en', maxlength: 120, value: c ? c.name.en || '' : 'Counter ' + nextNumber });
    const status = h('select', { id: 'counter-status', value: c ? c.status : 'closed' },
      ['open', 'paused', 'closed'].map((s) => h('option', { value: s, text: t('status.' + s) })));

    // The ordered field list: up, down, remove, and a select to add one.
    let chosen = c ? (c.service_ids || []).slice() : [];
    const order = h('ol', { class: 'order-list', id: 'counter-fields' });
    const adder = h('select', { id: 'counter-field-add', 'aria-label': t('k.fields.add') });
    const drawOrder = () => {
      replace(order, chosen.length ? chosen.map((sid, i) => h('li', { dataset: { service: sid } },
        h('span', { class: 'prefix', text: app.service(sid) ? app.service(sid).prefix : '?' }),
        h('span', { class: 'fname', text: app.serviceName(sid) }),
        h('button', { type: 'button', class: 'btn btn-small btn-icon', 'aria-label': t('f.up'), title: t('f.up'), text: '↑', disabled: i === 0, onclick: () => { chosen.splice(i - 1, 0, chosen.splice(i, 1)[0]); drawOrder(); } }),
        h('button', { type: 'button', class: 'btn btn-small btn-icon', 'aria-label': t('f.down'), title: t('f.down'), text: '↓', disabled: i === chosen.length - 1, onclick: () => { chosen.splice(i + 1, 0, chosen.splice(i, 1)[0]); drawOrder(); } }),
        h('button', { type: 'button', class: 'btn btn-small btn-danger', text: t('k.remove'), onclick: () => { chosen.splice(i, 1); drawOrder(); } })))
        : h('li', { class: 'muted', text: t('k.fields.none') }));
      replace(adder, h('option', { value: '', text: t('k.fields.add') }),
        app.board.services.filter((s) => !chosen.includes(s.id)).map((s) => h('option', { value: s.id, text: s.prefix + ' · ' + name(s.name) })));
      adder.value = '';
    };
    adder.addEventListener('change', () => { if (adder.value) { chosen.push(adder.value); drawOrder(); } });
    drawOrder();

    const clerks = users.filter((u) => u.role === 'clerk');
    const boxes = clerks.map((u) => ({ u, ...check((u.name || u.username) + ' (' + u.username + ')' + (u.disabled ? ' – ' + t('u.disabled') : ''), c && (u.counter_ids || []).includes(c.id), { dataset: { user: u.username } }) }));

    const body = h('div', {},
      h('div', { class: 'form-grid' },
        field(t('k.id'), id),
        field(t('k.number'), number),
        field(t('k.name_vi'), vi),
        field(t('k.name_en'), en),
        field(t('k.status'), status)),
      h('div', { class: 'field' }, h('span', { class: 'label', text: t('k.fields') }), order, adder),
      h('div', { class: 'field' }, h('span', { class: 'label', text: t('k.clerks') }),
        boxes.length ? h('div', { class: 'check-list', id: 'counter-clerks' }, boxes.map((b) => b.el)) : h('p', { class: 'muted', text: t('k.clerks.none') })));

    openDialog(isNew ? t('k.new') : t('k.edit', { name: c.name.vi }), body, async () => {
      const def = { id: id.value.trim(), name: { vi: vi.value.trim(), en: en.value.trim() }, service_ids: chosen.slice(), status: status.value };
      if (!ID.test(def.id)) throw new Invalid(t('k.err.id'), id);
      if (isNew && all.some((x) => x.id === def.id)) throw new Invalid(t('f.err.id_used', { id: def.id }), id);
      def.number = intIn(number, 1, 999, t('k.err.number'));
      if (all.some((x) => x.number === def.number && x.id !== def.id)) throw new Invalid(t('k.err.number_used', { n: def.number }), number);
      if (!def.name.vi || def.name.vi.length > 120 || def.name.en.length > 120) throw new Invalid(t('k.err.name'), vi);
      const saved = await app.api.put('/api/v1/counters/' + encodeURIComponent(def.id), def);
      // Then the clerks whose assignment changed.
      try {
        for (const b of boxes) {
          const has = (b.u.counter_ids || []).includes(saved.id);
          if (b.box.checked === has) continue;
          const ids = b.box.checked ? [...(b.u.counter_ids || []), saved.id] : (b.u.counter_ids || []).filter((x) => x !== saved.id);
          await app.api.patch('/api/v1/users/' + encodeURIComponent(b.u.id), { counter_ids: ids });
        }
      } catch (e) {
        app.flash(t('k.saved_clerks_failed', { msg: errorText(e) }), 'error');
        users = await app.users(true).catch(() => users);
        draw();
        return;
      }
      users = await app.users(true).catch(() => users);
      app.flash(t('saved') + ' ' + name(saved.name), 'ok');
      draw();
    }, { wide: true, id: 'counter-dialog' });
  }

  return { render, onBoard, leave: () => { root = null; } };
}
