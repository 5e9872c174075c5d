package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// TestIDDailyCapAcrossInstances: two instances on one database (as two
// servers behind a load balancer), a kiosk on each, issue at the same
// moment for the same citizen ID card. With a cap of 1 a day exactly one
// ticket is issued and the other kiosk gets id_daily_cap, whether the two
// ask for the same field or for two fields (whose numbering rows, the
// only lock they would otherwise share, differ). With a cap of 1 per
// field and none overall, two fields both succeed.
func TestIDDailyCapAcrossInstances(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	_, engines := startInstances(t, url, clk, 2, postgres.Options{MaxConns: 8}, nil)
	setCaps := func(total, perField int) {
		t.Helper()
		c := engines[0].Centre()
		c.IDDailyCap, c.IDDailyCapPerField = &total, &perField
		if _, err := engines[0].PutCentre(ctx, c); err != nil {
			t.Fatal(err)
		}
		// The other instance learns the centre from the shared events.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if c := engines[1].Centre(); c.IDDailyCap != nil && *c.IDDailyCap == total && c.IDDailyCapPerField != nil && *c.IDDailyCapPerField == perField {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the second instance did not learn the new caps")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// race issues, for each of n cards, one ticket from each instance at
	// the same moment (fields[0] on the first, fields[1] on the second)
	// and returns how many were issued and refused with id_daily_cap.
	card := 0
	race := func(n int, fields [2]string) (issued, capped int) {
		t.Helper()
		var mu sync.Mutex
		for range n {
			card++
			number := fmt.Sprintf("0793%08d", card)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, e := range engines {
				wg.Go(func() {
					<-start
					_, err := e.Issue(ctx, fmt.Sprintf("kiosk-%d", i+1), protocol.IssueRequest{ServiceID: fields[i],
						IDCard: &protocol.IssueIDCard{Number: number, BirthYear: 1960}}, "")
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						issued++
					case queue.CodeOf(err) == protocol.CodeIDDailyCap:
						capped++
					default:
						t.Errorf("issue: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
		}
		return issued, capped
	}

	const n = 30
	enginetest.IDCapRaces(t, n, [3]string{"a", "b", "c"}, setCaps, race)
}
