// The province page (/province): every centre of the province with its
// live figures, the range report per centre and for the province, and,
// for a province admin, the creation, renaming and taking out of service
// of a centre, the deletion of a centre's data (out of service, the id
// typed to confirm) and the province accounts; everyone changes their own
// password. It talks to /api/v1/province/… with a province token
// (docs/API.md, "Centres and the province"), kept for this tab in
// sessionStorage; a centre's "Open" link first hands the token to that
// centre (POST {path}/api/v1/province-session), whose pages then work
// with it.

const texts = {
  vi: {
    title: 'Toàn tỉnh', logout: 'Đăng xuất', 'login.title': 'Đăng nhập cấp tỉnh', 'login.user': 'Tên đăng nhập',
    'login.password': 'Mật khẩu', 'login.submit': 'Đăng nhập', 'login.bad': 'Sai tên đăng nhập hoặc mật khẩu.',
    centres: 'Các trung tâm', new: 'Thêm trung tâm', 'new.id': 'Mã (a-z, 0-9, -)', 'new.name': 'Tên trung tâm',
    'new.create': 'Tạo', 'new.done': 'Đã tạo {id}. Tài khoản quản trị: admin, mật khẩu {pw} (chỉ hiện một lần, hãy ghi lại).',
    report: 'Báo cáo theo khoảng ngày', from: 'Từ', to: 'Đến', csv: 'Tải CSV', xlsx: 'Tải Excel',
    'report.hint': 'Số của tỉnh là tổng các trung tâm; thời gian chờ trung bình, trung vị và phân vị 90 của tỉnh được tính trên toàn bộ lượt chờ của mọi trung tâm.',
    'col.centre': 'Trung tâm', 'col.waiting': 'Đang chờ', 'col.serving': 'Đang phục vụ', 'col.open': 'Quầy mở',
    'col.link': 'Trang', 'col.issued': 'Số đã cấp', 'col.served': 'Đã phục vụ', 'col.noshow': 'Vắng mặt',
    'col.wait': 'Chờ TB (phút)', 'col.p90': 'Chờ P90 (phút)', 'col.within': 'Đạt chỉ tiêu', total: 'Toàn tỉnh',
    'stat.centres': 'Trung tâm', 'stat.waiting': 'Đang chờ', 'stat.open': 'Quầy đang mở', open: 'Mở', lang: 'English',
    role_province_admin: 'Quản trị tỉnh', role_province_supervisor: 'Giám sát tỉnh', err: 'Lỗi: {msg}',
    mypw: 'Đổi mật khẩu', 'pw.old': 'Mật khẩu hiện tại', 'pw.new': 'Mật khẩu mới (ít nhất 10 ký tự)', 'pw.save': 'Lưu mật khẩu',
    'pw.done': 'Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.',
    'col.actions': 'Thao tác', rename: 'Đổi tên', save: 'Lưu', cancel: 'Hủy', disable: 'Ngừng phục vụ', 'disable.confirm': 'Bấm lần nữa để ngừng',
    enable: 'Phục vụ lại', off: 'Ngừng phục vụ',
    del: 'Xóa dữ liệu', 'del.title': 'Xóa dữ liệu của {name} ({id})?', 'del.go': 'Xóa vĩnh viễn',
    'del.warn': 'Toàn bộ dữ liệu của trung tâm sẽ bị xóa vĩnh viễn: số đã cấp, lịch sử, lĩnh vực, quầy, tài khoản, thiết bị, lịch hẹn, báo cáo. Không thể hoàn tác.',
    'del.backup': 'Hãy sao lưu trước khi xóa, trên máy chủ cơ sở dữ liệu:', 'del.type': 'Gõ mã trung tâm {id} để xác nhận',
    'del.done': 'Đã xóa dữ liệu của trung tâm {id}. Mã {id} có thể dùng lại cho một trung tâm mới.',
    accounts: 'Tài khoản cấp tỉnh', 'user.new': 'Thêm tài khoản', 'user.username': 'Tên đăng nhập', 'user.name': 'Họ tên',
    'user.role': 'Vai trò', 'user.password': 'Mật khẩu (ít nhất 10 ký tự)', 'col.user': 'Tài khoản', 'col.role': 'Vai trò',
    'col.state': 'Trạng thái', active: 'Đang dùng', disabled: 'Đã khóa', lock: 'Khóa', unlock: 'Mở khóa', reset: 'Đặt lại mật khẩu',
    'reset.ph': 'Mật khẩu mới', 'reset.done': 'Đã đặt lại mật khẩu của {user}; các phiên của tài khoản này đã kết thúc.', you: '(bạn)',
    'audit.dropped': 'đã xóa schema {schema}',
    audit: 'Nhật ký thao tác', 'audit.hint': '50 thao tác gần nhất trên các trung tâm và tài khoản cấp tỉnh.', 'audit.none': 'Chưa có thao tác nào.',
    'audit.csv': 'Tải CSV',
    'col.time': 'Thời gian', 'col.actor': 'Người thực hiện', 'col.action': 'Thao tác', 'col.subject': 'Đối tượng',
    'a.centre.create': 'Tạo trung tâm', 'a.centre.rename': 'Đổi tên trung tâm', 'a.centre.disable': 'Ngừng phục vụ trung tâm',
    'a.centre.enable': 'Cho trung tâm phục vụ lại', 'a.centre.delete': 'Xóa dữ liệu trung tâm', 'a.account.create': 'Tạo tài khoản',
    'a.account.rename': 'Đổi họ tên tài khoản', 'a.account.role': 'Đổi vai trò', 'a.account.reset_password': 'Đặt lại mật khẩu',
    'a.account.disable': 'Khóa tài khoản', 'a.account.enable': 'Mở khóa tài khoản', 'a.account.password': 'Tự đổi mật khẩu',
  },
  en: {
    title: 'Province', logout: 'Log out', 'login.title': 'Province sign-in', 'login.user': 'Username',
    'login.password': 'Password', 'login.submit': 'Sign in', 'login.bad': 'Wrong username or password.',
    centres: 'Centres', new: 'Add a centre', 'new.id': 'Id (a-z, 0-9, -)', 'new.name': 'Centre name',
    'new.create': 'Create', 'new.done': 'Created {id}. Admin account: admin, password {pw} (shown once; write it down).',
    report: 'Report for a date range', from: 'From', to: 'To', csv: 'Download CSV', xlsx: 'Download Excel',
    'report.hint': 'Province figures are the sum of the centres; its mean, median and 90th percentile waits are computed over every wait of every centre.',
    'col.centre': 'Centre', 'col.waiting': 'Waiting', 'col.serving': 'Being served', 'col.open': 'Open counters',
    'col.link': 'Page', 'col.issued': 'Issued', 'col.served': 'Served', 'col.noshow': 'No-show',
    'col.wait': 'Mean wait (min)', 'col.p90': 'P90 wait (min)', 'col.within': 'Within target', total: 'Province',
    'stat.centres': 'Centres', 'stat.waiting': 'Waiting', 'stat.open': 'Open counters', open: 'Open', lang: 'Tiếng Việt',
    role_province_admin: 'Province admin', role_province_supervisor: 'Province supervisor', err: 'Error: {msg}',
    mypw: 'Change password', 'pw.old': 'Current password', 'pw.new': 'New password (at least 10 characters)', 'pw.save': 'Save password',
    'pw.done': 'Password changed. Your other sessions have ended.',
    'col.actions': 'Actions', rename: 'Rename', save: 'Save', cancel: 'Cancel', disable: 'Take out of service', 'disable.confirm': 'Click again to confirm',
    enable: 'Back in service', off: 'Out of service',
    del: 'Delete data', 'del.title': 'Delete the data of {name} ({id})?', 'del.go': 'Delete for good',
    'del.warn': 'All of this centre\'s data will be deleted for good: issued tickets, history, fields, counters, accounts, devices, bookings, reports. This cannot be undone.',
    'del.backup': 'Back it up first, on the database server:', 'del.type': 'Type the centre id {id} to confirm',
    'del.done': 'The data of centre {id} was deleted. The id {id} can be used again for a new centre.',
    accounts: 'Province accounts', 'user.new': 'Add an account', 'user.username': 'Username', 'user.name': 'Full name',
    'user.role': 'Role', 'user.password': 'Password (at least 10 characters)', 'col.user': 'Account', 'col.role': 'Role',
    'col.state': 'State', active: 'Active', disabled: 'Disabled', lock: 'Disable', unlock: 'Enable', reset: 'Reset password',
    'reset.ph': 'New password', 'reset.done': 'Password of {user} reset; its sessions have ended.', you: '(you)',
    'audit.dropped': 'schema {schema} dropped',
    audit: 'Activity log', 'audit.hint': 'The latest 50 changes to the centres and the province accounts.', 'audit.none': 'Nothing yet.',
    'audit.csv': 'Download CSV',
    'col.time': 'Time', 'col.actor': 'By', 'col.action': 'Action', 'col.subject': 'Subject',
    'a.centre.create': 'Centre created', 'a.centre.rename': 'Centre renamed', 'a.centre.disable': 'Centre taken out of service',
    'a.centre.enable': 'Centre back in service', 'a.centre.delete': 'Centre data deleted', 'a.account.create': 'Account created',
    'a.account.rename': 'Account renamed', 'a.account.role': 'Role changed', 'a.account.reset_password': 'Password reset',
    'a.account.disable': 'Account disabled', 'a.account.enable': 'Account enabled', 'a.account.password': 'Own password changed',
  },
};

