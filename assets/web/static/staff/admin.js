// The admin pages (/admin): a live dashboard and the settings of fields,
// counters, users, devices and the centre, plus the audit log. One module per
// view (a-*.js); this one signs in, keeps the board live over the websocket
// and routes between views by the URL fragment (#fields, #users, …).

import { Api } from './api.js';
import { h, $, $$, replace } from './dom.js';
import { t, name, initLang, onLang, errorText } from './i18n.js';
import { Live } from './live.js';
import { signIn } from './session.js';
import { WaitingList } from './waiting.js';
import { flash } from './forms.js';
import { dashboardView } from './a-dashboard.js';
import { fieldsView } from './a-fields.js';
import { countersView } from './a-counters.js';
import { usersView } from './a-users.js';
import { devicesView } from './a-devices.js';
import { centreView } from './a-centre.js';
import { auditView } from './a-audit.js';
import { reportsView } from './a-reports.js';
import { webhooksView } from './a-webhooks.js';
import { bookingsView } from './a-bookings.js';

// The views a supervisor (read-only) may open.
const READ_ONLY_VIEWS = ['dashboard', 'reports', 'audit', 'bookings'];

const VIEWS = {
  dashboard: dashboardView,
  fields: fieldsView,
  counters: countersView,
  users: usersView,
  devices: devicesView,
  centre: centreView,
  audit: auditView,
  reports: reportsView,
  webhooks: webhooksView,
  bookings: bookingsView,
};

class AdminApp {
  constructor() {
    this.api = new Api();
    this.api.onUnauthorized = () => this.restart(t('login.expired'));
    this.live = null;
    this.waiting = null;
    this.me = null;
    this.view = null;
    this.viewName = '';
    this.cache = {};
    this.tickTimer = null;
  }

  get board() { return this.live.board; }

