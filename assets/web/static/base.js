// base.js: a page served under a centre's path prefix (/c/{centre}/, one
// centre of a province: docs/API.md "Centres") reaches that centre's API.
// The server loads it before the page's modules, with
// <meta name="civiq-base" content="/c/{centre}">, only under a prefix; the
// pages keep writing "/api/v1/…", "/ws", "/healthz", and this prefixes
// every same-origin request and websocket of theirs, except the shared
// /static/ files. window.CIVIQ_BASE is the prefix ('' without one), for
// the few links the pages build themselves.
(function () {
  'use strict';
  var m = document.querySelector('meta[name="civiq-base"]');
  var base = m ? m.getAttribute('content') : '';
  window.CIVIQ_BASE = base;
  if (!base) return;
  function scoped(path) {
    return path.charAt(0) === '/' && path.charAt(1) !== '/' &&
      path.indexOf('/static/') !== 0 && path !== base && path.indexOf(base + '/') !== 0;
  }
  function fix(u) {
    if (typeof u === 'string' && scoped(u)) return base + u;
    if (typeof u === 'string' && /^(wss?|https?):\/\//.test(u)) {
      var x = new URL(u);
      if (x.host === location.host && scoped(x.pathname)) {
        x.pathname = base + x.pathname;
        return x.toString();
      }
    }
    return u;
  }
  window.CIVIQ_URL = fix;
  var f = window.fetch;
  window.fetch = function (u, o) { return f.call(this, fix(u), o); };
  var W = window.WebSocket;
  window.WebSocket = class extends W {
    constructor(u, p) { if (p === undefined) super(fix(u)); else super(fix(u), p); }
  };
})();
