package feed_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/display/internal/feed"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// player records the call-outs it is asked to play, instantly.
type player struct {
	mu      sync.Mutex
	scripts []string
	played  chan string
}

func newPlayer() *player { return &player{played: make(chan string, 100)} }

func (p *player) Play(ctx context.Context, clips []string) error {
	s := strings.Join(clips, " ")
	p.mu.Lock()
	p.scripts = append(p.scripts, s)
	p.mu.Unlock()
	p.played <- s
	return nil
}

func (p *player) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.scripts)
}

// expectPlayed waits for one call-out containing letter (a clip name such as
// "vi/letter_a") and fails on any other.
func (p *player) expectPlayed(t *testing.T, letter string) {
	t.Helper()
	select {
	case s := <-p.played:
		if !strings.Contains(s, letter) {
			t.Fatalf("played %q, want a call-out with %s", s, letter)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no call-out with %s within 5 s", letter)
	}
}

// expectSilence fails if anything is played within d.
func (p *player) expectSilence(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case s := <-p.played:
		t.Fatalf("played %q, want nothing", s)
	case <-time.After(d):
	}
}

// updates collects the feed's updates.
type updates struct {
	mu   sync.Mutex
	last feed.Update
	ch   chan feed.Update
}

func (u *updates) on(x feed.Update) {
	u.mu.Lock()
	u.last = x
	u.mu.Unlock()
	select {
	case u.ch <- x:
	default:
	}
}

