package wiring_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// logRec keeps the records of a logger at Warn and above.
type logRec struct {
	mu   sync.Mutex
	recs []string
}

func (l *logRec) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRec) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logRec) WithAttrs(as []slog.Attr) slog.Handler { return &logAttrs{l, as} }
func (l *logRec) WithGroup(string) slog.Handler         { return l }

func (l *logRec) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.recs...)
}

type logAttrs struct {
	*logRec
	as []slog.Attr
}

func (l *logAttrs) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(l.as...)
	return l.logRec.Handle(ctx, r)
}
func (l *logAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &logAttrs{l.logRec, append(append([]slog.Attr(nil), l.as...), as...)}
}

// TestProvinceDeleteUnderOtherInstance: a centre deleted by one instance
// while another still serves it (it has not read the registry since the
// centre was taken out of service): the other instance's requests fail
// without a panic, and at its next read of the registry it closes the
// centre, its websocket clients are disconnected and get 404, and every
// goroutine and database connection of that centre ends, with no more
// than a few warnings; the same id created again is served anew (empty,
// A001) by both, also by an instance that still ran the old one; an
// instance deleting a centre it still serves stops at once.
func TestProvinceDeleteUnderOtherInstance(t *testing.T) {
	ctx := context.Background()
	// Polls of an hour: each instance reads the registry when the test
	// says (Sync), so the other one still serves the centre when it goes.
	cfg, opts := provinceSetup(t)
	url := cfg.DB
	open := func(log *slog.Logger) *wiring.Province { return openProvince(t, cfg, opts, log) }
	logs2 := &logRec{}
	p1 := open(slog.New(slog.DiscardHandler))
	defer p1.Close()
	p2 := open(slog.New(logs2))
	defer p2.Close()
	ts2 := httptest.NewServer(p2.Handler())
	defer ts2.Close()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	conns := func(schema string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, postgres.ApplicationName(schema)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tok, _, _, err := p2.Service.Login(ctx, "province", "province-pw-123")
	if err != nil {
		t.Fatal(err)
	}
	// Whatever runs before the centre exists; what it starts must end.
	baseline := goleak.IgnoreCurrent()

	setup := func(p *wiring.Province, id string, tickets int) {
		t.Helper()
		e := p.App(id).Engine
		if _, err := e.PutCentre(ctx, protocol.Centre{Name: protocol.Text{Vi: "Xã " + id}, TimeZone: "Asia/Ho_Chi_Minh", ReadNumbers: protocol.ReadAsNumber, Hours: enginetest.AllDay()}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutService(ctx, protocol.Service{ID: "ho-tich", Prefix: "A", Name: protocol.Text{Vi: "Hộ tịch"}, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.PutCounter(ctx, protocol.Counter{ID: "q1", Number: 1, Name: protocol.Text{Vi: "Quầy 1"}, ServiceIDs: []string{"ho-tich"}, Status: protocol.CounterOpen}); err != nil {
			t.Fatal(err)
		}
		for range tickets {
			if _, err := e.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "ho-tich"}, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := province.Centre{ID: "xa-xoa", Name: "Xã Xóa", TimeZone: "Asia/Ho_Chi_Minh", Created: time.Now()}
	if _, err := p1.CreateCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	setup(p1, c.ID, 3)
	if err := p2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if p2.App(c.ID) == nil {
		t.Fatal("instance 2 does not serve the new centre")
	}

	// A display on instance 2.
	wctx, wcancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var ups, downs int
	var lastErr error
	subDone := make(chan struct{})
	sub, err := client.New(ts2.URL+"/c/"+c.ID, tok)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(subDone)
		sub.Subscribe(wctx, client.SubscribeOptions{MaxBackoff: 100 * time.Millisecond, OnState: func(up bool, err error) {
			mu.Lock()
			defer mu.Unlock()
			if up {
				ups++
			} else {
				downs++
				lastErr = err
			}
		}}, func(protocol.Event) error { return nil })
	}()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			done := ok()
			mu.Unlock()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s (ups %d, downs %d, last error %v)", what, ups, downs, lastErr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the display's websocket", func() bool { return ups == 1 })

	// In service: refused, nothing dropped.
	if err := p1.DeleteCentre(ctx, c.ID, "test"); queue.CodeOf(err) != protocol.CodeConflict {
		t.Fatalf("deleting a centre in service: %v", err)
	}
	off := true
	if _, err := p1.UpdateCentre(ctx, c.ID, nil, &off); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := p1.DeleteCentre(ctx, c.ID, "test"); err != nil {
		t.Fatal(err)
	}
	t.Logf("deleted under instance 2 in %v", time.Since(began).Round(time.Millisecond))
	var schemas int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'centre_xa_xoa'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Fatalf("the schema after the deletion: %d %v", schemas, err)
	}

	// Instance 2 has not read the registry: its centre's tables are gone
	// under it. Requests fail cleanly (no panic), the display stays.
	if p2.App(c.ID) == nil {
		t.Fatal("instance 2 read the registry on its own")
	}
	code, _ := sub.Do(ctx, "POST", "/api/v1/tickets", protocol.IssueRequest{ServiceID: "ho-tich"}, nil, nil)
	if code < 500 {
		t.Fatalf("issuing in a deleted centre's App: %d", code)
	}
	time.Sleep(1500 * time.Millisecond) // its event reader's poll runs on the missing table
	if err := p2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if p2.App(c.ID) != nil {
		t.Fatal("instance 2 still serves the deleted centre")
	}
	waitFor("the display's websocket closed and refused with 404", func() bool {
		return downs >= 2 && lastErr != nil && strings.Contains(lastErr.Error(), "404")
	})
	if code, _ := sub.Do(ctx, "GET", "/api/v1/board", nil, nil, nil); code != 404 {
		t.Fatalf("the deleted centre on instance 2: %d, want 404", code)
	}
	wcancel()
	<-subDone
	ts2.CloseClientConnections()
	http.DefaultClient.CloseIdleConnections()
	// The event readers of the centres still served start a waiter per
	// wait (a new goroutine each time); their readers are in the baseline.
	began = time.Now()
	if err := goleak.Find(baseline, goleak.IgnoreTopFunction("github.com/civiq/civiq/server/internal/store/postgres.(*Store).listen.func3")); err != nil {
		t.Fatalf("goroutines of the deleted centre left: %v", err)
	}
	t.Logf("goroutines checked in %v", time.Since(began).Round(time.Millisecond))
	if n := conns("centre_xa_xoa"); n != 0 {
		t.Fatalf("%d connections of the deleted centre left", n)
	}
	var panics, warns []string
	for _, r := range logs2.all() {
		if strings.Contains(strings.ToLower(r), "panic") {
			panics = append(panics, r)
		}
		warns = append(warns, r)
	}
	t.Logf("instance 2's warnings around the deletion: %d %q", len(warns), warns)
	if len(panics) > 0 || len(warns) > 5 {
		t.Fatalf("instance 2 logged %d warnings (panics: %q): %q", len(warns), panics, warns)
	}

	// The id is free: created again on instance 1, empty, numbering at
	// A001; instance 2 serves the new one.
	c.Created = time.Now()
	if _, err := p1.CreateCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	setup(p1, c.ID, 1)
	if b := p1.App(c.ID).Engine.Board(); b.Waiting["ho-tich"] != 1 {
		t.Fatalf("the new centre's board: %+v", b.Waiting)
	}
	tk, err := p1.App(c.ID).Engine.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "ho-tich"}, "")
	if err != nil || tk.Ticket.Code != "A002" {
		t.Fatalf("the new centre's second ticket: %+v %v", tk, err)
	}
	if err := p2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	old := p2.App(c.ID)
	if old == nil || old.Engine.Board().Waiting["ho-tich"] != 2 {
		t.Fatalf("instance 2 does not serve the new centre: %v", old)
	}

	// Deleted and created again before instance 2 reads the registry:
	// it drops the old one and serves the new one.
	if _, err := p1.UpdateCentre(ctx, c.ID, nil, &off); err != nil {
		t.Fatal(err)
	}
	if err := p1.DeleteCentre(ctx, c.ID, "test"); err != nil {
		t.Fatal(err)
	}
	c.Created = time.Now()
	if _, err := p1.CreateCentre(ctx, c); err != nil {
		t.Fatal(err)
	}
	setup(p1, c.ID, 1)
	if err := p2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	now := p2.App(c.ID)
	if now == nil || now == old || now.Engine.Board().Waiting["ho-tich"] != 1 || now.Store.Epoch() == old.Store.Epoch() {
		t.Fatalf("instance 2 after the centre was created again: %v (old %v)", now, old)
	}
	if n := conns("centre_xa_xoa"); n == 0 {
		t.Fatal("no connection of the new centre: application_name not set")
	}

	// Taken out of service on instance 2 and deleted on instance 1,
	// which has not read the registry since and still serves it: it
	// stops serving it at once.
	if _, err := p2.UpdateCentre(ctx, c.ID, nil, &off); err != nil {
		t.Fatal(err)
	}
	if p1.App(c.ID) == nil {
		t.Fatal("instance 1 read the registry on its own")
	}
	if err := p1.DeleteCentre(ctx, c.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if p1.App(c.ID) != nil {
		t.Fatal("instance 1 still serves the centre it deleted")
	}
	for _, cc := range p1.Centres() {
		if cc.ID == c.ID {
			t.Fatalf("instance 1 still lists the centre it deleted: %+v", cc.Centre)
		}
	}
}
