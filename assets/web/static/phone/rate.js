// The counter-side rating tablet /rate/{counter}: for citizens without a
// phone. The clerk signs the tablet in once with their own account (role
// clerk of this counter, or admin); the form is active only for a short time
// after the clerk finished a ticket at this counter (the server decides:
// GET /api/v1/counters/{id}/rating), so nobody can rate someone else's
// service later.

import { Api } from '../staff/api.js';
import { signIn } from '../staff/session.js';
import { setLang as setStaffLang } from '../staff/i18n.js';
import { h, t, name, lang, setLang } from './text.js';
import { ratingForm } from './rating.js';

// The last segment: /rate/{counter}, also under a centre's prefix (/c/{centre}/rate/{counter}).
const counterID = decodeURIComponent(location.pathname.split('/').pop() || '');
const app = document.getElementById('app');
const api = new Api();
let counter = null;
let pending = null;   // PendingRating or null
let shown = '';       // the ticket code the form is for, '' for idle
let thanks = 0;       // the timer of the thanks screen, 0 when not shown

// How long the thanks stay before the idle screen.
const THANKS_MS = 8000;

const langBtn = document.getElementById('lang-switch');
function labelLang() { langBtn.textContent = t('lang.switch'); }
langBtn.addEventListener('click', () => {
  setLang(lang() === 'vi' ? 'en' : 'vi');
  setStaffLang(lang());
  labelLang();
  header();
  shown = '#';
  render();
});
setLang(lang(), false);
labelLang();

function header() {
  if (counter) document.getElementById('counter-name').textContent = name(counter.name) || t('tablet.counter', { n: counter.number });
}

function render() {
  if (thanks) {
    if (shown !== 'thanks') {
      shown = 'thanks';
      app.replaceChildren(h('section', { class: 'card thanks' }, h('h1', { id: 'title' }, t('thanks.title')), h('p', {}, t('thanks.text'))));
    }
    return;
  }
  if (!pending) {
    if (shown !== '') {
      shown = '';
      app.replaceChildren(h('section', { class: 'card idle' },
        h('h1', { id: 'title' }, t('tablet.idle.title')),
        h('p', { class: 'lead' }, t('tablet.idle.text'))));
    }
    return;
  }
  if (shown !== pending.code) {
    shown = pending.code;
    const form = ratingForm(async (score, comment, reasons) => {
      try {
        const body = { score, comment };
        if (reasons.length) body.reasons = reasons;
        await api.post('/api/v1/counters/' + encodeURIComponent(counterID) + '/rating', body);
      } catch (e) {
        if (e.status !== 409 && e.status !== 422) throw e; // rated or expired meanwhile: nothing to redo
      }
      pending = null;
      clearTimeout(thanks);
      thanks = setTimeout(() => { thanks = 0; render(); }, THANKS_MS);
      render();
    });
    app.replaceChildren(h('section', { class: 'card done' },
      h('p', { class: 'for', id: 'for' }, t('tablet.for', { code: pending.code, field: name(pending.service) })),
      form,
      h('p', { class: 'small mid', id: 'left' })));
  }
  const left = Math.max(0, Math.round((Date.parse(pending.until) - api.now()) / 1000));
  const el = document.getElementById('left');
  if (el) el.textContent = t('tablet.left', { s: left });
  if (left <= 0) {
    pending = null;
    render();
  }
}

async function poll() {
  try {
    pending = await api.get('/api/v1/counters/' + encodeURIComponent(counterID) + '/rating');
  } catch (e) {
    if (e.status === 403) {
      fatal(t('tablet.forbidden'));
      return false;
    }
    if (e.status === 404) {
      fatal(t('tablet.unknown'));
      return false;
    }
    // Network trouble: keep what is shown and try again.
  }
  render();
  return true;
}

function fatal(text) {
  shown = 'fatal';
  app.replaceChildren(h('section', { class: 'card error' }, h('p', { id: 'title' }, text)));
}

async function start() {
  setStaffLang(lang());
  const counters = await fetch('/api/v1/counters', { cache: 'no-store' }).then((r) => r.json()).catch(() => []);
  counter = counters.find((c) => c.id === counterID) || null;
  header();
  if (!counter) {
    fatal(t('tablet.unknown'));
    return;
  }
  document.getElementById('loading').remove();
  api.onUnauthorized = () => location.reload();
  await signIn(api, document.getElementById('login-box'));
  shown = '#';
  if (!(await poll())) return;
  setInterval(poll, 2000);
  setInterval(render, 1000);
}

start();
