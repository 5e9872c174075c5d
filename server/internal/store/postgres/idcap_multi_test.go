package postgres_test

import (
	"context"
	"fmt"
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
	in := startInstances(t, 2, postgres.Options{MaxConns: 8}, nil)
	engines := in.engines
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
	issue := func(i int, field, card string) (bool, error) {
		_, err := engines[i].Issue(ctx, fmt.Sprintf("kiosk-%d", i+1), protocol.IssueRequest{ServiceID: field,
			IDCard: &protocol.IssueIDCard{Number: card, BirthYear: 1960}}, "")
		if queue.CodeOf(err) == protocol.CodeIDDailyCap {
			return false, nil
		}
		return err == nil, err
	}

	const n = 30
	enginetest.IDCapRaces(t, n, [3]string{"a", "b", "c"}, setCaps, issue)
}
