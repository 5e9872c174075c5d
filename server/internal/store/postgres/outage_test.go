package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/protocol"
)

// TestPostgresRestart: PostgreSQL stopped mid-burst and started again.
// While it is gone every issue answers unavailable (503) and Health says
// so; afterwards the same store and engine work again without a restart,
// no acknowledged ticket is lost and the engine's events stay gap-free.
// It stops the test binary's shared server for 3 s (tests of this package
// do not run in parallel).
func TestPostgresRestart(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	e := startEngine(t, s, clk)
	enginetest.Seed(t, e)
	rec := &recorder{}
	start, _ := e.Seq()
	e.SetPublisher(rec)

	var mu sync.Mutex
	acked := map[string]bool{}
	var okAfterResume int
	resumed := false
	var badErr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
				r, err := e.Issue(ictx, "kiosk", protocol.IssueRequest{ServiceID: []string{"a", "b", "c"}[(w+i)%3]}, "")
				cancel()
				mu.Lock()
				switch {
				case err == nil:
					acked[r.Ticket.Code] = true
					if resumed {
						okAfterResume++
					}
				case queue.CodeOf(err) != protocol.CodeUnavailable && badErr == nil:
					badErr = err
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := s.Health(hctx); queue.CodeOf(err) != protocol.CodeUnavailable {
		t.Errorf("Health while PostgreSQL is down = %v, want unavailable", err)
	}
	cancel()
	time.Sleep(2 * time.Second)
	if err := srv.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	resumed = true
	mu.Unlock()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := okAfterResume
		mu.Unlock()
		if n >= 20 {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d issues succeeded within 15 s of PostgreSQL's return", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if badErr != nil {
		t.Errorf("an issue failed with something else than unavailable: %v", badErr)
	}

	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT code FROM tickets`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, code := range stored {
		have[code] = true
	}
	for code := range acked {
		if !have[code] {
			t.Errorf("acknowledged ticket %s is not stored", code)
		}
	}
	t.Logf("%d tickets acknowledged, %d stored", len(acked), len(stored))
	// The engine was handed every committed event, in order, and its
	// queue is what is stored.
	var last int64
	if err := c.QueryRow(ctx, `SELECT last FROM event_seq`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for seq, _ := e.Seq(); seq != last; seq, _ = e.Seq() {
		if time.Now().After(deadline) {
			t.Fatalf("engine at seq %d, store at %d", seq, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, ev := range rec.events() {
		if ev.Seq != start+int64(i)+1 {
			t.Fatalf("event %d has seq %d, want %d", i, ev.Seq, start+int64(i)+1)
		}
	}
	if w := len(e.Waiting([]string{"a", "b", "c"})); w != len(stored) {
		t.Errorf("engine shows %d waiting, %d stored", w, len(stored))
	}
}
