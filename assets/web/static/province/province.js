// The province page (/province): every centre of the province with its
// live figures, the range report per centre and for the province, and,
// for a province admin, the creation of a centre. It talks only to
// /api/v1/province/… with a province token (docs/API.md, "Centres and the
// province"), kept for this tab in sessionStorage.

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
  if (me) $('who').textContent = me.user + ' · ' + t('role_' + me.role);
}

function signOut() {
  token = '';
  me = null;
  try { sessionStorage.removeItem('civiq.province'); } catch { /* ignore */ }
  $('main').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
}

const minutes = (s) => (s === null || s === undefined ? '—' : (s / 60).toFixed(1));

async function loadCentres() {
  const cs = await api('GET', '/api/v1/province/centres');
  const tbl = $('centres');
  tbl.replaceChildren();
  const head = el('tr');
  for (const k of ['col.centre', 'col.waiting', 'col.serving', 'col.open', 'col.link']) head.append(el('th', t(k), k === 'col.centre' || k === 'col.link' ? '' : 'num'));
  tbl.append(el('thead')); tbl.tHead.append(head);
  const body = el('tbody');
  let waiting = 0, open = 0;
  for (const c of cs) {
    waiting += c.waiting; open += c.open_counters;
    const tr = el('tr');
    const name = el('td'); name.append(el('strong', c.name || c.id), el('div', c.id, 'muted'));
    const link = el('td'); const a = el('a', t('open')); a.href = (c.path || '') + '/admin'; link.append(a);
    tr.append(name, el('td', String(c.waiting), 'num'), el('td', String(c.serving), 'num'), el('td', c.open_counters + ' / ' + c.counters, 'num'), link);
    body.append(tr);
  }
  tbl.append(body);
  const stats = $('totals');
  stats.replaceChildren();
  for (const [k, v] of [['stat.centres', cs.length], ['stat.waiting', waiting], ['stat.open', open]]) {
    const s = el('div', undefined, 'stat'); s.append(el('div', String(v), 'stat-value'), el('div', t(k), 'stat-label')); stats.append(s);
  }
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

async function start() {
  try {
    me = await api('GET', '/api/v1/province/me');
  } catch { signOut(); return; }
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  $('new').hidden = me.role !== 'province_admin';
  translate();
  await Promise.all([loadCentres(), loadReport()]).catch(() => {});
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
$('lang').addEventListener('click', () => {
  lang = lang === 'vi' ? 'en' : 'vi';
  try { localStorage.setItem('civiq.lang', lang); } catch { /* ignore */ }
  translate();
  if (me) Promise.all([loadCentres(), loadReport()]).catch(() => {});
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
setInterval(() => { if (me) loadCentres().catch(() => {}); }, 5000);
if (token) start(); else signOut();
