// Centre settings: names, time zone, the notice line of the hall displays,
// how numbers are read out, whether kiosks start in large text, and the
// default opening hours.

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { field, input, flash, Invalid } from './forms.js';
import { hoursEditor } from './hours.js';

const ZONES = ['Asia/Ho_Chi_Minh', 'Asia/Bangkok', 'Asia/Jakarta', 'Asia/Singapore', 'Asia/Manila', 'Asia/Tokyo', 'Europe/Berlin', 'UTC'];

export function centreView(app) {
  let root = null;

  async function render(body) {
    root = body;
    replace(root, h('p', { class: 'muted', text: t('loading') }));
    let c;
    try {
      c = await app.api.get('/api/v1/centre');
    } catch (e) {
      app.fail(e);
      return;
    }
    if (!root) return;
    const vi = input({ id: 'centre-name-vi', maxlength: 200, value: c.name.vi });
    const en = input({ id: 'centre-name-en', maxlength: 200, value: c.name.en || '' });
    const tz = input({ id: 'centre-tz', list: 'tz-list', value: c.timezone || 'Asia/Ho_Chi_Minh' });
    const zones = h('datalist', { id: 'tz-list' }, ZONES.map((z) => h('option', { value: z })));
    const nvi = h('textarea', { id: 'centre-notice-vi', maxlength: 500, rows: 3, value: c.notice ? c.notice.vi : '' });
    const nen = h('textarea', { id: 'centre-notice-en', maxlength: 500, rows: 3, value: c.notice ? c.notice.en : '' });
    const radio = (v) => h('input', { type: 'radio', name: 'read-numbers', value: v, id: 'read-' + v, checked: (c.read_numbers || 'number') === v });
    const rNum = radio('number'), rDig = radio('digits');
    const large = h('input', { type: 'checkbox', id: 'centre-kiosk-large', checked: !!c.kiosk_large_text });
    const prioAge = input({ id: 'centre-priority-age', type: 'number', min: 40, max: 120, value: String(c.priority_age || 60) });
    const idCap = input({ id: 'centre-id-cap', type: 'number', min: 0, max: 100, value: String(c.id_daily_cap || 0) });
    const idCapField = input({ id: 'centre-id-cap-field', type: 'number', min: 0, max: 100, value: String(c.id_daily_cap_per_field || 0) });
    const showName = h('input', { type: 'checkbox', id: 'centre-show-citizen-name', checked: !!c.show_citizen_name });
    const editor = hoursEditor(c.hours);
    const msg = h('p', { class: 'msg', role: 'alert', hidden: true, id: 'centre-msg' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'centre-save', text: t('save') });
    const form = h('form', { class: 'card', novalidate: true, id: 'centre-form' },
      h('div', { class: 'form-grid' },
        field(t('ce.name_vi'), vi),
        field(t('ce.name_en'), en),
        field(t('ce.tz'), tz, t('ce.tz.hint')),
        h('div', { class: 'field' }, h('span', { class: 'label', text: t('ce.read') }),
          h('label', { class: 'check' }, rNum, h('span', { text: t('ce.read.number') })),
          h('label', { class: 'check' }, rDig, h('span', { text: t('ce.read.digits') }))),
        h('div', { class: 'field' }, h('span', { class: 'label', text: t('ce.kiosk') }),
          h('label', { class: 'check' }, large, h('span', { text: t('ce.kiosk.large') }))),
        field(t('ce.prio_age'), prioAge, t('ce.prio_age.hint')),
        field(t('ce.id_cap'), idCap, t('ce.id_cap.hint')),
        field(t('ce.id_cap_field'), idCapField, t('ce.id_cap.hint')),
        h('div', { class: 'field' }, h('span', { class: 'label', text: t('ce.citizen_name') }),
          h('label', { class: 'check' }, showName, h('span', { text: t('ce.citizen_name.show') }))),
        field(t('ce.notice_vi'), nvi, null, 'full'),
        field(t('ce.notice_en'), nen, null, 'full')),
      zones,
      h('fieldset', { class: 'hours-set' }, h('legend', { text: t('ce.hours') }), h('p', { class: 'hint', text: t('ce.hours.hint') }), editor.el),
      msg,
      h('div', { class: 'dialog-actions' }, save));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (save.disabled) return;
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      save.disabled = true;
      try {
        const body = {
          name: { vi: vi.value.trim(), en: en.value.trim() },
          timezone: tz.value.trim(),
          notice: { vi: nvi.value.trim(), en: nen.value.trim() },
          read_numbers: rDig.checked ? 'digits' : 'number',
          kiosk_large_text: large.checked,
          priority_age: Number(prioAge.value),
          id_daily_cap: Number(idCap.value),
          id_daily_cap_per_field: Number(idCapField.value),
          show_citizen_name: showName.checked,
        };
        for (const [v, el] of [[body.id_daily_cap, idCap], [body.id_daily_cap_per_field, idCapField]]) {
          if (!Number.isInteger(v) || v < 0 || v > 100) throw new Invalid(t('ce.err.id_cap'), el);
        }
        if (!Number.isInteger(body.priority_age) || body.priority_age < 40 || body.priority_age > 120) throw new Invalid(t('ce.err.prio_age'), prioAge);
        if (!body.name.vi) throw new Invalid(t('ce.err.name'), vi);
        if (body.notice.vi.length > 500 || body.notice.en.length > 500) throw new Invalid(t('ce.err.notice'), nvi);
        try {
          new Intl.DateTimeFormat('en', { timeZone: body.timezone });
        } catch {
          throw new Invalid(t('ce.err.tz'), tz);
        }
        body.hours = editor.value();
        await app.api.put('/api/v1/centre', body);
        flash(msg, t('saved'), 'ok');
      } catch (e) {
        if (e instanceof Invalid) {
          flash(msg, e.message, 'error');
          if (e.el) { e.el.setAttribute('aria-invalid', 'true'); e.el.focus(); }
        } else {
          app.fail(e);
          flash(msg, document.getElementById('flash').textContent, 'error');
        }
      } finally {
        save.disabled = false;
      }
    });
    replace(root, form);
  }

  return { render, leave: () => { root = null; } };
}