let lang = 'vi';
try { if (localStorage.getItem('civiq.lang') === 'en') lang = 'en'; } catch { /* storage may be off */ }
const t = (k, vars) => String(texts[lang][k] ?? texts.vi[k] ?? k).replace(/\{(\w+)\}/g, (m, v) => (vars && vars[v] !== undefined ? vars[v] : m));
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };

let token = '';
try { token = sessionStorage.getItem('civiq.province') || ''; } catch { /* storage may be off */ }
let me = null;

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + token };
  if (body) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' });
  if (r.status === 401 && path !== '/api/v1/province/login') { signOut(); throw new Error('401'); }
  const j = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new Error((j && j.error && j.error.message) || String(r.status));
  return j;
}

function translate() {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll('[data-p]')) e.textContent = t(e.dataset.p);
  $('lang').textContent = t('lang');
  for (const o of $('u-role').options) o.textContent = t('role_' + o.value);
  fillDelete();
  if (me) $('who').textContent = me.user + ' · ' + t('role_' + me.role);
}

function signOut() {
  token = '';
  me = null;
  try { sessionStorage.removeItem('civiq.province'); } catch { /* ignore */ }
  $('main').hidden = true;
  $('logout').hidden = true;
  $('mypw').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
}

const minutes = (s) => (s === null || s === undefined ? '—' : (s / 60).toFixed(1));

