package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

const pipeDay = "2026-11-28"

func pipeTicket(id string, n int, idem string) queue.TicketRecord {
	at := time.Date(2026, 11, 28, 9, 0, n, 0, time.UTC)
	return queue.TicketRecord{
		Ticket: protocol.Ticket{ID: id, Code: queue.FormatCode("A", n), Number: n, ServiceID: "a",
			Status: protocol.StatusWaiting, IssuedAt: at, Day: pipeDay, Lang: "vi"},
		IssueServiceID: "a", TokenHash: queue.HashToken("token-" + id), IssuedBy: "kiosk-1", IdemKey: idem,
	}
}

// TestHeldWritesFailAlone: writes are held back and sent with a later
// statement (pipe.go), so a write that fails is found out after its update
// returned, sometimes while the next ones run. Its update alone is rolled
// back and answered with the error the write would have given at once;
// the updates run on top of it run again, the rest commit, and every
// committed event gets a gap-free seq and is delivered once.
func TestHeldWritesFailAlone(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	var mu sync.Mutex
	var sunk []protocol.Event
	s.SetSink(func(evs []protocol.Event) { mu.Lock(); sunk = append(sunk, evs...); mu.Unlock() })
	counter := func(id string, n int) queue.CounterRecord {
		return queue.CounterRecord{Counter: protocol.Counter{ID: id, Number: n, Name: protocol.Text{Vi: id}}}
	}
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		if err := tx.InsertTicket(pipeTicket("t0", 100, "key-0")); err != nil {
			return err
		}
		return tx.PutCounter(counter("q1", 1))
	}); err != nil {
		t.Fatal(err)
	}
	event := func(tx queue.Tx, name string) error {
		return tx.AppendEvent("test."+name, time.Now(), map[string]string{"by": name})
	}
	runs := map[string]int{}
	run := func(name string, fn func(tx queue.Tx) error) func(queue.Tx) error {
		return func(tx queue.Tx) error {
			runs[name]++
			if err := fn(tx); err != nil {
				return err
			}
			return event(tx, name)
		}
	}
	var number int
	evs, errs := s.UpdateTogether(
		run("A", func(tx queue.Tx) error { return tx.InsertTicket(pipeTicket("t1", 1, "")) }),
		// B's counter number is taken: its write fails when sent, with C's
		// (which needs no answer) and D's first read.
		run("B", func(tx queue.Tx) error { return tx.PutCounter(counter("q2", 1)) }),
		run("C", func(tx queue.Tx) error { return tx.InsertTicket(pipeTicket("t2", 2, "")) }),
		run("D", func(tx queue.Tx) error {
			var err error
			number, err = tx.NextNumber("a", pipeDay)
			return err
		}),
		// E's idempotency key was used at the same moment (another
		// instance): run again, it then finds that ticket.
		run("E", func(tx queue.Tx) error {
			if runs["E"] == 1 {
				return tx.InsertTicket(pipeTicket("t3", 3, "key-0"))
			}
			_, err := tx.TicketByIdemKey("kiosk-1", "key-0")
			return err
		}),
		// F's ticket exists: its write fails with the statement that
		// allocates the batch's seqs.
		run("F", func(tx queue.Tx) error { return tx.InsertTicket(pipeTicket("t1", 4, "")) }),
	)
	want := map[string]string{"A": "", "B": protocol.CodeConflict, "C": "", "D": "", "E": "", "F": protocol.CodeConflict}
	names := []string{"A", "B", "C", "D", "E", "F"}
	var seqs []int64
	for i, name := range names {
		if code := want[name]; code == "" && errs[i] != nil || code != "" && queue.CodeOf(errs[i]) != code {
			t.Errorf("update %s: %v, want code %q", name, errs[i], code)
		}
		if errs[i] != nil {
			if len(evs[i]) != 0 {
				t.Errorf("update %s failed with events %v", name, evs[i])
			}
			continue
		}
		if len(evs[i]) != 1 || evs[i][0].Type != "test."+name {
			t.Errorf("update %s: events %v", name, evs[i])
			continue
		}
		seqs = append(seqs, evs[i][0].Seq)
	}
	if runs["C"] != 2 || runs["D"] != 2 || runs["E"] != 2 || runs["B"] != 1 {
		t.Errorf("runs %v: want C, D (run on top of B) and E (retried) twice, B once", runs)
	}
	if number != 1 {
		t.Errorf("D's number %d, want 1 (its first run was undone)", number)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("seqs %v not consecutive", seqs)
		}
	}
	mu.Lock()
	if len(sunk) != len(seqs) {
		t.Errorf("%d events delivered, want %d", len(sunk), len(seqs))
	}
	got := map[int64]int{}
	for _, ev := range sunk {
		got[ev.Seq]++
	}
	mu.Unlock()
	for _, q := range seqs {
		if got[q] != 1 {
			t.Errorf("seq %d delivered %d times", q, got[q])
		}
	}
	// What the store kept: A's, C's and the setup's tickets; q1 unchanged.
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		for id, wantFound := range map[string]bool{"t0": true, "t1": true, "t2": true, "t3": false} {
			tk, err := tx.Ticket(id)
			if found := err == nil; found != wantFound {
				t.Errorf("ticket %s found %v (%v), want %v", id, found, err, wantFound)
			} else if id == "t1" && tk.Number != 1 {
				t.Errorf("t1 is number %d, want A's 1", tk.Number)
			}
		}
		cs, err := tx.Counters()
		if err != nil {
			return err
		}
		if len(cs) != 1 || cs[0].ID != "q1" {
			t.Errorf("counters %v, want q1 alone", cs)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestReportGenerationOncePerTransaction: a transaction bumps a day's
// report generation once however many of its tickets it changes
// (migration 0013), and a bump undone with its update's savepoint is
// redone by the next update of the batch that changes the day, so a cached
// summary of a past day never outlives a change of the day.
func TestReportGenerationOncePerTransaction(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	const today = "2026-11-29"
	issued := func() int {
		t.Helper()
		days, err := s.ReportSource(time.UTC, today).ReportDays(ctx, pipeDay, pipeDay, report.DimAll)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, acc := range days[pipeDay] {
			n += acc.Issued
		}
		return n
	}
	state := func() (gen int64, cached int) {
		t.Helper()
		if err := db.QueryRow(ctx, `SELECT gen, (SELECT count(*) FROM report_days WHERE day = $1) FROM report_gen WHERE day = $1`, pipeDay).Scan(&gen, &cached); err != nil {
			t.Fatal(err)
		}
		return gen, cached
	}
	if _, err := s.Update(ctx, func(tx queue.Tx) error { return tx.InsertTicket(pipeTicket("t1", 1, "")) }); err != nil {
		t.Fatal(err)
	}
	if n := issued(); n != 1 {
		t.Fatalf("issued %d, want 1", n)
	}
	gen0, cached := state()
	if cached == 0 {
		t.Fatal("the past day's summary was not cached")
	}

	// A changes the day (and sends it: the read after the write) and
	// fails; B changes it again; C and D change two tickets in one more
	// update each.
	errFail := errors.New("A fails")
	t1 := pipeTicket("t1", 1, "")
	t1.Status = protocol.StatusCancelled
	_, errs := s.UpdateTogether(
		func(tx queue.Tx) error {
			if err := tx.InsertTicket(pipeTicket("t2", 2, "")); err != nil {
				return err
			}
			if _, err := tx.Ticket("t2"); err != nil {
				return err
			}
			return errFail
		},
		func(tx queue.Tx) error { return tx.InsertTicket(pipeTicket("t3", 3, "")) },
		func(tx queue.Tx) error {
			if _, err := tx.Ticket("t1"); err != nil {
				return err
			}
			if err := tx.UpdateTicket(t1); err != nil {
				return err
			}
			return tx.InsertTicket(pipeTicket("t4", 4, ""))
		},
	)
	if !errors.Is(errs[0], errFail) || errs[1] != nil || errs[2] != nil {
		t.Fatalf("errors %v, want A's alone", errs)
	}
	gen, cached := state()
	if cached != 0 {
		t.Errorf("%d summaries of the changed day still cached", cached)
	}
	if gen != gen0+1 {
		t.Errorf("generation %d → %d: want one bump for the transaction", gen0, gen)
	}
	if n := issued(); n != 3 {
		t.Errorf("issued %d, want 3 (t1, t3, t4)", n)
	}
}

// TestNumbersCountedInBatch: within a batch the next number of a field is
// counted by the writer (its row is locked by the batch) and written with
// the next statement; an update that rolls back gives its number back, and
// the count read inside the batch and after it is the last number given.
func TestNumbersCountedInBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	var got []int
	next := func(fail bool) func(queue.Tx) error {
		return func(tx queue.Tx) error {
			n, err := tx.NextNumber("a", pipeDay)
			if err != nil {
				return err
			}
			if fail {
				return errors.New("fails after taking a number")
			}
			got = append(got, n)
			return nil
		}
	}
	var counted int
	_, errs := s.UpdateTogether(
		next(false), next(false), next(true), next(false),
		func(tx queue.Tx) error {
			var err error
			counted, err = tx.IssuedCount("a", pipeDay)
			return err
		},
		next(false),
	)
	for i, err := range errs {
		if (i == 2) != (err != nil) {
			t.Errorf("update %d: %v", i, err)
		}
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(got, want) || counted != 3 {
		t.Errorf("numbers %v, counted %d inside the batch; want %v and 3", got, counted, want)
	}
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		n, err := tx.IssuedCount("a", pipeDay)
		if err == nil && n != 4 {
			t.Errorf("after the batch %d numbers counted, want 4", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestNumbersCheckedAgainstOutsideWriter: a batch counts a field's next
// number from its reading of the day (no round trip per issue), and the
// write checks the row still holds what was counted on. A writer outside
// the batches' turns that takes a number in between (an UPDATE of the row,
// or the day's first row inserted) makes the update run again on a fresh
// reading: the numbers stay unique and gap-free.
func TestNumbersCheckedAgainstOutsideWriter(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	c := conn(t, url)
	// The batch reads today with the documents; a past day on its own.
	today := time.Now().UTC().Format(time.DateOnly)
	var cases []struct {
		name, day, outside string
		want               int
	}
	for _, day := range []string{"2026-11-29", today} {
		cases = append(cases, []struct {
			name, day, outside string
			want               int
		}{
			{day + ": the day's first row inserted", day, `INSERT INTO number_seq (service_id, day, last) VALUES ('a', $1, 1)`, 2},
			{day + ": the row moved on", day, `UPDATE number_seq SET last = last + 1 WHERE service_id = 'a' AND day = $1`, 4},
		}...)
	}
	for _, tc := range cases {
		runs := 0
		var got int
		if _, err := s.Update(ctx, func(tx queue.Tx) error {
			runs++
			if _, err := tx.IssuedCount("a", tc.day); err != nil { // the day is read
				return err
			}
			if runs == 1 {
				if _, err := c.Exec(ctx, tc.outside, tc.day); err != nil {
					return fmt.Errorf("the outside writer: %w", err) // no t.Fatal on the writer's goroutine
				}
			}
			var err error
			got, err = tx.NextNumber("a", tc.day)
			return err
		}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var last int
		if err := c.QueryRow(ctx, `SELECT last FROM number_seq WHERE service_id = 'a' AND day = $1`, tc.day).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if got != tc.want || last != tc.want || runs != 2 {
			t.Errorf("%s: number %d, row %d after %d runs; want %d, %d after 2", tc.name, got, last, runs, tc.want, tc.want)
		}
	}
}

// TestBatchReadsAreCopies: within a batch the field and centre documents
// are read once and kept decoded; every update still gets a copy of its
// own, so one that changes the opening hours it was given changes nothing
// the next update reads.
func TestBatchReadsAreCopies(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	hours := protocol.Hours{"mon": {"07:30-11:30"}}
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		if err := tx.PutCentre(protocol.Centre{Name: protocol.Text{Vi: "Trung tâm"}, Hours: hours}); err != nil {
			return err
		}
		return tx.PutService(protocol.Service{ID: "a", Prefix: "A", Name: protocol.Text{Vi: "Đất đai"}, Enabled: true, Hours: hours})
	}); err != nil {
		t.Fatal(err)
	}
	spoil := func(tx queue.Tx) error {
		svc, err := tx.Service("a")
		if err != nil {
			return err
		}
		c, err := tx.Centre()
		if err != nil {
			return err
		}
		for _, h := range []protocol.Hours{svc.Hours, c.Hours} {
			h["mon"][0] = "00:00-23:59"
			h["sun"] = []string{"00:00-23:59"}
		}
		return nil
	}
	var got []protocol.Hours
	read := func(tx queue.Tx) error {
		svc, err := tx.Service("a")
		if err != nil {
			return err
		}
		c, err := tx.Centre()
		got = append(got, svc.Hours, c.Hours)
		return err
	}
	_, errs := s.UpdateTogether(read, spoil, read, spoil, read)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if len(got) != 6 {
		t.Fatalf("%d reads", len(got))
	}
	for i, h := range got {
		if len(h) != 1 || len(h["mon"]) != 1 || h["mon"][0] != "07:30-11:30" {
			t.Fatalf("read %d got hours %v, want what was stored %v", i, h, hours)
		}
	}
}

// TestCounterWrittenTwiceInOneUpdate: both writes of a counter in one
// update are held back (pipe.go); the row then holds the second, and a
// number taken by another counter fails the update that wrote it, alone.
func TestCounterWrittenTwiceInOneUpdate(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	counter := func(id string, n, served int) queue.CounterRecord {
		return queue.CounterRecord{Counter: protocol.Counter{ID: id, Number: n, Name: protocol.Text{Vi: id}, ServedToday: served}, ServedDay: pipeDay}
	}
	_, errs := s.UpdateTogether(
		func(tx queue.Tx) error { return tx.PutCounter(counter("q9", 9, 0)) },
		func(tx queue.Tx) error {
			if err := tx.PutCounter(counter("q1", 1, 1)); err != nil {
				return err
			}
			if err := tx.InsertTicket(pipeTicket("t1", 1, "")); err != nil {
				return err
			}
			return tx.PutCounter(counter("q1", 1, 2))
		},
		func(tx queue.Tx) error {
			if err := tx.PutCounter(counter("q2", 2, 1)); err != nil {
				return err
			}
			return tx.PutCounter(counter("q2", 9, 2)) // number 9 is q9's
		},
	)
	if errs[0] != nil || errs[1] != nil || queue.CodeOf(errs[2]) != protocol.CodeConflict {
		t.Fatalf("errors %v; want nil, nil and a conflict", errs)
	}
	if _, err := s.Update(ctx, func(tx queue.Tx) error {
		c, err := tx.Counter("q1")
		if err != nil {
			return err
		}
		if c.ServedToday != 2 {
			t.Errorf("q1 served %d, want the second write's 2", c.ServedToday)
		}
		if _, err := tx.Counter("q2"); !queue.IsNotFound(err) {
			t.Errorf("q2 after its update failed: %v, want not found", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBatchReadsHolidays: the batch reads the holidays from yesterday (UTC)
// on with the documents, and an earlier day on its own; both answer
// whether the day is a holiday, within the batch that stores them too.
func TestBatchReadsHolidays(t *testing.T) {
	ctx := context.Background()
	s := open(t, srv.Database(t))
	defer s.Close()
	now := time.Now().UTC()
	today, tomorrow := now.Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	want := map[string]bool{today: true, tomorrow: false, "2026-11-29": true, "2026-11-30": false}
	check := func(tx queue.Tx) error {
		for day, hol := range want {
			got, err := tx.(queue.BookingTx).Holiday(day)
			if err != nil {
				return err
			}
			if got != hol {
				t.Errorf("Holiday(%s) = %v, want %v", day, got, hol)
			}
		}
		return nil
	}
	_, errs := s.UpdateTogether(
		func(tx queue.Tx) error {
			return tx.(queue.BookingTx).PutHolidays([]protocol.Holiday{{Day: today, Name: "Tết"}, {Day: "2026-11-29", Name: "Lễ"}})
		},
		check)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update(ctx, check); err != nil {
		t.Fatal(err)
	}
}

// TestCallReadsLock: a call's reads lock what it decides on (batches take
// turns, so only a transaction outside them shows it): a waiting ticket
// another transaction holds is passed over (SKIP LOCKED), and the counter
// row another transaction holds is waited for.
func TestCallReadsLock(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	clk := enginetest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, enginetest.HCM(t)))
	e := startEngine(t, s, clk)
	enginetest.Seed(t, e)
	a1 := issueOne(t, e, "a")
	clk.Add(time.Minute)
	a2 := issueOne(t, e, "a")

	outside, err := conn(t, url).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outside.Exec(ctx, `SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE`, a1.ID); err != nil {
		t.Fatal(err)
	}
	if tk, err := e.Next(ctx, "q2", "clerk"); err != nil || tk == nil || tk.ID != a2.ID {
		t.Fatalf("q2 called %+v, %v while %s is held elsewhere; want %s", tk, err, a1.Code, a2.Code)
	}
	if err := outside.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if tk, err := e.Next(ctx, "q2", "clerk"); err != nil || tk == nil || tk.ID != a1.ID {
		t.Fatalf("q2 called %+v, %v; want %s, no longer held", tk, err, a1.Code)
	}

	// The counter row: held elsewhere, a read after another update of the
	// batch goes to the next batch, whose first update waits for it.
	outside, err = conn(t, url).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outside.Exec(ctx, `SELECT 1 FROM counters WHERE id = 'q1' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	const hold = 300 * time.Millisecond
	released := make(chan error, 1)
	go func() {
		time.Sleep(hold)
		released <- outside.Commit(context.Background())
	}()
	defer func() {
		if err := <-released; err != nil {
			t.Error(err)
		}
	}()
	start := time.Now()
	var got string
	_, errs := s.UpdateTogether(
		func(tx queue.Tx) error { _, err := tx.Service("a"); return err },
		func(tx queue.Tx) error {
			r, err := tx.ReadCall(queue.CallQuery{Counter: "q1", Day: "2026-11-28"})
			got = r.Counter.ID
			return err
		})
	if errs[0] != nil || errs[1] != nil || got != "q1" {
		t.Fatalf("updates %v, counter %q; want both done and q1", errs, got)
	}
	if waited := time.Since(start); waited < hold {
		t.Fatalf("the counter was read after %v, while another transaction held it %v", waited, hold)
	}
}

func issueOne(t *testing.T, e *queue.Engine, svc string) protocol.Ticket {
	t.Helper()
	r, err := e.Issue(context.Background(), "test", protocol.IssueRequest{ServiceID: svc}, "")
	if err != nil {
		t.Fatal(err)
	}
	return r.Ticket
}

// TestUpdatesJoinWaitingBatch: updates that come while a batch waits for
// its turn (another instance's batch holds it) join that batch instead of
// waiting for a turn of their own: their events are inserted by the one
// statement of the one transaction (one xmin).
func TestUpdatesJoinWaitingBatch(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	c := conn(t, url)
	other, err := conn(t, url).Begin(ctx) // the other instance's batch
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `SELECT pg_advisory_xact_lock(7431002, hashtext(current_schema()))`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	update := func(errs chan<- error) {
		_, err := s.Update(ctx, func(tx queue.Tx) error {
			if _, err := tx.Centre(); err != nil { // the batch's first read: it takes the turn
				return err
			}
			return tx.AppendEvent("test.joined", at, map[string]int{})
		})
		errs <- err
	}
	errs := make(chan error, 5)
	go update(errs)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = 7431002 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch never waited for its turn")
		}
	}
	for range 4 {
		go update(errs)
	}
	time.Sleep(200 * time.Millisecond) // queued for the writer
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var n, txs int
	if err := c.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM events WHERE type = 'test.joined'`).Scan(&n, &txs); err != nil {
		t.Fatal(err)
	}
	if n != 5 || txs != 1 {
		t.Fatalf("%d events in %d transactions; want 5 in 1 (the updates that came while the batch waited joined it)", n, txs)
	}
}
