package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/protocol"
)

// TestPostgresRestart: PostgreSQL stopped for 10 s mid-burst and started
// again, under two instances (engines on stores of their own, as two server
// processes have). While it is gone every issue answers unavailable (503)
// and Health says so; afterwards the same stores and engines work again
// without a restart, no acknowledged ticket is lost and every engine was
// handed every event, gap-free. It stops the test binary's shared server
// (tests of this package do not run in parallel).
func TestPostgresRestart(t *testing.T) {
	const outage = 10 * time.Second
	ctx := context.Background()
	in := startInstances(t, 2, postgres.Options{MaxConns: 8}, nil)
	url, stores, engines := in.url, in.stores, in.engines
	var recs []*recorder
	var starts []int64
	converge(t, engines)
	for _, e := range engines {
		rec := &recorder{}
		start, _ := e.Seq()
		e.SetPublisher(rec)
		recs, starts = append(recs, rec), append(starts, start)
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	var okAfterResume int
	resumed := false
	var badErr error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		e := engines[w%len(engines)]
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
	down := time.Now()
	time.Sleep(time.Second)
	for i, s := range stores {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := s.Health(hctx); queue.CodeOf(err) != protocol.CodeUnavailable {
			t.Errorf("instance %d: Health while PostgreSQL is down = %v, want unavailable", i+1, err)
		}
		cancel()
	}
	pgtest.NoAcksUntil(t, &mu, acked, down.Add(outage))
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

	stored := pgtest.Tickets(ctx, t, url)
	pgtest.CheckAckedStored(t, acked, stored)
	t.Logf("%d tickets acknowledged, %d stored", len(acked), len(stored))
	// Every engine was handed every committed event, in order, and its
	// queue is what is stored.
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var last int64
	if err := c.QueryRow(ctx, `SELECT last FROM event_seq`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for i, e := range engines {
		deadline = time.Now().Add(10 * time.Second)
		for seq, _ := e.Seq(); seq != last; seq, _ = e.Seq() {
			if time.Now().After(deadline) {
				t.Fatalf("instance %d: engine at seq %d, store at %d", i+1, seq, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
		evs := recs[i].events()
		for j, ev := range evs {
			if ev.Seq != starts[i]+int64(j)+1 {
				t.Fatalf("instance %d: event %d has seq %d, want %d", i+1, j, ev.Seq, starts[i]+int64(j)+1)
			}
		}
		if int64(len(evs)) != last-starts[i] {
			t.Errorf("instance %d was handed %d events, want %d", i+1, len(evs), last-starts[i])
		}
		if w := len(e.Waiting([]string{"a", "b", "c"})); w != len(stored) {
			t.Errorf("instance %d: engine shows %d waiting, %d stored", i+1, w, len(stored))
		}
	}
}