const btn = (text, cls, fn) => { const b = el('button', text, 'btn btn-small ' + (cls || '')); b.type = 'button'; b.addEventListener('click', fn); return b; };

// openCentre hands the province session to the centre, then opens its page.
async function openCentre(c) {
  $('centres-error').textContent = '';
  try {
    await api('POST', (c.path || '') + '/api/v1/province-session');
    location.href = (c.path || '') + '/admin';
  } catch (err) { $('centres-error').textContent = t('err', { msg: err.message }); }
}

async function patchCentre(c, body) {
  $('centres-error').textContent = ''; $('centres-ok').textContent = '';
  try {
    await api('PATCH', '/api/v1/province/centres/' + encodeURIComponent(c.id), body);
    await loadCentres(true);
    loadReport().catch(() => {});
    loadAudit().catch(() => {});
  } catch (err) { $('centres-error').textContent = t('err', { msg: err.message }); }
}

function centreActions(c) {
  const td = el('td');
  const box = el('div', undefined, 'pv-actions');
  td.append(box);
  if (!c.disabled) box.append(btn(t('open'), 'btn-primary', () => openCentre(c)));
  if (!me || me.role !== 'province_admin') return td;
  if (!c.disabled) {
    box.append(btn(t('rename'), '', () => {
      const input = el('input'); input.value = c.name || ''; input.setAttribute('aria-label', t('rename'));
      box.replaceChildren(input, btn(t('save'), 'btn-primary', () => patchCentre(c, { name: input.value.trim() })), btn(t('cancel'), 'btn-ghost', () => loadCentres(true)));
      input.focus();
    }));
  }
  if (c.id === 'default') return td;
  if (c.disabled) {
    box.append(btn(t('enable'), '', () => patchCentre(c, { disabled: false })));
    const del = btn(t('del'), 'btn-danger', () => askDelete(c));
    del.classList.add('pv-del-btn');
    box.append(del);
  } else {
    const off = btn(t('disable'), 'btn-danger', () => {
      if (!off.dataset.armed) { off.dataset.armed = '1'; off.textContent = t('disable.confirm'); return; }
      patchCentre(c, { disabled: true });
    });
    off.classList.add('pv-off');
    box.append(off);
  }
  return td;
}

