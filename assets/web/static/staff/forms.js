// Form and dialog helpers of the admin pages. Dialogs are <dialog> elements
// built on demand; confirmations use them too, never window.confirm, so a
// page never opens a JavaScript dialog (the browser tests treat one as an
// injected script).

import { h, replace } from './dom.js';
import { t, errorText } from './i18n.js';

/** Invalid is a validation failure found before sending; el gets the focus. */
export class Invalid extends Error {
  constructor(message, el) {
    super(message);
    this.el = el;
  }
}

let fieldSeq = 0;

/** field wraps a control with its label and an optional hint. */
export function field(label, control, hint, cls) {
  if (!control.id) control.id = 'f' + (++fieldSeq);
  return h('div', { class: 'field' + (cls ? ' ' + cls : '') },
    h('label', { for: control.id, text: label }),
    control,
    hint ? h('span', { class: 'hint', text: hint }) : null);
}

/** input makes a text input; opts are attributes. */
export function input(opts) {
  return h('input', Object.assign({ type: 'text', autocomplete: 'off', spellcheck: 'false' }, opts));
}

/** check makes a labelled checkbox; returns {el, box}. */
export function check(label, checked, opts) {
  const box = h('input', Object.assign({ type: 'checkbox', checked: !!checked }, opts));
  return { el: h('label', { class: 'check' }, box, h('span', { text: label })), box };
}

/** intIn parses an integer input within [min, max] or throws Invalid. */
export function intIn(el, min, max, message) {
  const v = el.value.trim() === '' ? 0 : Number(el.value.trim());
  if (!Number.isInteger(v) || v < min || v > max) throw new Invalid(message, el);
  return v;
}

/**
 * openDialog shows a modal with title, body and a Save button. onSave runs
 * with the button disabled; an Invalid or an ApiError it throws is shown in
 * the dialog and keeps it open; a resolved onSave closes it.
 */
export function openDialog(title, body, onSave, opts = {}) {
  const msg = h('p', { class: 'msg error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn ' + (opts.danger ? 'btn-danger' : 'btn-primary'), text: opts.saveText || t('save') });
  const cancel = h('button', { type: 'button', class: 'btn', text: opts.cancelText || t('cancel') });
  // The body scrolls between the title and the buttons (staff.css).
  body.classList.add('dialog-scroll');
  const form = h('form', { class: 'dialog-body', novalidate: true },
    h('h2', { text: title }), msg, body,
    h('div', { class: 'dialog-actions' }, onSave ? cancel : null, onSave ? save : h('button', { type: 'button', class: 'btn btn-primary', text: t('close'), onclick: () => close() })));
  const dlg = h('dialog', { class: 'dialog' + (opts.wide ? ' dialog-wide' : '') }, form);
  if (opts.id) dlg.id = opts.id;
  document.body.appendChild(dlg);
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    if (dlg.open) dlg.close();
    dlg.remove();
    if (opts.onClose) opts.onClose();
  };
  cancel.addEventListener('click', close);
  dlg.addEventListener('close', close);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (save.disabled || !onSave) return;
    save.disabled = true;
    const label = save.textContent;
    save.textContent = t('saving');
    msg.hidden = true;
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    try {
      await onSave();
      close();
    } catch (e) {
      msg.textContent = e instanceof Invalid ? e.message : errorText(e);
      msg.hidden = false;
      if (e instanceof Invalid && e.el) {
        e.el.setAttribute('aria-invalid', 'true');
        e.el.focus();
      }
      msg.scrollIntoView({ block: 'nearest' });
    } finally {
      save.disabled = false;
      save.textContent = label;
    }
  });
  dlg.showModal();
  const first = form.querySelector('input:not([type=checkbox]):not([disabled]), select, textarea');
  if (first && !opts.noAutofocus) first.focus();
  return { dlg, close, msg };
}

/** confirmDialog asks a yes/no question in a modal; resolves true on yes. */
export function confirmDialog(text, yesText, danger) {
  return new Promise((resolve) => {
    let answered = false;
    openDialog(t('app.name'), h('p', { text }), async () => { answered = true; resolve(true); },
      { saveText: yesText, danger, onClose: () => { if (!answered) resolve(false); } });
  });
}

/** flash shows a message in box (kind: ok, error, info); ok messages fade. */
export function flash(box, text, kind) {
  replace(box, text);
  box.className = 'msg ' + (kind || 'info');
  box.hidden = false;
  clearTimeout(box._timer);
  if (kind === 'ok') box._timer = setTimeout(() => { box.hidden = true; }, 6000);
}
