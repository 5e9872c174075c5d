// Sign-in shared by the console and the admin pages: find out who is signed
// in (GET /api/v1/me, which also gives the CSRF token after a reload), or show
// the login form until someone is.

import { h, replace } from './dom.js';
import { t, onLang, errorText } from './i18n.js';

/**
 * signIn resolves with the signed-in principal ({user, role, counter_ids}).
 * It shows the login form in box while nobody is, with note above it.
 */
export async function signIn(api, box, note) {
  if (!note) {
    const me = await api.me().catch(() => null);
    if (me) return me;
  }
  return new Promise((resolve) => showForm(api, box, note || '', resolve));
}

function showForm(api, box, note, resolve) {
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'msg error', id: 'login-error', role: 'alert', hidden: !note }, note);
  const submit = h('button', { class: 'btn btn-primary btn-wide', type: 'submit', id: 'login-submit' });
  const title = h('h1');
  const lUser = h('label', { for: 'login-user' });
  const lPass = h('label', { for: 'login-password' });
  const label = () => {
    title.textContent = t('login.title');
    lUser.textContent = t('login.user');
    lPass.textContent = t('login.password');
    submit.textContent = submit.disabled ? t('login.busy') : t('login.submit');
  };
  label();
  onLang(label);
  const form = h('form', { class: 'card login', novalidate: true },
    title, msg,
    h('div', { class: 'field' }, lUser, user),
    h('div', { class: 'field' }, lPass, pass),
    submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    const u = user.value.trim();
    if (!u || !pass.value) {
      msg.textContent = t('login.missing');
      msg.hidden = false;
      return;
    }
    submit.disabled = true;
    label();
    try {
      const who = await api.login(u, pass.value);
      pass.value = '';
      box.hidden = true;
      replace(box);
      resolve(who);
    } catch (e) {
      msg.textContent = e.status === 401 ? t('login.bad') : e.status === 429 ? t('login.limited') : errorText(e);
      msg.hidden = false;
      pass.select();
    } finally {
      submit.disabled = false;
      label();
    }
  });
  replace(box, form);
  box.hidden = false;
  (user.value ? pass : user).focus();
}
