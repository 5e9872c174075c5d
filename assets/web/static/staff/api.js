// The staff pages' HTTP client. The session lives in the HttpOnly cookie the
// server sets at login, so no script can read the session token; writes carry
// the CSRF token the server hands out at login and again on GET /api/v1/me.

/** ApiError is a failed request: status 0 and code "network" when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
  get network() { return this.status === 0; }
}

const TIMEOUT_MS = 10000;

export class Api {
  constructor() {
    this.csrf = '';
    /** onUnauthorized is called when a request answers 401 (session ended). */
    this.onUnauthorized = null;
    /** clockSkew is server time minus local time in ms, from the Date header. */
    this.clockSkew = 0;
  }

  /** now is the current time on the server's clock (ms since epoch). */
  now() { return Date.now() + this.clockSkew; }

  /**
   * request sends a JSON request and returns the decoded answer (null for
   * 204). It throws ApiError; a request that times out throws a network error
   * because its outcome is unknown.
   */
  async request(method, path, body, opts = {}) {
    const headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeout || TIMEOUT_MS);
    let resp;
    try {
      resp = await fetch(path, {
        method, headers, credentials: 'same-origin', cache: 'no-store', signal: ctl.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, 'network', String(e && e.message || e));
    } finally {
      clearTimeout(timer);
    }
    this.noteDate(resp.headers.get('Date'));
    if (opts.raw && resp.ok) return resp;
    let data = null;
    const text = await resp.text().catch(() => '');
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!resp.ok) {
      const err = data && data.error ? new ApiError(resp.status, data.error.code, data.error.message)
        : new ApiError(resp.status, 'http_' + resp.status, text.slice(0, 200));
      if (resp.status === 401 && this.onUnauthorized && !opts.noAuthHook) this.onUnauthorized(err);
      throw err;
    }
    return resp.status === 204 ? null : data;
  }

  // noteDate keeps the skew between this PC's clock and the server's, so
  // waiting times are right even when the clerk's PC clock is off. The Date
  // header has a resolution of one second, so small skews are ignored.
  noteDate(v) {
    if (!v) return;
    const t = Date.parse(v);
    if (Number.isNaN(t)) return;
    const skew = t - Date.now();
    this.clockSkew = Math.abs(skew) > 2000 ? skew : 0;
  }

  get(path, opts) { return this.request('GET', path, undefined, opts); }
  post(path, body, opts) { return this.request('POST', path, body, opts); }
  put(path, body, opts) { return this.request('PUT', path, body, opts); }
  patch(path, body, opts) { return this.request('PATCH', path, body, opts); }
  del(path, opts) { return this.request('DELETE', path, undefined, opts); }

  /** me returns the signed-in principal, or null when nobody is signed in. */
  async me() {
    try {
      const me = await this.get('/api/v1/me', { noAuthHook: true });
      this.csrf = me.csrf_token || '';
      return me;
    } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  }

  /** login signs in; the answer's token is dropped: the cookie carries the session. */
  async login(username, password) {
    const r = await this.post('/api/v1/login', { username, password }, { noAuthHook: true });
    this.csrf = r.csrf_token || '';
    return { user: r.user, role: r.role, name: r.name, counter_ids: r.counter_ids || [] };
  }

  async logout() {
    try { await this.post('/api/v1/logout', undefined, { noAuthHook: true }); } catch { /* the cookie may be gone already */ }
    this.csrf = '';
  }
}
