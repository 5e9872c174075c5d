// Public live-waits page: renders the embedded view at once, then asks
// /api/v1/waits again every refresh_seconds (the server answers 304 while
// nothing changed). Plain DOM, no framework; text only through textContent.
(function () {
  "use strict";
  var DAYS = { mon: ["T2", "Mon"], tue: ["T3", "Tue"], wed: ["T4", "Wed"], thu: ["T5", "Thu"], fri: ["T6", "Fri"], sat: ["T7", "Sat"], sun: ["CN", "Sun"] };
  var ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var main = document.getElementById("fields");
  var updated = document.getElementById("updated");
  var view = null, etag = "", failures = 0;
  // ?tv=1: a hall TV nobody scrolls. The page turns by itself, a screen
  // at a time, when the fields do not fit.
  var tv = /(^|[?&])tv=1(&|$)/.test(location.search);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function bi(tag, cls, vi, en) { // Vietnamese, then English beneath
    var e = el(tag, cls, vi);
    if (en) { e.appendChild(document.createTextNode(" ")); e.appendChild(el("span", "en", en)); }
    return e;
  }
  function mins(s) { return Math.max(1, Math.round(s / 60)); }
  function bucket(s) {
    if (s === null || s === undefined) return "wn";
    var m = s / 60;
    return m < 10 ? "w0" : m < 20 ? "w1" : m < 30 ? "w2" : m < 45 ? "w3" : "w4";
  }
  function hhmm(iso) {
    var m = /T(\d\d):(\d\d)/.exec(iso || "");
    return m ? m[1] + ":" + m[2] : "";
  }

  // The hours any field has history for: every chart shows the same columns.
  function hourRange(v) {
    var lo = 24, hi = -1;
    v.services.forEach(function (s) {
      ORDER.forEach(function (d) {
        (s.usual_wait[d] || []).forEach(function (x, h) { if (x !== null) { lo = Math.min(lo, h); hi = Math.max(hi, h); } });
      });
    });
    return hi < 0 ? null : [lo, hi];
  }

  function chart(s, range, v) {
    var det = el("details", "heat");
    // Open on tablets, computers and TVs; a tap away on a phone.
    if (tv || (window.matchMedia && window.matchMedia("(min-width: 700px)").matches)) det.open = true;
    det.appendChild(bi("summary", "", "Thời gian chờ thường gặp", "Usual wait by day and hour"));
    if (!range) { det.appendChild(bi("p", "en", "Chưa có đủ dữ liệu.", "Not enough history yet.")); return det; }
    var n = range[1] - range[0] + 1;
    var g = el("div", "grid");
    g.style.gridTemplateColumns = "2.1rem repeat(" + n + ", 1fr)";
    g.setAttribute("role", "img");
    g.setAttribute("aria-label", "Thời gian chờ thường gặp theo giờ · usual wait by hour");
    g.appendChild(el("span", "h", ""));
    for (var h = range[0]; h <= range[1]; h++) g.appendChild(el("span", "h", h + "h"));
    ORDER.forEach(function (d) {
      g.appendChild(el("span", "d" + (d === v.today ? " today" : ""), DAYS[d][0]));
      for (var h = range[0]; h <= range[1]; h++) {
        var x = (s.usual_wait[d] || [])[h];
        var c = el("span", "c " + bucket(x) + (d === v.today && h === v.hour ? " now" : ""), x === null || x === undefined ? "" : String(mins(x)));
        c.title = DAYS[d][0] + " " + h + "h: " + (x === null || x === undefined ? "—" : "~" + mins(x) + " phút · min");
        g.appendChild(c);
      }
    });
    det.appendChild(g);
    return det;
  }

  function card(s, range, v) {
    var sec = el("section", "field" + (s.open ? "" : " closed"));
    var h = el("h3");
    h.appendChild(el("span", "prefix", s.prefix));
    h.appendChild(document.createTextNode(s.name.vi));
    if (s.name.en) h.appendChild(el("span", "en", s.name.en));
    sec.appendChild(h);
    var figs = el("div", "figs");
    var f1 = el("div", "fig");
    f1.appendChild(el("div", "v", String(s.waiting)));
    f1.appendChild(bi("div", "l", "người đang chờ", "waiting now"));
    figs.appendChild(f1);
    var f2 = el("div", "fig");
    var eta = s.eta_new_seconds;
    if (s.open && eta !== undefined && eta !== null) {
      var m = eta < 60 ? 0 : mins(eta), vv;
      if (m < 90) {
        vv = el("div", "v", m === 0 ? "< 1" : "~" + m);
        vv.appendChild(el("span", "u", " phút"));
      } else { // hours, to the half hour, with the Vietnamese decimal comma
        vv = el("div", "v", "~" + String(Math.round(m / 30) / 2).replace(".", ","));
        vv.appendChild(el("span", "u", " giờ"));
      }
      vv.title = m + " phút · min";
      f2.appendChild(vv);
      f2.appendChild(bi("div", "l", "chờ nếu lấy số bây giờ", "wait if you take a ticket now"));
    } else {
      f2.appendChild(el("div", "v", "—"));
      f2.appendChild(bi("div", "l", "chưa ước tính được", "no estimate now"));
    }
    figs.appendChild(f2);
    sec.appendChild(figs);
    if (s.open) sec.appendChild(bi("p", "state", "● Đang nhận số", "Open"));
    else sec.appendChild(bi("p", "state", "● " + (s.closed ? s.closed.vi : "Tạm đóng"), s.closed ? s.closed.en : "Closed"));
    sec.appendChild(chart(s, range, v));
    return sec;
  }

  function legend() {
    var l = el("div", "legend");
    [["w0", "< 10"], ["w1", "10–20"], ["w2", "20–30"], ["w3", "30–45"], ["w4", "≥ 45"]].forEach(function (b) {
      var s = el("span"); s.appendChild(el("i", b[0])); s.appendChild(document.createTextNode(b[1] + " phút · min")); l.appendChild(s);
    });
    var s = el("span"); s.appendChild(el("i", "wn")); s.appendChild(document.createTextNode("chưa đủ dữ liệu · no data")); l.appendChild(s);
    return l;
  }

  function render(v) {
    view = v;
    var range = hourRange(v);
    var frag = document.createDocumentFragment();
    v.services.forEach(function (s) { frag.appendChild(card(s, range, v)); });
    if (!v.services.length) frag.appendChild(bi("p", "none", "Chưa có lĩnh vực nào.", "No fields yet."));
    main.textContent = "";
    main.appendChild(frag);
    var old = document.querySelector(".legend");
    if (old) old.remove();
    if (range) main.parentNode.insertBefore(legend(), main.nextSibling);
    var t = hhmm(v.generated_at);
    updated.textContent = "Cập nhật " + t + " ";
    updated.appendChild(el("span", "en", "Updated " + t));
    document.body.classList.toggle("is-stale", false);
    var st = document.querySelector(".stale");
    if (st) st.remove();
  }

  function stale() {
    if (document.querySelector(".stale")) return;
    var b = bi("div", "stale", "Không cập nhật được — số liệu có thể đã cũ.", "Cannot update — figures may be out of date.");
    main.parentNode.insertBefore(b, main);
  }

  function poll() {
    var every = ((view && view.refresh_seconds) || 20) * 1000;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch("/api/v1/waits", { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) { failures = 0; return null; }
      if (r.status === 429) {
        var ra = parseInt(r.headers.get("Retry-After") || "30", 10);
        every = Math.max(every, ra * 1000);
        return null;
      }
      if (!r.ok) throw new Error("HTTP " + r.status);
      etag = r.headers.get("ETag") || "";
      return r.json();
    }).then(function (v) {
      failures = 0;
      if (v) render(v);
    }).catch(function () {
      if (++failures >= 2) stale();
    }).then(function () {
      setTimeout(poll, every + Math.floor(Math.random() * 3000)); // spread a crowd of phones
    });
  }

  function turnPages() {
    var h = window.innerHeight, max = document.documentElement.scrollHeight - h;
    if (max > 8) {
      var next = window.scrollY + h - 80; // keep a strip of the last screen for context
      window.scrollTo({ top: window.scrollY >= max - 4 ? 0 : Math.min(next, max), behavior: "smooth" });
    }
    setTimeout(turnPages, 12000);
  }
  if (tv) {
    document.body.classList.add("tv");
    setTimeout(turnPages, 12000);
  }

  try {
    render(JSON.parse(document.getElementById("waits-data").textContent));
  } catch (e) { /* the server-rendered list stays */ }
  setTimeout(poll, ((view && view.refresh_seconds) || 20) * 1000);
})();
