package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/protocol"
)

// TestProvinceDeleteCentreRaces: a centre's deletion against, at the
// same moment, its enabling, its creation again under the same id and an
// instance starting it from the registry. Every round ends one way or the
// other, never in between: the registry row exists exactly when its
// schema does, a centre created again has none of the old data, and a
// deletion refused changed nothing.
func TestProvinceDeleteCentreRaces(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	ps := openProvince(t, url)
	db := conn(t, url)
	const id, schema = "xa-dua", "centre_xa_dua"
	c := province.Centre{ID: id, Name: "Xã Đua", TimeZone: "Asia/Ho_Chi_Minh"}
	// create makes the centre as wiring.Province.CreateCentre does, with a
	// marker of this incarnation's data.
	create := func() error {
		c.Created = time.Now()
		if err := ps.ReserveCentre(ctx, c); err != nil {
			return err
		}
		st, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 2})
		if err != nil {
			return err
		}
		st.Close()
		return ps.CentreReady(ctx, id)
	}
	exists := func() (row, schemaThere, marked bool) {
		t.Helper()
		err := db.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM civiq_province.centres WHERE id = $1),
			EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2),
			to_regclass($2 || '.old_marker') IS NOT NULL`, id, schema).Scan(&row, &schemaThere, &marked)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	off, on := true, false
	fresh := func() {
		t.Helper()
		row, _, _ := exists()
		if row {
			if _, err := ps.UpdateCentre(ctx, id, nil, &off); err != nil {
				t.Fatal(err)
			}
			if err := ps.DeleteCentre(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := create(); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `CREATE TABLE `+schema+`.old_marker ()`); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.UpdateCentre(ctx, id, nil, &off); err != nil {
			t.Fatal(err)
		}
	}
	race := func(a, b func() error) (errA, errB error) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; errA = a() }()
		go func() { defer wg.Done(); <-start; errB = b() }()
		close(start)
		wg.Wait()
		return
	}
	del := func() error { return ps.DeleteCentre(ctx, id) }
	outcomes := map[string]int{}
	for round := range 4 {
		// Against enabling: deleted (the enable finds nothing) or enabled
		// (the deletion is refused, the data kept).
		fresh()
		errD, errE := race(del, func() error { _, err := ps.UpdateCentre(ctx, id, nil, &on); return err })
		row, sch, marked := exists()
		switch {
		case errD == nil && queue.IsNotFound(errE) && !row && !sch:
			outcomes["enable: deleted first"]++
		case queue.CodeOf(errD) == protocol.CodeConflict && errE == nil && row && sch && marked:
			outcomes["enable: enabled first"]++
		default:
			t.Fatalf("round %d, delete vs enable: delete %v, enable %v; row %v schema %v marker %v", round, errD, errE, row, sch, marked)
		}

		// Against creating the same id: refused while the old one is
		// there, or made after the deletion, empty.
		// Odd rounds, the creator tries again while its id is taken.
		fresh()
		refused := 0
		errD, errC := race(del, func() error {
			for {
				err := create()
				if queue.CodeOf(err) != protocol.CodeConflict || round%2 == 0 || refused == 200 {
					return err
				}
				refused++
				time.Sleep(5 * time.Millisecond)
			}
		})
		row, sch, marked = exists()
		switch {
		case errD == nil && queue.CodeOf(errC) == protocol.CodeConflict && !row && !sch:
			outcomes["create: refused"]++
		case errD == nil && errC == nil && row && sch && !marked:
			outcomes["create: made anew"]++
		default:
			t.Fatalf("round %d, delete vs create: delete %v, create %v (refused %d times first); row %v schema %v marker %v", round, errD, errC, refused, row, sch, marked)
		}

		// Against an instance starting the centre from the registry: it
		// opens the old schema before the drop or fails after it; it
		// never makes an empty schema again.
		fresh()
		var st *postgres.Store
		errD, errO := race(del, func() (err error) {
			st, err = postgres.Open(ctx, url, postgres.Options{Schema: schema, Existing: true, MaxConns: 2})
			return err
		})
		if st != nil {
			st.Close()
		}
		row, sch, _ = exists()
		switch {
		case errD != nil || row || sch:
			t.Fatalf("round %d, delete vs start: delete %v, open %v; row %v schema %v", round, errD, errO, row, sch)
		case errO == nil:
			outcomes["start: opened before the drop"]++
		case strings.Contains(errO.Error(), "does not exist"):
			outcomes["start: refused after the drop"]++
		default:
			outcomes["start: failed during the drop"]++
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
