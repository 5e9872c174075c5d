package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// The public live-waits page (/waits) and its JSON (/api/v1/waits) are
// read by anyone, possibly by thousands of phones at once when a centre
// puts its address on a poster. Neither is computed per request: both are
// rendered together at most once per Options.WaitsRefresh into byte slices
// with a content ETag, and every request in between gets those bytes (or a
// 304). Each client address is rate-limited on its own budget.

const (
	// waitsHistoryDays is how far back the usual waits look: twelve of
	// each weekday, enough for a median per hour, recent enough to follow
	// a change of staffing.
	waitsHistoryDays = 84
	// waitsHistoryEvery is how often the history is read again during a
	// day (yesterday's tickets are in it from the first request of today);
	// waitsHistoryEmptyEvery while it has no usual wait yet (a history
	// being imported, a new centre).
	waitsHistoryEvery      = 10 * time.Minute
	waitsHistoryEmptyEvery = 30 * time.Second
	// waitsPollSeconds is how often the page asks for the JSON again.
	waitsPollSeconds = 20
	// waitsBookURL is the booking page the live-waits page links to.
	waitsBookURL = "/book"
)

// closedWords say in plain words why a field takes no ticket now.
var closedWords = map[string]protocol.Text{
	protocol.ClosedOutsideHours: {Vi: "Ngoài giờ làm việc", En: "Outside opening hours"},
	protocol.ClosedDailyCap:     {Vi: "Đã hết số thứ tự hôm nay", En: "No more tickets today"},
	protocol.ClosedDisabled:     {Vi: "Tạm ngừng tiếp nhận", En: "Not taking tickets for now"},
	protocol.ClosedNoCounter:    {Vi: "Chưa có quầy phục vụ", En: "No counter is serving it now"},
}

// waitsSnap is one rendering of the view: the JSON and the page.
type waitsSnap struct {
	built time.Time // wall clock, for the cache's age
	json  waitsBody
	page  waitsBody
}

// waitsBody is one document in its two encodings, each with its ETag:
// browsers all take gzip, which makes the answer a fifth of its size for
// phones on mobile data, and is compressed once per rendering, not per
// request.
type waitsBody struct {
	plain, gz       []byte
	plainTag, gzTag string
}

func newWaitsBody(b []byte) (waitsBody, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return waitsBody{}, err
	}
	if _, err := zw.Write(b); err != nil {
		return waitsBody{}, err
	}
	if err := zw.Close(); err != nil {
		return waitsBody{}, err
	}
	tag := etagOf(b)
	return waitsBody{plain: b, gz: buf.Bytes(), plainTag: tag, gzTag: tag[:len(tag)-1] + `-gz"`}, nil
}

// waitsCache holds the current rendering and the usual waits.
type waitsCache struct {
	cur atomic.Pointer[waitsSnap]
	// mu serialises rebuilds and guards the fields below.
	mu        sync.Mutex
	usual     map[string]*report.UsualWait
	usualFrom string
	usualTo   string
	usualAt   time.Time
}

// WaitSampler is what the usual waits need from storage (store.Reports).
type WaitSampler interface {
	WaitSamples(ctx context.Context, fromDay, toDay string) ([]report.WaitSample, error)
}

// SetWaitHistory gives the live-waits page the ticket history its usual
// waits come from; without one the page shows none. Call it once, before
// serving.
func (s *Server) SetWaitHistory(h WaitSampler) { s.waitHistory = h }

