package view

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/display/internal/feed"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestLiveRenameReachesBoard: a field renamed and a counter renumbered
// through the admin API, against a real server, are drawn on the Fyne board
// within 2 s, without a restart.
func TestLiveRenameReachesBoard(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin := srv.Client(srv.AdminToken())
	if _, err := admin.SetCounterStatus(ctx, "q1", protocol.CounterOpen); err != nil {
		t.Fatal(err)
	}
	updates := make(chan feed.Update, 1000)
	f := feed.New(feed.Config{Client: srv.Client(srv.DeviceToken(protocol.RoleDisplay, "live")), Heartbeat: -1, HealthEvery: -1,
		OnUpdate: func(u feed.Update) { updates <- u }})
	go f.Run(ctx)

	b, _ := render(t, Model{}, 1920, 1080)
	c := NewController(b, []string{protocol.LangVI}, time.Now())
	// drawn waits until the board draws a text containing want, applying
	// the feed's updates as they come (the test is the Fyne thread here).
	drawn := func(want string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		deadline := time.After(within)
		for {
			for _, tx := range texts(b) {
				if strings.Contains(tx.Text, want) {
					return time.Since(start)
				}
			}
			select {
			case u := <-updates:
				c.Update(u.Board, u.Event, u.Online, time.Now())
			case <-deadline:
				var got []string
				for _, tx := range texts(b) {
					got = append(got, tx.Text)
				}
				t.Fatalf("%q not drawn within %v; the board shows %q", want, within, got)
			}
		}
	}
	drawn("Quầy 1", 10*time.Second)

	svcs, err := admin.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sv := svcs[0]
	sv.Name = protocol.Text{Vi: "Sở Lao động – Thương binh và Xã hội", En: "Labour"}
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/services/"+sv.ID, sv, nil, nil); err != nil {
		t.Fatal(err)
	}
	took := drawn("Thương binh", 2*time.Second)
	t.Logf("renamed field drawn after %v", took.Round(time.Millisecond))

	counters, err := admin.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := counters[0]
	q.Number = 37
	if _, err := admin.Do(ctx, http.MethodPut, "/api/v1/counters/"+q.ID, q, nil, nil); err != nil {
		t.Fatal(err)
	}
	took = drawn("Quầy 37", 2*time.Second)
	t.Logf("renumbered counter drawn after %v", took.Round(time.Millisecond))
}