// The centre the deletion dialog is about (null: closed).
let deleting = null;

// askDelete opens the confirmation of a centre's deletion: what goes, the
// backup to take first, the id to type.
function askDelete(c) {
  deleting = c;
  $('centres-error').textContent = ''; $('centres-ok').textContent = '';
  fillDelete();
  $('del-confirm').value = '';
  $('del-go').disabled = true;
  $('del-error').textContent = '';
  $('del-dialog').showModal();
  $('del-confirm').focus();
}

// fillDelete writes the dialog's texts that name the centre (again when
// the language changes).
function fillDelete() {
  const c = deleting;
  if (!c) return;
  $('del-title').textContent = t('del.title', { name: c.name || c.id, id: c.id });
  $('del-cmd').textContent = 'pg_dump -n centre_' + c.id.replace(/-/g, '_') + ' -Fc -f ' + c.id + '.dump "$CIVIQ_DB"';
  const label = $('del-label');
  const [before, after] = t('del.type').split('{id}');
  label.replaceChildren(before || '', el('code', c.id), after || '');
}

function closeDelete() {
  deleting = null;
  $('del-dialog').close();
}

async function loadCentres(force) {
  const cs = await api('GET', '/api/v1/province/centres');
  const tbl = $('centres');
  if (tbl.querySelector('input') && !force) return; // a rename is being typed
  tbl.replaceChildren();
  const head = el('tr');
  for (const k of ['col.centre', 'col.waiting', 'col.serving', 'col.open', 'col.actions']) head.append(el('th', t(k), k === 'col.centre' || k === 'col.actions' ? '' : 'num'));
  tbl.append(el('thead')); tbl.tHead.append(head);
  const body = el('tbody');
  if (cs.length && cs[0].time_zone) zone = cs[0].time_zone;
  let waiting = 0, open = 0, served = 0;
  for (const c of cs) {
    const tr = el('tr', undefined, c.disabled ? 'off' : '');
    tr.dataset.centre = c.id;
    const name = el('td'); name.append(el('strong', c.name || c.id), el('div', c.id, 'muted'));
    if (c.disabled) {
      name.firstChild.after(el('span', t('off'), 'tag-off'));
      tr.append(name, el('td', '—', 'num'), el('td', '—', 'num'), el('td', '—', 'num'), centreActions(c));
    } else {
      served++;
      waiting += c.waiting; open += c.open_counters;
      tr.append(name, el('td', String(c.waiting), 'num'), el('td', String(c.serving), 'num'), el('td', c.open_counters + ' / ' + c.counters, 'num'), centreActions(c));
    }
    body.append(tr);
  }
  tbl.append(body);
  const stats = $('totals');
  stats.replaceChildren();
  for (const [k, v] of [['stat.centres', served], ['stat.waiting', waiting], ['stat.open', open]]) {
    const s = el('div', undefined, 'stat'); s.append(el('div', String(v), 'stat-value'), el('div', t(k), 'stat-label')); stats.append(s);
  }
}

