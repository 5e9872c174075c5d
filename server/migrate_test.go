package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// hookRecorder is a webhook receiver that refuses deliveries until told
// to accept them, and records every webhook-id it was sent.
type hookRecorder struct {
	mu     sync.Mutex
	accept bool
	tried  []string
	got    []string
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get("webhook-id")
	h.tried = append(h.tried, id)
	if !h.accept {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.got = append(h.got, id)
}

func (h *hookRecorder) snapshot() (accept bool, tried, got []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accept, append([]string(nil), h.tried...), append([]string(nil), h.got...)
}

// jsonDiff names the first place where a and b differ ("" if none).
func jsonDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return path
		}
		for k := range x {
			if d := jsonDiff(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return path + "." + k
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return path + "[len]"
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %v vs %v", path, a, b)
	}
	return ""
}

// getJSON reads an API answer as generic JSON, without the wait
// estimates (eta_*), which move with the clock, and the phone page's
// address (track_url), which is the server's.
func getJSON(t *testing.T, c *client.Client, path string) any {
	t.Helper()
	var out any
	if _, err := c.Do(context.Background(), http.MethodGet, path, nil, &out, nil); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, "eta") || k == "track_url" {
					delete(x, k)
				} else {
					strip(e)
				}
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(out)
	return out
}

// collect subscribes to srv's websocket from (since, epoch) and returns
// the events until one with seq >= until arrived.
func collect(t *testing.T, c *client.Client, since int64, epoch string, until int64) []protocol.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var evs []protocol.Event
	reached := false
	err := c.Subscribe(ctx, client.SubscribeOptions{Since: since, Epoch: epoch}, func(ev protocol.Event) error {
		evs = append(evs, ev)
		if ev.Seq >= until {
			reached = true
			cancel()
		}
		return nil
	})
	if !reached {
		var seqs []string
		for _, ev := range evs {
			seqs = append(seqs, fmt.Sprintf("%d:%s", ev.Seq, ev.Type))
		}
		t.Fatalf("subscribe since %d until %d: %v (got %d events: %v)", since, until, err, len(evs), seqs)
	}
	return evs
}