// waitsRender returns a rendering at most WaitsRefresh old. While one
// request renders, the others are served the previous rendering.
func (s *Server) waitsRender(ctx context.Context) (*waitsSnap, error) {
	c := &s.waits
	if snap := c.cur.Load(); snap != nil && time.Since(snap.built) < s.opts.WaitsRefresh {
		return snap, nil
	}
	if !c.mu.TryLock() {
		if snap := c.cur.Load(); snap != nil {
			return snap, nil
		}
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	if snap := c.cur.Load(); snap != nil && time.Since(snap.built) < s.opts.WaitsRefresh {
		return snap, nil // rendered while this request waited for the lock
	}
	// The rendering is shared: a client that leaves must not cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	snap, err := s.waitsBuild(ctx)
	if err != nil {
		return nil, err
	}
	c.cur.Store(snap)
	return snap, nil
}

// waitsBuild computes the view and renders it. c.mu is held.
func (s *Server) waitsBuild(ctx context.Context) (*waitsSnap, error) {
	loc := s.engine.Location()
	now := s.clock.Now().In(loc)
	s.waitsUsual(ctx, now, loc)
	c := &s.waits
	centre := s.engine.Centre()
	v := protocol.Waits{
		Centre:         protocol.WaitsCentre{Name: centre.Name, TimeZone: loc.String()},
		GeneratedAt:    now,
		Today:          protocol.Weekdays[(int(now.Weekday())+6)%7],
		Hour:           now.Hour(),
		RefreshSeconds: waitsPollSeconds,
		BookURL:        s.opts.BasePath + waitsBookURL,
		History:        protocol.WaitsHistory{From: c.usualFrom, To: c.usualTo, MinTickets: report.UsualMinSamples},
		Services:       []protocol.WaitsService{},
	}
	for _, sv := range s.engine.ServicesWithETA() {
		ws := protocol.WaitsService{ID: sv.ID, Prefix: sv.Prefix, Name: sv.Name, Group: sv.Group,
			Open: sv.Open, ClosedReason: sv.ClosedReason, Waiting: sv.Waiting, ETANewSeconds: sv.ETANewSeconds}
		if !sv.Open {
			words, ok := closedWords[sv.ClosedReason]
			if !ok {
				words = protocol.Text{Vi: "Tạm đóng", En: "Closed for now"}
			}
			ws.Closed = &words
		}
		u := c.usual[sv.ID]
		for d := range protocol.Weekdays {
			hours := make([]*int, 24)
			if u != nil {
				copy(hours, u[d][:])
			}
			*ws.UsualWait.Day(d) = hours
		}
		v.Services = append(v.Services, ws)
	}
	js, err := json.Marshal(v) // escapes <, > and &: safe inside the page's script element too
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := waitsPage.Execute(&page, waitsPageData{Waits: v, JSON: template.JS(js)}); err != nil {
		return nil, err
	}
	jb, err := newWaitsBody(js)
	if err != nil {
		return nil, err
	}
	pageBytes := page.Bytes()
	if s.opts.BasePath != "" {
		pageBytes = basePage(pageBytes, s.opts.BasePath)
	}
	pb, err := newWaitsBody(pageBytes)
	if err != nil {
		return nil, err
	}
	return &waitsSnap{built: time.Now(), json: jb, page: pb}, nil
}

// waitsUsual reads the history again when the day changed or an hour has
// passed. A failure keeps the previous usual waits (the live figures
// matter more) and is logged. c.mu is held.
func (s *Server) waitsUsual(ctx context.Context, now time.Time, loc *time.Location) {
	c := &s.waits
	if s.waitHistory == nil {
		return
	}
	today := queue.Day(now, loc)
	to := queue.Day(time.Date(now.Year(), now.Month(), now.Day()-1, 12, 0, 0, 0, loc), loc)
	every := waitsHistoryEvery
	if len(c.usual) == 0 {
		every = waitsHistoryEmptyEvery
	}
	if c.usualTo == to && now.Sub(c.usualAt) < every && now.Sub(c.usualAt) >= 0 {
		return
	}
	from := queue.Day(time.Date(now.Year(), now.Month(), now.Day()-waitsHistoryDays, 12, 0, 0, 0, loc), loc)
	samples, err := s.waitHistory.WaitSamples(ctx, from, to)
	if err != nil {
		s.log.Warn("live waits: reading the history failed; keeping the previous usual waits", "err", err, "today", today)
		return
	}
	c.usual, c.usualFrom, c.usualTo, c.usualAt = report.UsualWaits(samples, loc), from, to, now
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// waitsLimited answers 429 with Retry-After when the client's address has
// spent its budget; the page gets a short bilingual text, the API the
// JSON error.
func (s *Server) waitsLimited(w http.ResponseWriter, r *http.Request, page bool) bool {
	ok, wait := s.waitsLim.take(clientIP(r, s.opts.TrustProxy))
	if ok {
		return false
	}
	if !page {
		writeError(w, tooMany(wait, "too many requests from this address; try again in %s s", retryAfter(wait)))
		return true
	}
	w.Header().Set("Retry-After", retryAfter(wait))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("Quá nhiều yêu cầu từ địa chỉ này, vui lòng thử lại sau " + retryAfter(wait) + " giây.\nToo many requests from this address; please try again in " + retryAfter(wait) + " s.\n"))
	return true
}

// serveWaits writes the body (gzip when the client takes it), or 304
// when the client has it.
func serveWaits(w http.ResponseWriter, r *http.Request, body waitsBody, contentType string) {
	h := w.Header()
	b, tag := body.plain, body.plainTag
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		b, tag = body.gz, body.gzTag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", contentType)
	// Shared caches (a proxy in front) may keep it as long as the server does.
	h.Set("Cache-Control", "public, max-age=2")
	h.Set("ETag", tag)
	h.Set("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b)
}

// getWaits serves GET /api/v1/waits: public, no credentials looked at.
func (s *Server) getWaits(w http.ResponseWriter, r *http.Request) {
	if s.waitsLimited(w, r, false) {
		return
	}
	snap, err := s.waitsRender(r.Context())
	if err != nil {
		s.log.Error("live waits failed", "err", err)
		writeError(w, s.storageError(err))
		return
	}
	serveWaits(w, r, snap.json, "application/json; charset=utf-8")
}

// waitsPageHandler serves GET /waits.
func (s *Server) waitsPageHandler(w http.ResponseWriter, r *http.Request) {
	if s.waitsLimited(w, r, true) {
		return
	}
	snap, err := s.waitsRender(r.Context())
	if err != nil {
		s.log.Error("live waits failed", "err", err)
		writeError(w, s.storageError(err))
		return
	}
	serveWaits(w, r, snap.page, "text/html; charset=utf-8")
}

type waitsPageData struct {
	protocol.Waits
	JSON template.JS
}

// minutes is a wait in whole minutes for the page without script.
func minutes(p *int) int {
	if p == nil {
		return 0
	}
	return (*p + 59) / 60
}

var waitsPage = template.Must(template.New("waits").Funcs(template.FuncMap{"minutes": minutes}).Parse(`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thời gian chờ · Waiting times — {{.Centre.Name.Vi}}</title>
<link rel="stylesheet" href="/static/waits/waits.css">
<noscript><meta http-equiv="refresh" content="{{.RefreshSeconds}}"></noscript>
</head>
<body>
<header class="top">
  <div class="centre">
    <h1>{{.Centre.Name.Vi}}</h1>
    {{with .Centre.Name.En}}<p class="en">{{.}}</p>{{end}}
  </div>
  <div class="title">
    <h2>Thời gian chờ hiện nay <span class="en">Waiting times now</span></h2>
    <p class="updated" id="updated">Cập nhật {{.GeneratedAt.Format "15:04"}} <span class="en">Updated {{.GeneratedAt.Format "15:04"}}</span></p>
  </div>
  <a class="book" href="{{.BookURL}}">Đặt lịch hẹn <span class="en">Book a time</span></a>
</header>
<main id="fields" aria-live="polite">
{{range .Services}}<section class="field{{if not .Open}} closed{{end}}">
  <h3>{{.Prefix}} · {{.Name.Vi}}{{with .Name.En}} <span class="en">{{.}}</span>{{end}}</h3>
  <p>{{if .Open}}Đang mở · Open{{else}}{{.Closed.Vi}} · {{.Closed.En}}{{end}} — {{.Waiting}} người đang chờ · waiting{{with .ETANewSeconds}} — khoảng {{minutes .}} phút · about {{minutes .}} min{{end}}</p>
</section>
{{else}}<p class="none">Chưa có lĩnh vực nào. <span class="en">No fields yet.</span></p>
{{end}}</main>
<footer>
  <p>Thời gian chờ dự kiến tính cho người lấy số ngay bây giờ. Biểu đồ: thời gian chờ thường gặp theo giờ lấy số và ngày trong tuần, từ {{.History.From}} đến {{.History.To}}.</p>
  <p class="en">The expected wait is for someone who takes a ticket now. Charts: the usual wait by hour of the ticket and day of the week, {{.History.From}} to {{.History.To}}.</p>
</footer>
<script type="application/json" id="waits-data">{{.JSON}}</script>
<script src="/static/waits/waits.js"></script>
</body>
</html>
`))

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// etagMatch reports whether an If-None-Match header names tag ("*", a
// list, weak validators compared weakly as RFC 9110 says for GET).
func etagMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
