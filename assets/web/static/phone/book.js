// /book: a citizen books a time at the centre (issue 17). Steps: field →
// day → slot → optional phone → code and QR; or cancel with the code.
// Vietnamese first; everything the server refuses is shown in plain words.

const dict = {
  vi: {
    'lang.switch': 'English',
    'title': 'Đặt lịch hẹn',
    'intro': 'Chọn lĩnh vực, ngày và giờ. Bạn sẽ nhận mã đặt lịch; đến trung tâm, nhập mã hoặc quét mã QR tại ki-ốt “Tôi đã đặt lịch” để lấy số.',
    'step': 'Bước {n}/4',
    'pick.field': 'Chọn lĩnh vực',
    'pick.day': 'Chọn ngày',
    'pick.slot': 'Chọn giờ',
    'no.fields': 'Hiện chưa có lĩnh vực nào nhận đặt lịch.',
    'no.slots': 'Ngày này đã hết chỗ hoặc không còn giờ trống.',
    'holiday': 'Ngày nghỉ',
    'closed': 'Không nhận lịch',
    'today': 'Hôm nay',
    'free': 'còn {n} chỗ',
    'full': 'hết chỗ',
    'phone': 'Số điện thoại (không bắt buộc)',
    'phone.hint': 'Dùng để huỷ lịch và để mỗi số chỉ đặt một lịch mỗi lĩnh vực mỗi ngày. Không hiển thị công khai.',
    'confirm': 'Xác nhận đặt lịch',
    'back': '‹ Quay lại',
    'done.title': 'Đã đặt lịch',
    'done.code': 'Mã đặt lịch của bạn',
    'done.when': '{field} — {time}, {day}',
    'done.window': 'Hãy đến và lấy số tại ki-ốt từ {a} đến {b}. Đến muộn hơn, bạn sẽ xếp hàng như người không đặt lịch.',
    'done.save': 'Lưu mã QR thành ảnh',
    'done.again': 'Đặt thêm lịch khác',
    'cancel.open': 'Huỷ lịch đã đặt',
    'cancel.title': 'Huỷ lịch hẹn',
    'cancel.code': 'Mã đặt lịch',
    'cancel.phone': 'Số điện thoại (nếu đã nhập khi đặt)',
    'cancel.go': 'Huỷ lịch',
    'cancel.done': 'Đã huỷ lịch {code}.',
    'err.slot_full': 'Giờ này vừa hết chỗ. Vui lòng chọn giờ khác.',
    'err.phone_already_booked': 'Số điện thoại này đã có một lịch của lĩnh vực này trong ngày.',
    'err.booking_closed': 'Không thể đặt lịch vào ngày này.',
    'err.rate_limited': 'Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút.',
    'err.forbidden': 'Số điện thoại không khớp với lịch đã đặt.',
    'err.not_found': 'Không tìm thấy mã đặt lịch này.',
    'err.booking_checked_in': 'Lịch này đã được dùng để lấy số.',
    'err.booking_no_show': 'Lịch này đã quá giờ.',
    'err.bad_request': 'Thông tin chưa đúng, vui lòng kiểm tra lại.',
    'err.other': 'Có lỗi, vui lòng thử lại.',
    'wd': ['CN', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7'],
  },
  en: {
    'lang.switch': 'Tiếng Việt',
    'title': 'Book an appointment',
    'intro': 'Pick a field, a day and a time. You get a booking code; at the centre, type it or scan its QR code at the kiosk ("I have a booking") to get your number.',
    'step': 'Step {n} of 4',
    'pick.field': 'Pick a field',
    'pick.day': 'Pick a day',
    'pick.slot': 'Pick a time',
    'no.fields': 'No field takes bookings at the moment.',
    'no.slots': 'No free time left on this day.',
    'holiday': 'Closed (holiday)',
    'closed': 'No bookings',
    'today': 'Today',
    'free': '{n} places left',
    'full': 'full',
    'phone': 'Phone number (optional)',
    'phone.hint': 'Used to cancel, and so that one number books once per field per day. Never shown publicly.',
    'confirm': 'Confirm the booking',
    'back': '‹ Back',
    'done.title': 'Booked',
    'done.code': 'Your booking code',
    'done.when': '{field} — {time}, {day}',
    'done.window': 'Come and get your number at the kiosk between {a} and {b}. Later than that you queue like everyone without a booking.',
    'done.save': 'Save the QR code as an image',
    'done.again': 'Book another time',
    'cancel.open': 'Cancel a booking',
    'cancel.title': 'Cancel a booking',
    'cancel.code': 'Booking code',
    'cancel.phone': 'Phone number (if you gave one)',
    'cancel.go': 'Cancel the booking',
    'cancel.done': 'Booking {code} is cancelled.',
    'err.slot_full': 'This time just filled up. Please pick another.',
    'err.phone_already_booked': 'This phone number already has a booking of this field on that day.',
    'err.booking_closed': 'This day cannot be booked.',
    'err.rate_limited': 'Too many tries. Please wait a few minutes.',
    'err.forbidden': 'The phone number does not match the booking.',
    'err.not_found': 'No booking has this code.',
    'err.booking_checked_in': 'This booking was already used for a ticket.',
    'err.booking_no_show': 'This booking\'s time has passed.',
    'err.bad_request': 'Something is not right; please check.',
    'err.other': 'Something went wrong; please try again.',
    'wd': ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  },
};

const KEY = 'civiq.lang';
let cur = 'vi';
try { cur = localStorage.getItem(KEY) === 'en' ? 'en' : 'vi'; } catch { /* storage blocked */ }

function t(key, vars) {
  let s = dict[cur][key] ?? dict.vi[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll('{' + k + '}', String(v));
  return s;
}
function nm(txt) { return !txt ? '' : (cur === 'en' && txt.en ? txt.en : (txt.vi || txt.en || '')); }
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const code = data && data.error ? data.error.code : 'other';
    const err = new Error(code);
    err.code = code;
    throw err;
  }
  return data;
}
function errText(e) { return dict.vi['err.' + e.code] ? t('err.' + e.code) : t('err.other'); }

