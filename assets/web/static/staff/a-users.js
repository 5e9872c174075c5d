// Users: clerks and administrators. Create, edit (name, role, counters),
// reset the password, disable and enable. Passwords go to the server only;
// the page never shows a stored one.

import { h, replace } from './dom.js';
import { t, name } from './i18n.js';
import { field, input, check, openDialog, confirmDialog, Invalid } from './forms.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;

/** randomPassword makes a 12-character password without look-alike characters. */
export function randomPassword() {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function checkPassword(p1, p2) {
  const v = p1.value;
  if (v.length < 8 || new TextEncoder().encode(v).length > 72) throw new Invalid(t('u.err.password'), p1);
  if (p2.value !== v) throw new Invalid(t('u.err.password2'), p2);
  return v;
}

// passwordFields are a password, its repetition and a generator button that
// fills both and shows the password so it can be handed over.
function passwordFields(prefix) {
  const p1 = input({ id: prefix + '-password', type: 'password', autocomplete: 'new-password', maxlength: 72 });
  const p2 = input({ id: prefix + '-password2', type: 'password', autocomplete: 'new-password', maxlength: 72 });
  const gen = h('button', {
    type: 'button', class: 'btn btn-small', text: t('u.generate'),
    onclick: () => {
      const p = randomPassword();
      p1.value = p2.value = p;
      p1.type = p2.type = 'text';
    },
  });
  return { p1, p2, el: h('div', {}, h('div', { class: 'form-grid' }, field(t('u.password'), p1, t('u.password.hint')), field(t('u.password2'), p2)), gen) };
}

export function usersView(app) {
  let root = null;
  let users = [];

  async function load() {
    try {
      users = await app.users(true);
      draw();
    } catch (e) {
      app.fail(e);
    }
  }

  function render(body, tools) {
    root = body;
    replace(tools, h('button', { type: 'button', class: 'btn btn-primary', id: 'user-add', text: t('u.add'), onclick: create }));
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    load();
  }

  function counterNames(ids) {
    return (ids || []).map((id) => {
      const cs = app.board.counters.find((x) => x.counter.id === id);
      return cs ? name(cs.counter.name) : id;
    });
  }

  function draw() {
    if (!root) return;
    const sorted = users.slice().sort((a, b) => (a.disabled - b.disabled) || a.role.localeCompare(b.role) || a.username.localeCompare(b.username));
    replace(root, h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl', id: 'users' },
      h('thead', {}, h('tr', {}, ...['u.username', 'u.name', 'u.role', 'u.counters', 'u.state'].map((k) => h('th', { text: t(k) })), h('th'))),
      h('tbody', {}, sorted.map((u) => {
        const self = u.username === app.me.user;
        return h('tr', { class: u.disabled ? 'off' : '', dataset: { user: u.username } },
          h('td', {}, h('strong', { text: u.username }), self ? ' ' + t('u.you') : null),
          h('td', { class: 'wrap', text: u.name || t('none') }),
          h('td', { class: 'nowrap', text: t('role.' + u.role) }),
          h('td', {}, h('div', { class: 'chips' }, counterNames(u.counter_ids).map((n) => h('span', { class: 'chip', text: n })))),
          h('td', {}, h('span', { class: 'pill', dataset: { status: u.disabled ? 'closed' : 'open' }, text: u.disabled ? t('u.disabled') : t('u.active') })),
          h('td', { class: 'actions-cell' },
            h('button', { type: 'button', class: 'btn btn-small', dataset: { act: 'edit' }, text: t('edit'), onclick: () => edit(u) }),
            h('button', { type: 'button', class: 'btn btn-small', dataset: { act: 'reset' }, text: t('u.reset'), onclick: () => reset(u) }),
            self ? null : h('button', {
              type: 'button', class: 'btn btn-small' + (u.disabled ? '' : ' btn-danger'), dataset: { act: 'disable' },
              text: u.disabled ? t('u.enable') : t('u.disable'), onclick: () => toggle(u),
            })));
      })))));
  }

  function counterChecks(selected) {
    return app.board.counters.map(({ counter: c }) => ({ id: c.id, ...check(name(c.name), (selected || []).includes(c.id), { dataset: { counter: c.id } }) }));
  }

  function roleSelect(v) {
    return h('select', { id: 'user-role', value: v || 'clerk' },
      h('option', { value: 'clerk', text: t('role.clerk') }),
      h('option', { value: 'supervisor', text: t('role.supervisor') }),
      h('option', { value: 'admin', text: t('role.admin') }));
  }

  function create() {
    const username = input({ id: 'user-username', maxlength: 40, autocapitalize: 'none' });
    const fullName = input({ id: 'user-name', maxlength: 100 });
    const role = roleSelect('clerk');
    const pw = passwordFields('user');
    const boxes = counterChecks([]);
    openDialog(t('u.new'), h('div', {},
      h('div', { class: 'form-grid' }, field(t('u.username'), username, t('u.username.hint')), field(t('u.name'), fullName), field(t('u.role'), role)),
      pw.el,
      h('div', { class: 'field' }, h('span', { class: 'label', text: t('u.counters') }), h('div', { class: 'check-list' }, boxes.map((b) => b.el)))),
    async () => {
      const u = username.value.trim();
      if (!USERNAME.test(u)) throw new Invalid(t('u.err.username'), username);
      if (fullName.value.trim().length > 100) throw new Invalid(t('u.err.name'), fullName);
      const password = checkPassword(pw.p1, pw.p2);
      await app.api.post('/api/v1/users', {
        username: u, name: fullName.value.trim(), role: role.value, password,
        counter_ids: boxes.filter((b) => b.box.checked).map((b) => b.id),
      });
      app.flash(t('u.created', { user: u }), 'ok');
      load();
    }, { wide: true, id: 'user-dialog' });
  }

  function edit(u) {
    const fullName = input({ id: 'user-name', maxlength: 100, value: u.name || '' });
    const role = roleSelect(u.role);
    const boxes = counterChecks(u.counter_ids);
    openDialog(t('u.edit', { user: u.username }), h('div', {},
      h('div', { class: 'form-grid' }, field(t('u.name'), fullName), field(t('u.role'), role)),
      h('div', { class: 'field' }, h('span', { class: 'label', text: t('u.counters') }), h('div', { class: 'check-list' }, boxes.map((b) => b.el)))),
    async () => {
      if (fullName.value.trim().length > 100) throw new Invalid(t('u.err.name'), fullName);
      await app.api.patch('/api/v1/users/' + encodeURIComponent(u.id), {
        name: fullName.value.trim(), role: role.value, counter_ids: boxes.filter((b) => b.box.checked).map((b) => b.id),
      });
      app.flash(t('saved'), 'ok');
      load();
    }, { wide: true, id: 'user-dialog' });
  }

  function reset(u) {
    const pw = passwordFields('reset');
    openDialog(t('u.reset.title', { user: u.username }), pw.el, async () => {
      const password = checkPassword(pw.p1, pw.p2);
      await app.api.patch('/api/v1/users/' + encodeURIComponent(u.id), { password });
      app.flash(t('u.reset.ok', { user: u.username }), 'ok');
    }, { id: 'reset-dialog' });
  }

  async function toggle(u) {
    if (!u.disabled && !await confirmDialog(t('u.disable.confirm', { user: u.username }), t('u.disable'), true)) return;
    try {
      await app.api.patch('/api/v1/users/' + encodeURIComponent(u.id), { disabled: !u.disabled });
      app.flash(t(u.disabled ? 'u.enabled.ok' : 'u.disabled.ok', { user: u.username }), 'ok');
    } catch (e) {
      app.fail(e);
    }
    load();
  }

  return { render, leave: () => { root = null; } };
}
