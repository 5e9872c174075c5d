package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/config"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/wiring"
	"github.com/civiq/civiq/server/protocol"
)

// server is one instance of the whole server on the test database.
type server struct {
	app *wiring.App
	srv *httptest.Server
}

// startServers starts n server instances on the database at url, one
// after the other (the first bootstraps it), closed when the test ends.
func startServers(t *testing.T, url string, n int) []server {
	t.Helper()
	var out []server
	for range n {
		cfg := config.Config{DataDir: t.TempDir(), DB: url, AdminPassword: "mat-khau-thu-1", EventRetention: 24 * time.Hour}
		a, err := wiring.Open(context.Background(), cfg, slog.New(slog.DiscardHandler), wiring.Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		s := server{a, httptest.NewServer(a.Handler())}
		t.Cleanup(func() {
			s.srv.Close()
			if err := s.app.Close(); err != nil {
				t.Error(err)
			}
		})
		out = append(out, s)
	}
	return out
}

// TestPairingAcrossInstances: a pairing code made through instance 1 (the
// admin page's) is redeemed through instance 2 (the kiosk's), once: the
// device's token works on both, and the code is refused afterwards on
// either.
func TestPairingAcrossInstances(t *testing.T) {
	ctx := context.Background()
	ss := startServers(t, srv.Database(t), 2)
	c1, err := client.New(ss[0].srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	login, err := c1.Login(ctx, "admin", "mat-khau-thu-1")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(ss[0].srv.URL, login.Token)
	if err != nil {
		t.Fatal(err)
	}
	var pc protocol.PairingCode
	if _, err := admin.Do(ctx, http.MethodPost, "/api/v1/devices/pairing", protocol.DeviceRequest{Kind: protocol.RoleDisplay, Name: "Màn hình sảnh"}, &pc, nil); err != nil {
		t.Fatal(err)
	}
	kiosk2, err := client.New(ss[1].srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := kiosk2.Pair(ctx, pc.Code[:4]+" "+pc.Code[4:])
	if err != nil {
		t.Fatalf("code made on instance 1, redeemed on instance 2: %v", err)
	}
	if d.Token == "" || d.Kind != protocol.RoleDisplay || d.Name != "Màn hình sảnh" {
		t.Fatalf("paired device %+v", d)
	}
	for i, s := range ss {
		if _, err := kiosk2.Pair(ctx, pc.Code); !client.IsCode(err, protocol.CodeUnauthorized) {
			t.Fatalf("second use on instance %d: %v, want 401", i+1, err)
		}
		dc, err := client.New(s.srv.URL, d.Token)
		if err != nil {
			t.Fatal(err)
		}
		if err := dc.Heartbeat(ctx, protocol.DeviceStatus{}); err != nil {
			t.Fatalf("the paired display's token on instance %d: %v", i+1, err)
		}
		kiosk2, _ = client.New(ss[(i+1)%len(ss)].srv.URL, "")
	}
}

// TestConsolePresenceAcrossInstances: instance 2 starts while a clerk
// console is attached to q1 on instance 1: after the grace it closes the
// counters nobody staffs (q2…q4), not q1. Consoles coming back to q2 and
// q3 through instance 1 get their status back. When q1's console goes, q1
// is closed one grace after it was last seen, once (one event), though
// both instances look for it.
func TestConsolePresenceAcrossInstances(t *testing.T) {
	ctx := context.Background()
	in := startInstances(t, 1, postgres.Options{MaxConns: 8}, nil)
	url, clk, ss, es := in.url, in.clk, in.stores, in.engines
	s1, e1 := ss[0], es[0]
	release := e1.Attach(ctx, "q1")
	if _, err := e1.SetCounterStatus(ctx, "q3", protocol.CounterPaused); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, url)
	defer s2.Close()
	e2 := startEngine(t, s2, clk) // every open counter unstaffed as far as it knows
	engines := []*queue.Engine{e1, e2}
	status := func(e *queue.Engine, id string) string {
		cs, err := e.Counter(id)
		if err != nil {
			t.Fatal(err)
		}
		return cs.Counter.Status
	}
	closeUnstaffed := func() {
		t.Helper()
		var wg sync.WaitGroup
		for _, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.CloseUnstaffed(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		converge(t, engines)
	}
	clk.Add(queue.DefaultStaffGrace + time.Second)
	closeUnstaffed()
	for _, e := range engines {
		if st := status(e, "q1"); st != protocol.CounterOpen {
			t.Fatalf("q1, staffed on instance 1, is %s after instance 2's grace; want open", st)
		}
		for _, id := range []string{"q2", "q3", "q4"} {
			if st := status(e, id); st != protocol.CounterClosed {
				t.Fatalf("%s, staffed nowhere, is %s; want closed", id, st)
			}
		}
	}
	// Consoles come back to q2 and q3 through instance 1, which did not
	// close them: they get their status back (q3 was paused).
	for id, want := range map[string]string{"q2": protocol.CounterOpen, "q3": protocol.CounterPaused} {
		defer e1.Attach(ctx, id)()
		converge(t, engines)
		for i, e := range engines {
			if st := status(e, id); st != want {
				t.Fatalf("%s on instance %d is %s after its console came back through instance 1; want %s", id, i+1, st, want)
			}
		}
	}
	// The console leaves instance 1.
	start, _ := e1.Seq()
	release()
	if err := e1.SharePresence(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Add(queue.DefaultStaffGrace / 2)
	closeUnstaffed()
	if st := status(e2, "q1"); st != protocol.CounterOpen {
		t.Fatalf("q1 closed %s after its console left; want open until the grace", queue.DefaultStaffGrace/2)
	}
	clk.Add(queue.DefaultStaffGrace/2 + time.Second)
	closeUnstaffed()
	for i, e := range engines {
		if st := status(e, "q1"); st != protocol.CounterClosed {
			t.Fatalf("q1 on instance %d is %s a grace after its console left; want closed", i+1, st)
		}
	}
	evs, err := s1.Events(ctx, start, 100)
	if err != nil {
		t.Fatal(err)
	}
	closes := 0
	for _, ev := range evs {
		var c protocol.Counter
		if ev.Type == protocol.EventCounterUpdated && json.Unmarshal(ev.Data, &c) == nil && c.ID == "q1" && c.Status == protocol.CounterClosed {
			closes++
		}
	}
	if closes != 1 {
		t.Fatalf("q1 closed by %d events, want 1", closes)
	}
}

// TestPresenceRunsOut: a store's presence is seen by the others until its
// time to live runs out (an instance that died), and goes at once when it
// says it has no console.
func TestPresenceRunsOut(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s1, s2 := open(t, url), open(t, url)
	defer s1.Close()
	defer s2.Close()
	elsewhere := func(s interface {
		StaffedElsewhere(context.Context) (map[string]bool, error)
	}) map[string]bool {
		m, err := s.StaffedElsewhere(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if err := s1.SharePresence(ctx, []string{"q1", "q2"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if m := elsewhere(s2); !m["q1"] || !m["q2"] || len(m) != 2 {
		t.Fatalf("instance 2 sees %v, want q1 and q2", m)
	}
	if m := elsewhere(s1); len(m) != 0 {
		t.Fatalf("instance 1 sees its own presence as elsewhere: %v", m)
	}
	if err := s1.SharePresence(ctx, []string{"q2"}, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if m := elsewhere(s2); m["q1"] || !m["q2"] {
		t.Fatalf("after q1's console left instance 1, instance 2 sees %v", m)
	}
	time.Sleep(400 * time.Millisecond)
	if m := elsewhere(s2); len(m) != 0 {
		t.Fatalf("a presence that ran out is still seen: %v", m)
	}
}

// TestHousekeepingAcrossInstances: at the day's turn every instance runs
// the housekeeping, three at once and repeatedly: each of yesterday's
// open tickets is cancelled once (one event), each counter's served count
// is reset once, and every instance ends with the same board; also when
// no ticket is left open (nothing else orders the instances then).
func TestHousekeepingAcrossInstances(t *testing.T) {
	t.Run("tickets left open", func(t *testing.T) { testHousekeeping(t, 12) })
	t.Run("every ticket done", func(t *testing.T) { testHousekeeping(t, 3) })
}

func testHousekeeping(t *testing.T, tickets int) {
	ctx := context.Background()
	in := startInstances(t, 3, postgres.Options{MaxConns: 8}, nil)
	clk, stores, engines := in.clk, in.stores, in.engines
	converge(t, engines)
	for i := range tickets {
		if _, err := engines[i%3].Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[i%3]}, ""); err != nil {
			t.Fatal(err)
		}
	}
	served := map[string]bool{}
	want := 0 // tickets to cancel
	if tickets > 3 {
		// Three served and done, three left called at their counters,
		// the others waiting.
		for i, q := range []string{"q1", "q2", "q3"} {
			tk, err := engines[i].Next(ctx, q, "clerk")
			if err != nil || tk == nil {
				t.Fatalf("next at %s: %v, %v", q, tk, err)
			}
			if _, err := engines[i].Next(ctx, q, "clerk"); err != nil { // the first one done
				t.Fatal(err)
			}
			served[q] = true
		}
		want = tickets - 3
	} else {
		// Every ticket served and done.
		for i, q := range []string{"q1", "q3"} {
			for {
				tk, err := engines[i].Next(ctx, q, "clerk")
				if err != nil {
					t.Fatal(err)
				}
				if tk == nil {
					break
				}
				served[q] = true
			}
		}
	}
	converge(t, engines)
	start, _ := engines[0].Seq()
	clk.Add(24 * time.Hour)
	for range 3 {
		var wg sync.WaitGroup
		for _, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.Housekeep(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	converge(t, engines)
	evs, err := stores[0].Events(ctx, start, 1000)
	if err != nil {
		t.Fatal(err)
	}
	cancelled := map[string]int{}
	resets := map[string]int{}
	for _, ev := range evs {
		switch ev.Type {
		case protocol.EventTicketCancelled:
			var tk protocol.Ticket
			if err := json.Unmarshal(ev.Data, &tk); err != nil {
				t.Fatal(err)
			}
			cancelled[tk.ID]++
		case protocol.EventCounterUpdated:
			var c protocol.Counter
			if err := json.Unmarshal(ev.Data, &c); err != nil {
				t.Fatal(err)
			}
			resets[c.ID]++
		default:
			t.Errorf("unexpected event %s at the day's turn", ev.Type)
		}
	}
	if len(cancelled) != want {
		t.Errorf("%d tickets cancelled, want %d: %v", len(cancelled), want, cancelled)
	}
	for id, n := range cancelled {
		if n != 1 {
			t.Errorf("ticket %s cancelled by %d events, want 1", id, n)
		}
	}
	for q := range served {
		if resets[q] != 1 {
			t.Errorf("counter %s reset by %d events, want 1", q, resets[q])
		}
	}
	if len(resets) != len(served) {
		t.Errorf("counters updated %v, want %v", resets, served)
	}
	b0, _ := json.Marshal(engines[0].Board())
	for i, e := range engines[1:] {
		if b, _ := json.Marshal(e.Board()); string(b) != string(b0) {
			t.Errorf("instance %d's board differs from instance 1's", i+2)
		}
	}
}

// TestHolidaysAcrossInstances: a holiday set through instance 1 closes the
// fields on instance 2 too once it has done its (minutely) housekeeping,
// and instance 2's kiosk issuing is refused at once (the transaction reads
// the stored list).
func TestHolidaysAcrossInstances(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	s1, s2 := open(t, url), open(t, url)
	defer s1.Close()
	defer s2.Close()
	e1 := startEngine(t, s1, clk)
	enginetest.Seed(t, e1)
	e2 := startEngine(t, s2, clk)
	converge(t, []*queue.Engine{e1, e2})
	reason := func(e *queue.Engine) string {
		for _, s := range e.Services() {
			if s.ID == "a" {
				return s.ClosedReason
			}
		}
		t.Fatal("field a missing")
		return ""
	}
	if r := reason(e2); r != "" {
		t.Fatalf("field a closed (%s) before the holiday", r)
	}
	if _, err := e1.PutHolidays(ctx, []protocol.Holiday{{Day: "2026-11-28", Name: "Nghỉ bù"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Issue(ctx, "kiosk", protocol.IssueRequest{ServiceID: "a"}, ""); queue.CodeOf(err) != protocol.CodeServiceClosed {
		t.Fatalf("issue on instance 2 on the holiday: %v, want %s", err, protocol.CodeServiceClosed)
	}
	if err := e2.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	for i, e := range []*queue.Engine{e1, e2} {
		if r := reason(e); r != protocol.ClosedHoliday {
			t.Fatalf("field a on instance %d: closed reason %q, want %q", i+1, r, protocol.ClosedHoliday)
		}
	}
	// And lifted the same way.
	if _, err := e1.PutHolidays(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := e2.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	if r := reason(e2); r != "" {
		t.Fatalf("field a on instance 2 still closed (%s) after the holiday was removed", r)
	}
}

// TestLastAdminAcrossInstances: two admins, each on another instance,
// demote each other at the same moment: one succeeds, the other is
// refused, and one enabled admin remains (rounds repeat the race).
func TestLastAdminAcrossInstances(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s1, s2 := open(t, url), open(t, url)
	defer s1.Close()
	defer s2.Close()
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	a1 := auth.NewAuthority(s1, clk, time.Hour, bcrypt.MinCost)
	a2 := auth.NewAuthority(s2, clk, time.Hour, bcrypt.MinCost)
	var ids []string
	for _, name := range []string{"admin1", "admin2"} {
		u, err := a1.CreateUser(ctx, auth.UserInput{Username: name, Name: name, Role: protocol.RoleAdmin, Password: "mat-khau-thu-1"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	admin, clerk := protocol.RoleAdmin, protocol.RoleClerk
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, a := range []*auth.Authority{a1, a2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each demotes the other.
				_, _, errs[i] = a.UpdateUser(ctx, ids[1-i], auth.UserPatch{Role: &clerk}, nil)
			}()
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if errors.Is(err, auth.ErrLastAdmin) {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		us, err := s1.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, u := range us {
			if u.Role == protocol.RoleAdmin && !u.Disabled {
				admins++
			}
		}
		if refused != 1 || admins != 1 {
			t.Fatalf("round %d: %d refused, %d enabled admins left; want 1 and 1 (%v)", round, refused, admins, errs)
		}
		// Both admins again for the next round.
		for _, id := range ids {
			if _, _, err := a1.UpdateUser(ctx, id, auth.UserPatch{Role: &admin}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestGuessingLimitsAcrossInstances: the limits on password and pairing
// code guesses are the centre's, not each instance's: wrong guesses sent
// alternately to two instances are refused (429, Retry-After) once the
// one budget is spent (5 logins, 10 pairings a burst), on both; on a
// database of its own a second centre is not affected.
func TestGuessingLimitsAcrossInstances(t *testing.T) {
	url := srv.Database(t)
	ss := startServers(t, url, 2)
	post := func(base, path, body string) (int, string) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for _, c := range []struct {
		path, body string
		burst, bad int
	}{
		{"/api/v1/login", `{"username":"admin","password":"sai-mat-khau"}`, 5, http.StatusUnauthorized},
		{"/api/v1/pair", `{"code":"1234 5678"}`, 10, http.StatusUnauthorized},
	} {
		for i := range c.burst {
			if st, _ := post(ss[i%2].srv.URL, c.path, c.body); st != c.bad {
				t.Fatalf("%s guess %d on instance %d: %d, want %d", c.path, i+1, i%2+1, st, c.bad)
			}
		}
		for i := range 2 {
			st, ra := post(ss[i].srv.URL, c.path, c.body)
			if st != http.StatusTooManyRequests || ra == "" {
				t.Fatalf("%s guess %d on instance %d: %d (Retry-After %q), want 429 with Retry-After: the budget is shared", c.path, c.burst+i+1, i+1, st, ra)
			}
		}
	}
	// Another database is another centre, with budgets of its own.
	other := startServers(t, srv.Database(t), 1)
	if st, _ := post(other[0].srv.URL, "/api/v1/login", `{"username":"admin","password":"sai-mat-khau"}`); st != http.StatusUnauthorized {
		t.Fatalf("another centre's login: %d, want 401", st)
	}
}