// State of the page.
const st = { centre: null, zone: 'Asia/Ho_Chi_Minh', services: [], settings: {}, holidays: new Set(), svc: null, day: '', slot: null, error: '', booking: null, view: 'field' };

// Day arithmetic on YYYY-MM-DD strings, in the centre's calendar.
function today() {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: st.zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}
function addDays(day, n) {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
function weekday(day) { return new Date(day + 'T00:00:00Z').getUTCDay(); }
const WD_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
// Times come with the centre's offset: HH:MM is read from the text so a
// phone set to another zone still shows the centre's clock.
function hhmm(rfc) { return rfc.slice(11, 16); }
function dayText(day) { return t('wd')[weekday(day)] + ' ' + day.slice(8, 10) + '/' + day.slice(5, 7); }

const app = document.getElementById('app');

function card(...children) { return h('div', { class: 'card' }, ...children); }
function errBox() { return st.error ? h('p', { class: 'err', role: 'alert', id: 'error' }, st.error) : null; }
function back(to) { return h('button', { type: 'button', class: 'back', onclick: () => { st.error = ''; st.view = to; render(); } }, t('back')); }

function viewField() {
  const open = st.services.filter((s) => st.settings[s.id] && st.settings[s.id].enabled);
  return card(
    h('h1', {}, t('title')),
    h('p', { class: 'small' }, t('intro')),
    h('p', { class: 'steps' }, t('step', { n: 1 })),
    h('h2', {}, t('pick.field')),
    errBox(),
    open.length === 0 ? h('p', { class: 'note' }, t('no.fields')) : null,
    h('div', { class: 'choices' }, open.map((s) => h('button', {
      type: 'button', class: 'choice', 'data-service': s.id,
      onclick: () => { st.svc = s; st.error = ''; st.view = 'day'; render(); },
    }, nm(s.name)))),
    h('button', { type: 'button', class: 'linkbtn', id: 'cancel-open', onclick: () => { st.error = ''; st.view = 'cancel'; render(); } }, t('cancel.open')),
  );
}

function viewDay() {
  const set = st.settings[st.svc.id];
  const first = today();
  const days = [];
  for (let i = 0; i <= set.days_ahead; i++) days.push(addDays(first, i));
  return card(
    back('field'),
    h('p', { class: 'steps' }, t('step', { n: 2 })),
    h('h2', {}, nm(st.svc.name) + ' — ' + t('pick.day')),
    errBox(),
    h('div', { class: 'choices two' }, days.map((d) => {
      const plan = (set.days || {})[WD_KEYS[weekday(d)]];
      const why = st.holidays.has(d) ? t('holiday') : (!plan || !plan.capacity ? t('closed') : '');
      return h('button', {
        type: 'button', class: 'choice', 'data-day': d, disabled: !!why,
        onclick: () => pickDay(d),
      }, d === first ? t('today') : dayText(d), h('span', { class: 'sub' }, why || d.slice(8, 10) + '/' + d.slice(5, 7) + '/' + d.slice(0, 4)));
    })),
  );
}

async function pickDay(d) {
  st.day = d;
  st.error = '';
  try {
    st.slots = await api('GET', '/api/v1/bookings/slots?service_id=' + encodeURIComponent(st.svc.id) + '&day=' + d);
    st.view = 'slot';
  } catch (e) {
    st.error = errText(e);
  }
  render();
}

function viewSlot() {
  return card(
    back('day'),
    h('p', { class: 'steps' }, t('step', { n: 3 })),
    h('h2', {}, dayText(st.day) + ' — ' + t('pick.slot')),
    errBox(),
    st.slots.length === 0 ? h('p', { class: 'note' }, t('no.slots')) : null,
    h('div', { class: 'choices two' }, st.slots.map((s) => h('button', {
      type: 'button', class: 'choice slot', 'data-slot': hhmm(s.start), disabled: s.free <= 0,
      onclick: () => { st.slot = s; st.error = ''; st.view = 'phone'; render(); },
    }, hhmm(s.start), h('span', { class: 'sub' }, s.free > 0 ? t('free', { n: s.free }) : t('full'))))),
  );
}

function viewPhone() {
  const input = h('input', { class: 'in', id: 'phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: '20' });
  input.value = st.phone || '';
  const submit = async (ev) => {
    ev.preventDefault();
    st.error = '';
    st.phone = input.value;
    try {
      st.booking = await api('POST', '/api/v1/bookings', { service_id: st.svc.id, start: st.slot.start, phone: input.value.trim(), lang: cur });
      st.view = 'done';
      st.phone = '';
    } catch (e) {
      st.error = errText(e);
      if (e.code === 'slot_full') { await pickDay(st.day); return; }
    }
    render();
  };
  return card(
    back('slot'),
    h('p', { class: 'steps' }, t('step', { n: 4 })),
    h('div', { class: 'summary' }, h('p', {}, h('b', {}, nm(st.svc.name))), h('p', {}, hhmm(st.slot.start) + ', ' + dayText(st.day))),
    errBox(),
    h('form', { onsubmit: submit },
      h('label', { class: 'in', for: 'phone' }, t('phone')),
      input,
      h('p', { class: 'small' }, t('phone.hint')),
      h('button', { type: 'submit', class: 'primary', id: 'confirm' }, t('confirm'))),
  );
}

function viewDone() {
  const b = st.booking;
  const qr = '/api/v1/bookings/' + encodeURIComponent(b.code) + '/qr.png';
  return card(
    h('div', { class: 'head done' },
      h('h1', {}, t('done.title')),
      h('div', { class: 'label' }, t('done.code')),
      h('div', { class: 'code', id: 'booking-code' }, b.code),
      h('img', { class: 'qr', src: qr, alt: 'QR ' + b.code, width: '240', height: '240' })),
    h('div', { class: 'summary' },
      h('p', {}, h('b', {}, t('done.when', { field: nm(st.svc.name), time: hhmm(b.slot_start), day: dayText(b.day) }))),
      h('p', { class: 'small' }, t('done.window', { a: hhmm(b.window_from), b: hhmm(b.window_to) }))),
    h('a', { class: 'linkbtn', id: 'save-qr', href: qr + '?download', download: 'civiq-booking-' + b.code + '.png' }, t('done.save')),
    h('button', { type: 'button', class: 'linkbtn', onclick: () => { st.view = 'field'; st.booking = null; render(); } }, t('done.again')),
  );
}

function viewCancel() {
  // What was typed survives a refusal (the view is drawn again).
  const code = h('input', { class: 'in', id: 'cancel-code', autocapitalize: 'characters', autocomplete: 'off', maxlength: '12' });
  const phone = h('input', { class: 'in', id: 'cancel-phone', type: 'tel', inputmode: 'tel', maxlength: '20' });
  code.value = st.cancelCode || '';
  phone.value = st.cancelPhone || '';
  const msg = st.cancelled ? h('p', { class: 'note', id: 'cancel-done' }, t('cancel.done', { code: st.cancelled })) : null;
  return card(
    back('field'),
    h('h1', {}, t('cancel.title')),
    errBox(), msg,
    h('form', {
      onsubmit: async (ev) => {
        ev.preventDefault();
        st.error = '';
        st.cancelled = '';
        st.cancelCode = code.value;
        st.cancelPhone = phone.value;
        try {
          const b = await api('POST', '/api/v1/bookings/cancel', { code: code.value.trim(), phone: phone.value.trim() });
          st.cancelled = b.code;
        } catch (e) {
          st.error = errText(e);
        }
        render();
      },
    },
    h('label', { class: 'in', for: 'cancel-code' }, t('cancel.code')), code,
    h('label', { class: 'in', for: 'cancel-phone' }, t('cancel.phone')), phone,
    h('button', { type: 'submit', class: 'primary', id: 'cancel-go' }, t('cancel.go'))),
  );
}

function render() {
  document.documentElement.lang = cur;
  document.title = t('title') + ' – CiviQ';
  document.getElementById('lang-switch').textContent = t('lang.switch');
  if (st.centre) document.getElementById('centre-name').textContent = nm(st.centre.name);
  const views = { field: viewField, day: viewDay, slot: viewSlot, phone: viewPhone, done: viewDone, cancel: viewCancel };
  app.replaceChildren(views[st.view]());
}

document.getElementById('lang-switch').addEventListener('click', () => {
  cur = cur === 'en' ? 'vi' : 'en';
  try { localStorage.setItem(KEY, cur); } catch { /* ignore */ }
  render();
});

async function start() {
  try {
    const [centre, services, settings, holidays] = await Promise.all([
      api('GET', '/api/v1/centre'), api('GET', '/api/v1/services'),
      api('GET', '/api/v1/bookings/settings'), api('GET', '/api/v1/holidays')]);
    st.centre = centre;
    if (centre.timezone) st.zone = centre.timezone;
    st.services = services;
    for (const s of settings) st.settings[s.service_id] = s;
    st.holidays = new Set(holidays.map((x) => x.day));
  } catch (e) {
    st.error = errText(e);
  }
  render();
}
start();
