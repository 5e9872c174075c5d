// The satisfaction form Vietnamese centres use: three levels and an optional
// comment; "Chưa hài lòng" also asks why (a short list, several allowed,
// optional). Shared by the phone page and the counter tablet.

import { h, t } from './text.js';

const SCORES = ['very_satisfied', 'satisfied', 'unsatisfied'];
// The reason keys of protocol.RatingReasons (docs/API.md).
const REASONS = ['long_wait', 'attitude', 'unclear_guidance', 'missing_information', 'other'];
const MAX = 500;

/**
 * ratingForm returns the form. send(score, comment, reasons) posts it and
 * resolves, or throws an error with a status (409: already rated); reasons
 * is empty unless the score is unsatisfied.
 */
export function ratingForm(send) {
  let score = '';
  const chosen = new Set();
  const buttons = SCORES.map((s) => h('button', {
    type: 'button', class: 'score score-' + s, 'data-score': s, 'aria-pressed': 'false',
    onclick: () => {
      score = s;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.score === s));
      why.hidden = s !== 'unsatisfied';
      commentLabel.textContent = t(s === 'unsatisfied' ? 'rate.comment.why' : 'rate.comment');
      msg.hidden = true;
    },
  }, t('rate.' + s)));
  const reasons = REASONS.map((r) => h('button', {
    type: 'button', class: 'reason', 'data-reason': r, 'aria-pressed': 'false',
    onclick: (ev) => {
      if (chosen.has(r)) chosen.delete(r);
      else chosen.add(r);
      ev.currentTarget.setAttribute('aria-pressed', String(chosen.has(r)));
    },
  }, t('rate.reason.' + r)));
  const why = h('fieldset', { class: 'why', id: 'rate-why', hidden: true },
    h('legend', {}, t('rate.why')),
    h('div', { class: 'reasons' }, reasons));
  const commentLabel = h('label', { for: 'rate-comment' }, t('rate.comment'));
  const comment = h('textarea', { id: 'rate-comment', maxlength: String(MAX), rows: '3' });
  const count = h('span', { class: 'count' }, '0/' + MAX);
  comment.addEventListener('input', () => { count.textContent = comment.value.length + '/' + MAX; });
  const msg = h('p', { class: 'msg error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'send', id: 'rate-send' }, t('rate.send'));
  const form = h('form', { class: 'rating', id: 'rating-form', novalidate: true },
    h('h2', {}, t('rate.q')),
    h('div', { class: 'scores', role: 'group' }, buttons),
    why,
    commentLabel,
    comment,
    h('div', { class: 'hint' }, h('span', {}, t('rate.privacy')), count),
    msg,
    submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    if (!score) {
      msg.textContent = t('rate.pick');
      msg.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = t('rate.sending');
    try {
      await send(score, comment.value.trim(), score === 'unsatisfied' ? REASONS.filter((r) => chosen.has(r)) : []);
    } catch (e) {
      msg.textContent = e.status === 429 ? t('limited') : t('rate.error');
      msg.hidden = false;
    } finally {
      submit.disabled = false;
      submit.textContent = t('rate.send');
    }
  });
  return form;
}

/** postJSON posts body and returns the answer; it throws {status, code} on failure. */
export async function postJSON(path, body, headers = {}) {
  let resp;
  try {
    resp = await fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  } catch {
    throw Object.assign(new Error('network'), { status: 0, code: 'network' });
  }
  const data = await resp.json().catch(() => null);
  if (!resp.ok) {
    const code = data && data.error ? data.error.code : 'http_' + resp.status;
    throw Object.assign(new Error(code), { status: resp.status, code });
  }
  return data;
}