  async run(note) {
    this.signingIn = true;
    this.me = await signIn(this.api, $('#login'), note);
    this.signingIn = false;
    $('#logout').hidden = false;
    $('#who').hidden = false;
    $('#who').textContent = this.me.user;
    if (this.me.role !== 'admin' && this.me.role !== 'supervisor') {
      replace($('#denied'), h('div', { class: 'card narrow' },
        h('p', { class: 'msg error', role: 'alert', id: 'denied-msg', text: t('a.notadmin', { user: this.me.user }) }),
        h('a', { class: 'btn', href: (window.CIVIQ_BASE || '') + '/counter', text: t('home.counter') })));
      $('#denied').hidden = false;
      return;
    }
    this.live = new Live(this.api, {
      onBoard: (b, ev) => this.onBoard(b, ev),
      onState: (s) => this.onConn(s),
      onDevices: () => this.onDevices(),
    });
    this.waiting = new WaitingList(() => this.api.get('/api/v1/waiting'), () => true);
    try {
      this.live.replace(await this.api.get('/api/v1/board'));
    } catch (e) {
      this.fail(e);
    }
    this.live.start();
    this.waiting.refresh().then(() => this.refreshView(), () => {});
    // A supervisor reads the dashboard and the audit log: the other views
    // change things, so their tabs are not offered.
    for (const a of $$('#nav a')) a.hidden = !this.may(a.dataset.view);
    $('#readonly').hidden = this.isAdmin();
    $('#admin').hidden = false;
    this.route();
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => { if (this.view && this.view.tick) this.view.tick(); }, 1000);
  }

  isAdmin() { return !!this.me && this.me.role === 'admin'; }

  /** may tells whether the signed-in user may open a view. */
  may(view) { return this.isAdmin() || (!!this.me && this.me.role === 'supervisor' && READ_ONLY_VIEWS.includes(view)); }

  restart(note) {
    // Several requests may fail with 401 at once: show one login form.
    if (this.signingIn) return;
    const live = this.live;
    this.live = null; // first: stop() reports "offline", which is no news here
    if (live) live.stop();
    this.wasLive = false;
    if (this.view && this.view.leave) this.view.leave();
    this.view = null;
    this.viewName = '';
    this.cache = {};
    clearInterval(this.tickTimer);
    for (const d of $$('dialog')) d.remove();
    $('#admin').hidden = true;
    $('#denied').hidden = true;
    $('#logout').hidden = true;
    $('#who').hidden = true;
    $('#conn').hidden = true;
    $('#offline-banner').hidden = true;
    this.run(note);
  }

  onConn(s) {
    if (!this.live) return;
    const el = $('#conn');
    el.hidden = false;
    el.dataset.state = s;
    el.textContent = t('conn.' + s);
    // The banner is for a page that was live and lost the server, not for
    // the first second of loading.
    if (s === 'live') this.wasLive = true;
    $('#offline-banner').hidden = s === 'live' || !this.wasLive;
  }

  // onDevices: a device was created, revoked or changed status; the
  // dashboard and the devices view fetch the list again.
  onDevices() {
    this.cache.devices = null;
    if (this.view && this.view.onDevices) this.view.onDevices();
  }

  onBoard(b, ev) {
    if (!this.waiting) return;
    if (ev.type === 'snapshot' || ev.type === 'resync') this.waiting.refresh().then(() => this.refreshView(), () => {});
    else this.waiting.event(ev);
    $('#centre-name').textContent = b.centre ? name(b.centre.name) : '';
    if (this.view && this.view.onBoard) this.view.onBoard(ev);
  }

  refreshView() {
    if (this.view && this.view.onBoard) this.view.onBoard({ type: 'resync' });
  }

  route() {
    let v = location.hash.slice(1);
    if (!VIEWS[v] || !this.may(v)) v = 'dashboard';
    if (v === this.viewName) return;
    if (this.view && this.view.leave) this.view.leave();
    for (const d of $$('dialog')) d.remove();
    this.viewName = v;
    for (const a of $$('#nav a')) {
      if (a.dataset.view === v) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    $('#flash').hidden = true;
    replace($('#view-tools'));
    replace($('#view-body'));
    this.view = VIEWS[v](this);
    $('#view-title').textContent = t('a.tab.' + v);
    document.title = 'CiviQ – ' + t('a.tab.' + v);
    this.view.render($('#view-body'), $('#view-tools'));
  }

  /** rerender draws the current view again (after a language switch). */
  rerender() {
    if (!this.view) return;
    const v = this.viewName;
    this.viewName = '';
    if (this.view.leave) this.view.leave();
    location.hash = v;
    this.route();
  }

  flash(text, kind) { flash($('#flash'), text, kind); }

  /** fail shows a failed request in words people can act on. */
  fail(e) { if (e.status !== 401) this.flash(errorText(e), 'error'); }

  /** users returns the user list, cached until reload(…) or force. */
  async users(force) {
    if (force || !this.cache.users) this.cache.users = this.api.get('/api/v1/users');
    try {
      return await this.cache.users;
    } catch (e) {
      this.cache.users = null;
      throw e;
    }
  }

  async devices(force) {
    if (force || !this.cache.devices) this.cache.devices = this.api.get('/api/v1/devices');
    try {
      return await this.cache.devices;
    } catch (e) {
      this.cache.devices = null;
      throw e;
    }
  }

  /** tz is the centre's time zone (for showing times as the centre sees them). */
  tz() {
    return (this.live && this.live.board.centre && this.live.board.centre.timezone) || undefined;
  }

  /** time formats an RFC 3339 time in the centre's zone. */
  time(iso, withDate) {
    if (!iso) return t('none');
    const d = new Date(iso);
    let parts;
    try {
      parts = new Intl.DateTimeFormat('en-GB', {
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
        hourCycle: 'h23', timeZone: this.tz(),
      }).formatToParts(d);
    } catch {
      return d.toLocaleString();
    }
    // Day first and 24-hour clock, the way Vietnamese (and British) readers expect.
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    const hms = p.hour + ':' + p.minute + ':' + p.second;
    return withDate ? p.day + '/' + p.month + '/' + p.year + ' ' + hms : hms;
  }

  /** service finds a field on the board. */
  service(id) { return this.board.services.find((s) => s.id === id) || null; }

  serviceName(id) {
    const s = this.service(id);
    return s ? name(s.name) : id;
  }
}

initLang();
const app = new AdminApp();
window.addEventListener('hashchange', () => { if (app.live) app.route(); });
$('#logout').addEventListener('click', async () => {
  await app.api.logout();
  app.restart();
});
onLang(() => {
  if (app.live) app.onConn(app.live.state);
  if (app.live) app.rerender();
  else if (app.me) { const m = document.getElementById('denied-msg'); if (m) m.textContent = t('a.notadmin', { user: app.me.user }); }
});
app.run();