async function patchUser(u, body, done) {
  $('users-error').textContent = ''; $('users-ok').textContent = '';
  try {
    await api('PATCH', '/api/v1/province/users/' + encodeURIComponent(u.id), body);
    await loadUsers(true);
    loadAudit().catch(() => {});
    if (done) $('users-ok').textContent = done;
  } catch (err) { $('users-error').textContent = t('err', { msg: err.message }); }
}

async function loadUsers(force) {
  if (!me || me.role !== 'province_admin') return;
  const us = await api('GET', '/api/v1/province/users');
  const tbl = $('users');
  if (tbl.querySelector('input') && !force) return; // a password is being typed
  tbl.replaceChildren();
  const head = el('tr');
  for (const k of ['col.user', 'col.role', 'col.state', 'col.actions']) head.append(el('th', t(k)));
  tbl.append(el('thead')); tbl.tHead.append(head);
  const body = el('tbody');
  for (const u of us) {
    const tr = el('tr', undefined, u.disabled ? 'off' : '');
    tr.dataset.user = u.username;
    const name = el('td'); name.append(el('strong', u.username + (u.id === me.id ? ' ' + t('you') : '')), el('div', u.name, 'muted'));
    const role = el('select');
    role.setAttribute('aria-label', t('col.role'));
    for (const r of ['province_admin', 'province_supervisor']) { const o = el('option', t('role_' + r)); o.value = r; role.append(o); }
    role.value = u.role;
    role.addEventListener('change', () => patchUser(u, { role: role.value }));
    const box = el('div', undefined, 'pv-actions');
    box.append(btn(t('reset'), '', () => {
      const input = el('input'); input.type = 'password'; input.autocomplete = 'new-password'; input.placeholder = t('reset.ph');
      box.replaceChildren(input, btn(t('save'), 'btn-primary', () => patchUser(u, { password: input.value }, t('reset.done', { user: u.username }))), btn(t('cancel'), 'btn-ghost', () => loadUsers(true)));
      input.focus();
    }));
    if (u.id !== me.id) box.append(btn(u.disabled ? t('unlock') : t('lock'), u.disabled ? '' : 'btn-danger', () => patchUser(u, { disabled: !u.disabled })));
    const actions = el('td'); actions.append(box);
    const rt = el('td'); rt.append(role);
    tr.append(name, rt, el('td', u.disabled ? t('disabled') : t('active')), actions);
    body.append(tr);
  }
  tbl.append(body);
}

// The time zone the page's times are in: the default centre's.
let zone = 'Asia/Ho_Chi_Minh';