// waitBoard waits until the feed's board satisfies ok.
func waitBoard(t *testing.T, f *feed.Feed, what string, ok func(protocol.Board, bool) bool) protocol.Board {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, online := f.Board()
		if ok(b, online) {
			return b
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, online := f.Board()
	t.Fatalf("timed out waiting for %s (online %v, seq %d)", what, online, b.Seq)
	return b
}

func current(b protocol.Board, counter string) string {
	for _, cs := range b.Counters {
		if cs.Counter.ID == counter && cs.Current != nil {
			return cs.Current.Code
		}
	}
	return ""
}

// TestFeedAnnouncesOnceAcrossRestarts follows a real server through a call,
// a server restart, replayed events and a display restart: every call and
// recall is spoken exactly once, in order; nothing old is spoken again.
func TestFeedAnnouncesOnceAcrossRestarts(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clerk := srv.Client(srv.ClerkToken("canbo1"))
	display := srv.Client(srv.DeviceToken(protocol.RoleDisplay, "test display"))

	// A call before the display starts: on the board, never spoken.
	srv.Issue("dat-dai", false)
	old, err := clerk.Next(ctx, "q1")
	if err != nil || old == nil {
		t.Fatalf("next: %v %v", old, err)
	}

	p := newPlayer()
	ann := announce.New(announce.Config{Player: p})
	defer ann.Close()
	u := &updates{ch: make(chan feed.Update, 100)}
	f := feed.New(feed.Config{Client: display, Announcer: ann, OnUpdate: u.on, Heartbeat: -1,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()

	waitBoard(t, f, "the snapshot with the earlier call", func(b protocol.Board, on bool) bool { return on && current(b, "q1") == old.Code })
	p.expectSilence(t, 300*time.Millisecond)

	// A new call is spoken once.
	srv.Issue("dat-dai", false)
	t2, _ := clerk.Next(ctx, "q1")
	p.expectPlayed(t, "vi/letter_a")
	waitBoard(t, f, t2.Code, func(b protocol.Board, _ bool) bool { return current(b, "q1") == t2.Code })

	// The server restarts: the feed goes offline, keeps its board, comes
	// back by itself and resumes; nothing is spoken again.
	srv.Restart()
	b := waitBoard(t, f, "back online", func(b protocol.Board, on bool) bool { return on })
	if current(b, "q1") != t2.Code {
		t.Fatalf("board after restart shows %q at q1, want %s", current(b, "q1"), t2.Code)
	}
	p.expectSilence(t, 300*time.Millisecond)

	// The next call after the restart, and a recall, are spoken once each.
	srv.Issue("dat-dai", false)
	t3, err := clerk.Next(ctx, "q1")
	if err != nil {
		t.Fatal(err)
	}
	p.expectPlayed(t, "vi/letter_a")
	if _, err := clerk.Recall(ctx, "q1"); err != nil {
		t.Fatal(err)
	}
	p.expectPlayed(t, "vi/xin_nhac_lai")
	b = waitBoard(t, f, t3.Code, func(b protocol.Board, _ bool) bool { return current(b, "q1") == t3.Code && len(b.Recent) >= 4 })
	p.expectSilence(t, 300*time.Millisecond)
	if n := p.count(); n != 3 {
		t.Fatalf("%d call-outs, want 3", n)
	}

	// A reconnect that replays the whole history (since 0 of the same
	// epoch: every event again) speaks nothing.
	rctx, rcancel := context.WithCancel(ctx)
	replayed := 0
	go display.Subscribe(rctx, client.SubscribeOptions{Since: 1, Epoch: b.Epoch}, func(ev protocol.Event) error {
		if ann.Handle(ev) {
			t.Errorf("replayed event %d (%s) announced again", ev.Seq, ev.Type)
		}
		if ev.Seq >= b.Seq {
			replayed++
			rcancel()
		}
		return nil
	})
	<-rctx.Done()
	if replayed == 0 {
		t.Fatal("the replay did not reach the latest event")
	}
	p.expectSilence(t, 300*time.Millisecond)

	// The display program restarts (a new feed and announcer): the
	// snapshot shows the calls and speaks none of them.
	cancel()
	<-done
	p2 := newPlayer()
	ann2 := announce.New(announce.Config{Player: p2})
	defer ann2.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	f2 := feed.New(feed.Config{Client: display, Announcer: ann2, Heartbeat: -1})
	go f2.Run(ctx2)
	waitBoard(t, f2, "snapshot", func(b protocol.Board, on bool) bool { return on && current(b, "q1") == t3.Code })
	p2.expectSilence(t, 300*time.Millisecond)

	if u.last.Board.Seq == 0 {
		t.Fatal("OnUpdate never got a board")
	}
}

// TestFeedOfflineKeepsBoard: a stopped server makes the feed report offline
// with the last board intact.
func TestFeedOfflineKeepsBoard(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.Issue("dat-dai", false)
	tk, _ := srv.Client(srv.ClerkToken("canbo1")).Next(ctx, "q1")
	u := &updates{ch: make(chan feed.Update, 100)}
	f := feed.New(feed.Config{Client: srv.Client(srv.DeviceToken(protocol.RoleDisplay, "d")), OnUpdate: u.on, Heartbeat: -1,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	go f.Run(ctx)
	waitBoard(t, f, "online", func(b protocol.Board, on bool) bool { return on && current(b, "q1") == tk.Code })
	srv.Stop()
	b := waitBoard(t, f, "offline", func(b protocol.Board, on bool) bool { return !on })
	if current(b, "q1") != tk.Code {
		t.Fatalf("offline board lost the call: %q", current(b, "q1"))
	}
	u.mu.Lock()
	last := u.last
	u.mu.Unlock()
	if last.Online || current(last.Board, "q1") != tk.Code {
		t.Fatalf("last update: online %v, q1 %q", last.Online, current(last.Board, "q1"))
	}
}

// TestFeedRefusedToken: a revoked token is reported as refused (not merely
// offline), so the display can say that an admin must act.
func TestFeedRefusedToken(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := &updates{ch: make(chan feed.Update, 100)}
	f := feed.New(feed.Config{Client: srv.Client("not-a-token"), OnUpdate: u.on, Heartbeat: -1,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	go f.Run(ctx)
	select {
	case x := <-u.ch:
		if x.Online || !x.Refused {
			t.Fatalf("update %+v, want offline and refused", x)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no update for a refused token")
	}
}

// TestFeedStorageDown: a server that answers but cannot save (GET /healthz
// 503, from a fake in front of a real server) is reported as such while
// the feed stays online, and the report clears when it can save again.
func TestFeedStorageDown(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	fault := servertest.NewStorageFault(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl, err := client.New(fault.URL, srv.DeviceToken(protocol.RoleDisplay, "d"))
	if err != nil {
		t.Fatal(err)
	}
	u := &updates{ch: make(chan feed.Update, 100)}
	f := feed.New(feed.Config{Client: cl, OnUpdate: u.on, Heartbeat: -1, HealthEvery: 20 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	go f.Run(ctx)
	waitBoard(t, f, "online through the proxy", func(b protocol.Board, on bool) bool { return on && b.Seq > 0 })
	wait := func(want bool) feed.Update {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case x := <-u.ch:
				if x.StorageDown == want {
					return x
				}
			case <-deadline:
				t.Fatalf("no update with StorageDown %v", want)
			}
		}
	}
	fault.SetDown(true)
	if x := wait(true); !x.Online || x.Board.Seq == 0 {
		t.Fatalf("storage down: %+v, want online with the board", x)
	}
	// Events still arrive and keep the mark.
	srv.Issue("dat-dai", false)
	timeout := time.After(5 * time.Second)
	for issued := false; !issued; {
		select {
		case x := <-u.ch:
			if x.Event.Type == protocol.EventTicketIssued {
				issued = true
				if !x.StorageDown {
					t.Fatal("an event cleared the storage mark")
				}
			}
		case <-timeout:
			t.Fatal("the issued ticket never arrived")
		}
	}
	fault.SetDown(false)
	wait(false)
}