// TestMigrateSQLiteToPostgres: a demo centre runs on SQLite for a while
// (three days of simulated history, then tickets issued, called,
// finished with a visit record and rated, a booking, a lease, a webhook
// whose deliveries fail, an open disruption, a logged-in clerk); `server
// migrate` copies it into an empty PostgreSQL database; a server on
// PostgreSQL then shows everything through the API: the same board,
// reports, ratings, bookings, devices, audit; numbering goes on without
// reuse; a display resumes with its old seq (the epoch is kept); the
// clerk's password, the clerk's session and the kiosk's token work; the
// lease's tokens are known and its tickets sync; the failed webhook event
// is delivered with its old webhook-id. A second migrate into the
// non-empty database is refused and changes nothing; a migrate from a
// running server gets a new epoch; a missing or damaged source is a clear
// error that leaves the target untouched.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	pg := sharedPostgres(t)
	getenv := func(string) string { return "" }

	hook := &hookRecorder{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()

	dir := t.TempDir()
	backoff := func(int) time.Duration { return 300 * time.Millisecond }
	lite := servertest.Start(t, servertest.Options{Dir: dir, NoRateLimits: true, WebhookBackoff: backoff})
	centre, err := wiring.LoadCentre(config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := lite.App.LoadDemoHistory(ctx, 3, centre); err != nil {
		t.Fatal(err)
	}
	t.Logf("3 days of demo history in %s", time.Since(start).Round(time.Millisecond))
	loc := lite.App.Engine.Location()
	today := queue.Day(time.Now(), loc)
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1)

	admin := lite.Client(lite.AdminToken())
	if _, err := admin.Do(ctx, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": hookSrv.URL + "/hook", "events": []string{"ticket.*"}}, nil, nil); err != nil {
		t.Fatalf("webhook: %v", err)
	}
	days := map[string]protocol.BookingDay{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		days[d] = protocol.BookingDay{Starts: []string{"08:00", "09:00"}, Capacity: 5}
	}
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/bookings/settings/dat-dai", protocol.BookingSettings{ServiceID: "dat-dai", Enabled: true, DaysAhead: 7, Days: days}, nil, nil); err != nil {
		t.Fatalf("booking settings: %v", err)
	}
	slot := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 8, 0, 0, 0, loc)
	booking, err := lite.Client("").Book(ctx, protocol.BookingRequest{ServiceID: "dat-dai", Start: slot, Phone: "0912345678", Lang: "vi"})
	if err != nil {
		t.Fatalf("book: %v", err)
	}
	if _, err := admin.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CauseNetwork, Note: "mất mạng tầng 2"}); err != nil {
		t.Fatalf("disruption: %v", err)
	}

	// One ticket per ID card and day: the card's keyed hash is kept.
	ctr, err := admin.Centre(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	ctr.IDDailyCap = &one
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/centre", ctr, nil, nil); err != nil {
		t.Fatalf("centre: %v", err)
	}
	card := &protocol.IssueIDCard{Number: "001090012345", BirthYear: 1990}

	kioskToken := lite.DeviceToken("kiosk", "Kiosk sảnh")
	kiosk := lite.Client(kioskToken)
	if _, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "xay-dung", Lang: "vi", IDCard: card}, "card-1"); err != nil {
		t.Fatalf("issue with an ID card: %v", err)
	}
	var issued []protocol.Ticket
	for i := range 6 {
		svc := "dat-dai"
		if i%3 == 2 {
			svc = "tu-phap-ho-tich"
		}
		tk, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: svc, Lang: "vi", Priority: i == 4}, fmt.Sprintf("idem-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, tk)
	}
	lease, err := kiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: "dat-dai", Count: 5})
	if err != nil {
		t.Fatalf("lease: %v", err)
	}
	clerkToken := lite.ClerkToken("canbo1")
	clerk := lite.Client(clerkToken)
	served, err := clerk.Next(ctx, "q1")
	if err != nil || served == nil {
		t.Fatalf("next: %v %v", served, err)
	}
	if _, err := clerk.DoneWith(ctx, "q1", protocol.DoneRequest{Outcome: "received", DossierCodes: []string{"000.00.00.H01-261207-0001"}, Note: "đủ hồ sơ"}); err != nil {
		t.Fatalf("done: %v", err)
	}
	var token string
	for _, tk := range issued {
		if tk.ID == served.ID {
			token = tk.Token
		}
	}
	if _, err := lite.Client("").Do(ctx, http.MethodPost, "/api/v1/tickets/"+token+"/rating",
		protocol.RatingRequest{Score: "unsatisfied", Comment: "chờ lâu", Reasons: []string{"long_wait"}}, nil, nil); err != nil {
		t.Fatalf("rating: %v", err)
	}
	if _, err := clerk.Next(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	// The webhook has failed at least once: a pending delivery is stored.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, tried, _ := hook.snapshot(); len(tried) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was never tried")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// What a display saw, and what the API shows, before the switch: from
	// a restarted server, whose engine rebuilt its cache (the wait model
	// learns the imported history only at start) as the PostgreSQL one will.
	lite.Restart()
	board0, err := admin.Board(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seq0, epoch0 := board0.Seq, board0.Epoch
	seen := collect(t, lite.Client(lite.DeviceToken("display", "Màn hình")), seq0-10, epoch0, seq0)
	seq0, _ = lite.App.Engine.Seq()
	// The history's report (today's would move with the open disruption).
	history := fmt.Sprintf("/api/v1/reports?from=%s&to=%s&group_by=service", queue.Day(time.Now().AddDate(0, 0, -5), loc), queue.Day(time.Now().AddDate(0, 0, -1), loc))
	views := []string{"/api/v1/board", "/api/v1/services", "/api/v1/counters", "/api/v1/centre", history,
		"/api/v1/ratings?from=" + today + "&to=" + today, "/api/v1/bookings?day=" + queue.Day(tomorrow, loc), "/api/v1/users",
		"/api/v1/tickets/" + issued[5].Token, "/api/v1/waiting"}
	before := map[string]any{}
	for _, v := range views {
		before[v] = getJSON(t, admin, v)
	}
	devicesBefore := getJSON(t, admin, "/api/v1/devices")
	audit0 := getJSON(t, admin, "/api/v1/audit")
	adminToken := lite.AdminToken()

	// A migrate while the server runs: a snapshot under a new epoch.
	running := pg.Database(t)
	var out, errOut bytes.Buffer
	from := "sqlite://" + filepath.Join(dir, "civiq.db")
	if err := run(ctx, []string{"migrate", "--from", from, "--to", running}, getenv, &out, &errOut); err != nil {
		t.Fatalf("migrate from a running server: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "a server is running") || !strings.Contains(out.String(), "new event epoch") {
		t.Fatalf("migrate from a running server: no warning or kept the epoch:\n%s\n%s", out.String(), errOut.String())
	}

	// The switch: the SQLite server stops, the centre is copied.
	lite.Stop()
	url := pg.Database(t)
	out.Reset()
	errOut.Reset()
	start = time.Now()
	if err := run(ctx, []string{"migrate", "--from", from, "--to", url}, getenv, &out, &errOut); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	t.Logf("migrate took %s:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	for _, want := range []string{"verified", fmt.Sprintf("last event seq %d", seq0), "epoch " + epoch0 + " kept"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("migrate output lacks %q:\n%s", want, out.String())
		}
	}

	// A second migrate into the now non-empty database: refused, nothing
	// changed.
	count := func() (n, last int64) {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM users) + (SELECT count(*) FROM events), (SELECT last FROM event_seq)`).Scan(&n, &last); err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	n1, last1 := count()
	err = run(ctx, []string{"migrate", "--from", from, "--to", url}, getenv, io.Discard, io.Discard)
	if !errors.Is(err, postgres.ErrNotEmpty) {
		t.Fatalf("second migrate: %v, want ErrNotEmpty", err)
	}
	if n2, last2 := count(); n2 != n1 || last2 != last1 {
		t.Fatalf("refused migrate changed the target: %d/%d rows, seq %d/%d", n1, n2, last1, last2)
	}

	// A missing or damaged source: a clear error, the target untouched
	// (no schema created).
	junk := filepath.Join(t.TempDir(), "civiq.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := pg.Database(t)
	for _, c := range []struct{ from, want string }{
		{"sqlite://" + filepath.Join(t.TempDir(), "nothing.db"), "no such file"},
		{"sqlite://" + junk, "not a readable SQLite database"},
	} {
		err := run(ctx, []string{"migrate", "--from", c.from, "--to", fresh}, getenv, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("migrate from %s: %v, want %q", c.from, err, c.want)
		}
	}
	conn, err := pgx.Connect(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("a refused migrate left %d tables (%v)", tables, err)
	}
	conn.Close(ctx)

	// The centre on PostgreSQL.
	_, tried, _ := hook.snapshot()
	pending := tried[len(tried)-1]
	hook.mu.Lock()
	hook.accept = true
	hook.mu.Unlock()
	pgSrv := servertest.Start(t, servertest.Options{DB: url, NoRateLimits: true, WebhookBackoff: backoff})
	pgAdmin := pgSrv.Client(adminToken) // the admin's session came along
	if seq, epoch := pgSrv.App.Engine.Seq(); seq != seq0 || epoch != epoch0 {
		t.Fatalf("PostgreSQL server at seq %d epoch %s, want %d %s", seq, epoch, seq0, epoch0)
	}
	for _, v := range views {
		if got := getJSON(t, pgAdmin, v); !reflect.DeepEqual(got, before[v]) {
			t.Fatalf("%s differs after the migration (SQLite vs PostgreSQL): %s", v, jsonDiff("", before[v], got))
		}
	}
	if got := getJSON(t, pgAdmin, "/api/v1/devices"); !reflect.DeepEqual(got, devicesBefore) {
		t.Fatalf("devices differ: %s", jsonDiff("", devicesBefore, got))
	}
	if got := getJSON(t, pgAdmin, "/api/v1/audit"); !reflect.DeepEqual(got, audit0) {
		t.Fatalf("audit differs: %s", jsonDiff("", audit0, got))
	}

	// A display resumes from the seq it had: the same events, then new
	// ones, no snapshot.
	display := pgSrv.Client(pgSrv.DeviceToken("display", "Màn hình 2"))
	// The audit log goes on after the copied entries.
	after, _ := json.Marshal(getJSON(t, pgAdmin, "/api/v1/audit"))
	if !strings.Contains(string(after), "Màn hình 2") {
		t.Fatalf("the device created on PostgreSQL is not in the audit log: %s", after)
	}
	again := collect(t, display, seen[0].Seq-1, epoch0, seq0)
	if len(again) != len(seen) {
		t.Fatalf("resume on PostgreSQL gave %d events, SQLite gave %d", len(again), len(seen))
	}
	for i := range seen {
		if again[i].Seq != seen[i].Seq || again[i].Type != seen[i].Type || string(again[i].Data) != string(seen[i].Data) || !again[i].At.Equal(seen[i].At) {
			t.Fatalf("event %d differs: %+v vs %+v", i, again[i], seen[i])
		}
	}

	// Logins, the clerk's session and the kiosk's token work; numbering
	// goes on after the last number of the day.
	if _, err := pgSrv.Client("").Login(ctx, "canbo1", servertest.ClerkPassword("canbo1")); err != nil {
		t.Fatalf("clerk login on PostgreSQL: %v", err)
	}
	pgKiosk := pgSrv.Client(kioskToken)
	last := 0
	for _, tk := range issued {
		if tk.ServiceID == "dat-dai" && tk.Number > last {
			last = tk.Number
		}
	}
	next, err := pgKiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dat-dai", Lang: "vi"}, "after-migrate")
	if err != nil {
		t.Fatalf("kiosk issue on PostgreSQL: %v", err)
	}
	if next.Number != last+1 {
		t.Fatalf("first number on PostgreSQL %d, want %d", next.Number, last+1)
	}
	again = collect(t, display, seq0, epoch0, seq0+1)
	if len(again) != 1 || again[0].Seq != seq0+1 || again[0].Type != protocol.EventTicketIssued {
		t.Fatalf("resume after the new ticket: %+v", again)
	}
	// An idempotent retry of a ticket issued on SQLite finds it.
	retry, err := pgKiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: issued[0].ServiceID, Lang: "vi"}, "idem-0")
	if err != nil || retry.ID != issued[0].ID {
		t.Fatalf("retry of a SQLite issue: %v %v", retry.ID, err)
	}
	if _, err := pgSrv.Client(clerkToken).Next(ctx, "q1"); err != nil {
		t.Fatalf("the clerk's session on PostgreSQL: %v", err)
	}

	// The lease's tokens are known (the store secret came along) and its
	// numbers sync.
	var view map[string]any
	code, err := pgSrv.Client("").Do(ctx, http.MethodGet, "/api/v1/tickets/"+lease.Tickets[0].Token, nil, &view, nil)
	if code != http.StatusAccepted {
		t.Fatalf("leased token on PostgreSQL: %d %v, want 202 pending_sync", code, err)
	}
	res, err := pgKiosk.SyncTickets(ctx, []protocol.OfflineTicket{{LeaseID: lease.ID, Number: lease.Tickets[0].Number, Lang: "vi", IssuedAt: time.Now().Add(-time.Minute)}})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if tk, err := pgSrv.Client("").Ticket(ctx, lease.Tickets[0].Token); err != nil || tk.Code != lease.Tickets[0].Code {
		t.Fatalf("synced leased ticket: %+v %v (sync %+v)", tk, err, res)
	}
	// Offline numbers go on after the copied lease too.
	if l2, err := pgKiosk.Lease(ctx, protocol.LeaseRequest{ServiceID: "dat-dai", Count: 5}); err != nil || l2.From != lease.To+1 {
		t.Fatalf("lease on PostgreSQL: %d–%d, %v; want it to start at %d", l2.From, l2.To, err, lease.To+1)
	}
	// The ID card's ticket of today counts on PostgreSQL; the booking's
	// phone hash too.
	if _, err := pgKiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "xay-dung", Lang: "vi", IDCard: card}, "card-2"); err == nil || !strings.Contains(err.Error(), protocol.CodeIDDailyCap) {
		t.Fatalf("second ticket of the ID card, on PostgreSQL: %v, want %s", err, protocol.CodeIDDailyCap)
	}
	if _, err := pgSrv.Client("").Book(ctx, protocol.BookingRequest{ServiceID: "dat-dai", Start: slot.Add(time.Hour), Phone: "0912345678", Lang: "vi"}); err == nil || !strings.Contains(err.Error(), protocol.CodePhoneBooked) {
		t.Fatalf("second booking of the phone, on PostgreSQL: %v, want %s", err, protocol.CodePhoneBooked)
	}
	// The booking checks in by its code tomorrow; today it is known.
	if _, err := pgKiosk.CheckInBooking(ctx, booking.Code, "vi"); err == nil || !strings.Contains(err.Error(), protocol.CodeBookingOtherDay) {
		t.Fatalf("check-in of tomorrow's booking today: %v, want %s", err, protocol.CodeBookingOtherDay)
	}

	// The delivery that failed on SQLite goes out from PostgreSQL with its
	// webhook-id: receivers deduplicate as ever.
	deadline = time.Now().Add(15 * time.Second)
	for {
		_, _, got := hook.snapshot()
		if len(got) > 0 {
			if got[0] != pending {
				t.Fatalf("first delivery from PostgreSQL %s, want the pending %s", got[0], pending)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pending webhook delivery %s never came", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