// loadAudit lists the latest 50 entries of the province's audit log.
async function loadAudit() {
  const es = await api('GET', '/api/v1/province/audit?limit=50');
  const tbl = $('audit');
  tbl.replaceChildren();
  const head = el('tr');
  for (const k of ['col.time', 'col.actor', 'col.action', 'col.subject']) head.append(el('th', t(k)));
  tbl.append(el('thead')); tbl.tHead.append(head);
  const body = el('tbody');
  const opts = { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  let fmt;
  try {
    fmt = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { ...opts, timeZone: zone });
  } catch { fmt = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', opts); }
  for (const e of es) {
    const tr = el('tr');
    tr.dataset.action = e.action;
    const subject = el('td'); subject.append(el('strong', e.subject));
    // Role codes in a detail (account.create, account.role) and a
    // deletion's dropped schema (centre.delete) in the page's language.
    if (e.detail) {
      const d = e.detail.replace(/\bprovince_(admin|supervisor)\b/g, (r) => t('role_' + r))
        .replace(/^schema (\S+) dropped$/, (m, schema) => t('audit.dropped', { schema }));
      subject.append(el('div', d, 'muted'));
    }
    tr.append(el('td', fmt.format(new Date(e.at)), 'pv-time'), el('td', e.actor), el('td', t('a.' + e.action)), subject);
    body.append(tr);
  }
  if (!es.length) { const tr = el('tr'); const td = el('td', t('audit.none'), 'muted'); td.colSpan = 4; tr.append(td); body.append(tr); }
  tbl.append(body);
}

async function loadReport() {
  const q = 'from=' + $('from').value + '&to=' + $('to').value;
  const rep = await api('GET', '/api/v1/province/reports/summary?' + q);
  // Downloads carry the token in the request, not the URL: fetched, then saved.
  const tbl = $('report');
  tbl.replaceChildren();
  const head = el('tr');
  for (const k of ['col.centre', 'col.issued', 'col.served', 'col.noshow', 'col.wait', 'col.p90', 'col.within']) head.append(el('th', t(k), k === 'col.centre' ? '' : 'num'));
  tbl.append(el('thead')); tbl.tHead.append(head);
  const body = el('tbody');
  const line = (r, label, cls) => {
    const tr = el('tr', undefined, cls);
    tr.append(el('td', label), el('td', String(r.issued), 'num'), el('td', String(r.served), 'num'), el('td', String(r.no_show), 'num'),
      el('td', minutes(r.wait_mean_seconds), 'num'), el('td', minutes(r.wait_p90_seconds), 'num'), el('td', String(r.within_target), 'num'));
    body.append(tr);
  };
  for (const r of rep.rows) line(r, r.label || r.key);
  line(rep.total, t('total'), 'total');
  tbl.append(body);
}

async function download(format) {
  const q = 'from=' + $('from').value + '&to=' + $('to').value + '&format=' + format;
  const r = await fetch('/api/v1/province/reports/summary?' + q, { headers: { Authorization: 'Bearer ' + token } });
  if (!r.ok) return;
  const url = URL.createObjectURL(await r.blob());
  const a = el('a'); a.href = url; a.download = 'civiq-province-' + $('from').value + '-' + $('to').value + '.' + format;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// downloadAudit saves the whole activity log (GET /api/v1/province/audit.csv,
// up to 100,000 entries) as civiq-province-audit-YYYY-MM-DD.csv, the page's
// date. The request carries the token, which a plain link cannot send:
// fetched, then saved through a Blob.
async function downloadAudit() {
  $('audit-error').textContent = '';
  try {
    const r = await fetch('/api/v1/province/audit.csv', { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
    if (r.status === 401) { signOut(); return; }
    if (!r.ok) throw new Error(String(r.status));
    const url = URL.createObjectURL(await r.blob());
    const a = el('a'); a.href = url; a.download = 'civiq-province-audit-' + iso(new Date()) + '.csv';
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) { $('audit-error').textContent = t('err', { msg: err.message }); }
}

async function start() {
  try {
    me = await api('GET', '/api/v1/province/me');
  } catch { signOut(); return; }
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  $('mypw').hidden = false;
  $('new').hidden = me.role !== 'province_admin';
  $('accounts').hidden = me.role !== 'province_admin';
  translate();
  await Promise.all([loadCentres(), loadReport(), loadUsers()]).catch(() => {});
  loadAudit().catch(() => {});
}

const today = new Date();
const iso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
$('to').value = iso(today);
$('from').value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
$('from').addEventListener('change', () => loadReport().catch(() => {}));
$('to').addEventListener('change', () => loadReport().catch(() => {}));
$('csv').addEventListener('click', (e) => { e.preventDefault(); download('csv'); });
$('xlsx').addEventListener('click', (e) => { e.preventDefault(); download('xlsx'); });
$('csv').href = '#'; $('xlsx').href = '#';
$('audit-csv').addEventListener('click', (e) => { e.preventDefault(); downloadAudit(); });
$('lang').addEventListener('click', () => {
  lang = lang === 'vi' ? 'en' : 'vi';
  try { localStorage.setItem('civiq.lang', lang); } catch { /* ignore */ }
  translate();
  if (me) Promise.all([loadCentres(), loadReport(), loadUsers(), loadAudit()]).catch(() => {});
});
$('mypw').addEventListener('click', () => { $('pw-form').hidden = !$('pw-form').hidden; });
$('pw-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('pw-error').textContent = ''; $('pw-ok').textContent = '';
  try {
    await api('POST', '/api/v1/province/password', { old_password: $('pw-old').value, password: $('pw-new').value });
    $('pw-old').value = ''; $('pw-new').value = '';
    $('pw-ok').textContent = t('pw.done');
  } catch (err) { $('pw-error').textContent = t('err', { msg: err.message }); }
});
$('new-user').addEventListener('click', () => { $('user-form').hidden = !$('user-form').hidden; });
$('user-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('users-error').textContent = '';
  try {
    await api('POST', '/api/v1/province/users', { username: $('u-name').value.trim(), name: $('u-full').value.trim(), role: $('u-role').value, password: $('u-pass').value });
    $('u-name').value = ''; $('u-full').value = ''; $('u-pass').value = '';
    $('user-form').hidden = true;
    await loadUsers();
  } catch (err) { $('users-error').textContent = t('err', { msg: err.message }); }
});
$('del-confirm').addEventListener('input', () => { $('del-go').disabled = !deleting || $('del-confirm').value.trim() !== deleting.id; });
$('del-cancel').addEventListener('click', closeDelete);
// The close event comes in a task of its own: one of a dialog already
// opened again (for this or another centre) must not forget that centre.
$('del-dialog').addEventListener('close', () => { if (!$('del-dialog').open) deleting = null; });
$('del-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const c = deleting;
  if (!c) return;
  $('del-error').textContent = '';
  $('del-go').disabled = true;
  try {
    await api('DELETE', '/api/v1/province/centres/' + encodeURIComponent(c.id), { confirm: $('del-confirm').value.trim() });
    closeDelete();
    $('new-secret').hidden = true; // a password of a centre that may be gone
    $('centres-ok').textContent = t('del.done', { id: c.id });
    await loadCentres(true);
    loadReport().catch(() => {});
    loadAudit().catch(() => {});
  } catch (err) {
    $('del-error').textContent = t('err', { msg: err.message });
    $('del-go').disabled = false;
  }
});
$('logout').addEventListener('click', async () => { await api('POST', '/api/v1/province/logout').catch(() => {}); signOut(); });
$('new').addEventListener('click', () => { $('new-form').hidden = !$('new-form').hidden; });
$('new-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('new-error').textContent = '';
  try {
    const r = await api('POST', '/api/v1/province/centres', { id: $('c-id').value.trim(), name: $('c-name').value.trim() });
    const p = $('new-secret');
    p.hidden = false;
    p.textContent = t('new.done', { id: r.centre.id, pw: r.admin.password });
    $('c-id').value = ''; $('c-name').value = '';
    await Promise.all([loadCentres(), loadReport()]);
  } catch (err) { $('new-error').textContent = t('err', { msg: err.message }); }
});
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    const r = await api('POST', '/api/v1/province/login', { username: $('user').value.trim(), password: $('pass').value });
    token = r.token;
    try { sessionStorage.setItem('civiq.province', token); } catch { /* ignore */ }
    $('pass').value = '';
    await start();
  } catch { $('login-error').textContent = t('login.bad'); }
});
translate();
setInterval(() => { if (me) { loadCentres().catch(() => {}); loadAudit().catch(() => {}); } }, 5000);
if (token) start(); else signOut();
