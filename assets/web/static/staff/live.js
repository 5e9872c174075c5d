// Live keeps the board current over the websocket: snapshot first, then
// events reduced with board.js. It reconnects by itself with jittered
// backoff and resumes from the last seq and epoch it applied, so after a
// network cut or a server restart it gets exactly the events it missed (or a
// fresh snapshot when the server can no longer resume).
//
// A browser cannot see the server's websocket pings, so a silently dead
// connection (a cable pulled between two switches) is found by a watchdog:
// it asks GET /api/v1/version for the server's seq and reconnects when the
// page stays behind it.

import { apply, emptyBoard, normalize, EpochChanged } from './board.js';

const MIN_BACKOFF = 500;
const MAX_BACKOFF = 10000;
const WATCHDOG_MS = 15000;
const BEHIND_GRACE_MS = 3000;
// A handshake through a dead network can hang for minutes; give up sooner.
const CONNECT_TIMEOUT_MS = 10000;

export class Live {
  /**
   * handlers: onBoard(board, ev) after every change (ev.type "snapshot" or
   * "resync" when the whole board was replaced, so lists derived from events
   * must be fetched again); onState(state) with "connecting", "live" or
   * "offline"; counter (a string, optional): the counter a clerk console
   * serves, sent as /ws?counter= so the server knows the counter is staffed;
   * onDevices(change) (optional) on device.updated, {id, change}.
   */
  constructor(api, handlers) {
    this.api = api;
    this.h = handlers;
    this.board = emptyBoard();
    this.ws = null;
    this.backoff = MIN_BACKOFF;
    this.timer = null;
    this.watchdog = null;
    this.stopped = true;
    this.state = 'offline';
    this.failures = 0;
    this.onOnline = () => this.reconnectNow();
    this.onVisible = () => { if (document.visibilityState === 'visible') this.check(); };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.watchdog = setInterval(() => this.check(), WATCHDOG_MS);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearInterval(this.watchdog);
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.setState('offline');
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    if (this.h.onState) this.h.onState(s);
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams();
    if (this.board.seq > 0 && this.board.epoch) {
      q.set('since', String(this.board.seq));
      q.set('epoch', this.board.epoch);
    }
    // The clerk console names its counter: the server counts the counter
    // as staffed while this connection lasts (docs/API.md).
    if (this.h.counter) q.set('counter', this.h.counter);
    const qs = q.toString();
    return proto + '//' + location.host + '/ws' + (qs ? '?' + qs : '');
  }

  connect() {
    if (this.stopped) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    const giveUp = setTimeout(() => { if (!opened && this.ws === ws) ws.close(); }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(giveUp);
      opened = true;
      this.failures = 0;
      this.backoff = MIN_BACKOFF;
      this.setState('live');
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      let ev;
      try {
        ev = JSON.parse(m.data);
      } catch {
        ws.close();
        return;
      }
      this.receive(ev);
    };
    ws.onclose = (e) => {
      clearTimeout(giveUp);
      if (this.ws !== ws) return;
      if (e.code === 1008 && /revoked|expired/.test(e.reason || '')) {
        // The credential was revoked or the session ended: GET /me makes
        // the page show its login form instead of reconnecting in vain.
        this.api.get('/api/v1/me').catch(() => {});
      }
      this.ws = null;
      if (!opened) this.failures++;
      this.setState('offline');
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  receive(ev) {
    if (ev.type === 'device.updated') {
      // A kiosk or display was created, revoked or changed status (sent to
      // admins and supervisors only). Not a board event: its seq is the
      // last one's, and the board stays as it is.
      if (this.h.onDevices) this.h.onDevices(ev.data || {});
      return;
    }
    let nb;
    try {
      nb = apply(this.board, ev);
    } catch (e) {
      if (e instanceof EpochChanged) {
        // Another history (store restored from a backup): start over from a snapshot.
        this.board = emptyBoard();
        this.reconnectNow();
        return;
      }
      console.error('civiq: bad event', e);
      return;
    }
    if (nb === this.board) return; // a duplicate
    this.board = nb;
    this.h.onBoard(nb, ev);
  }

  scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    // Jitter, so a hall of pages does not reconnect in lockstep after a restart.
    const d = this.backoff / 2 + Math.random() * this.backoff / 2;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
    this.timer = setTimeout(() => this.connect(), d);
    if (this.failures >= 2) {
      // The handshake keeps failing: maybe the session ended (a websocket
      // cannot tell 401 apart from a network error). GET /me finds out and
      // lets the page show its login form.
      this.api.get('/api/v1/me').catch(() => {});
    }
  }

  /** reconnectNow drops the connection (if any) and connects at once. */
  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.backoff = MIN_BACKOFF;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.connect();
  }

  /** replace puts in a board fetched over HTTP if it is newer than ours. */
  replace(b) {
    const nb = normalize(b);
    if (nb.epoch === this.board.epoch && nb.seq < this.board.seq) return false;
    const epochChanged = this.board.epoch && nb.epoch !== this.board.epoch;
    this.board = nb;
    this.h.onBoard(nb, { type: 'resync', seq: nb.seq, epoch: nb.epoch });
    if (epochChanged) this.reconnectNow();
    return true;
  }

  /** resync fetches the true board over HTTP (after an action's outcome is unknown). */
  async resync() {
    const b = await this.api.get('/api/v1/board');
    this.replace(b);
    return this.board;
  }

  // check compares our seq with the server's; a page that stays behind has a
  // dead websocket and reconnects.
  async check() {
    if (this.stopped) return;
    let v;
    try {
      v = await this.api.get('/api/v1/version', { timeout: 8000 });
    } catch (e) {
      if (e.network && this.ws) this.reconnectNow();
      return;
    }
    if (this.state !== 'live') return;
    if (v.epoch === this.board.epoch && v.seq <= this.board.seq) return;
    setTimeout(() => {
      if (this.stopped || this.state !== 'live') return;
      if (v.epoch !== this.board.epoch || v.seq > this.board.seq) this.reconnectNow();
    }, BEHIND_GRACE_MS);
  }
}
