package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// The demo centre's zone: UTC+7 all year, while the test process runs in
// whatever zone the machine has (UTC in CI).
var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

type fixture struct {
	s     *servertest.Server
	clock *queue.ManualClock
	e     *queue.Engine
	ids   map[string]string // username → user id
}

func newFixture(t *testing.T, start time.Time) *fixture {
	clock := queue.NewManualClock(start)
	s := servertest.Start(t, servertest.Options{Clock: clock})
	f := &fixture{s: s, clock: clock, e: s.App.Engine, ids: map[string]string{}}
	for _, u := range []string{"canbo1", "canbo3", "canbo8"} {
		us, err := s.App.Store.UserByName(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[u] = us.ID
	}
	return f
}

// at moves the clock to hh:mm of day (centre time).
func (f *fixture) at(day string, hh, mm int) {
	d, _ := time.ParseInLocation(time.DateOnly, day, hcm)
	f.clock.Set(time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, hcm))
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// play runs the hand-computed fixture day (the figures are worked out in
// the comments and checked by TestReportDefinitions):
//
//	08:00 A001 dat-dai        first called 08:18 at q1 by canbo1 (wait 1080 s), transferred 08:19
//	                          to tu-phap, called 08:30 at q3, done 08:40 (service 600 s), rated satisfied
//	08:02 A002 dat-dai        called 08:20 at q1 (wait 1080 s), no-show 08:22
//	08:04 A003 dat-dai, priority: called first, 08:10 at q1 (wait 360 s), recalled 08:15,
//	                          done 08:18 by the next call (service 180 s from the recall), very satisfied
//	09:00 H5001 tra-ket-qua   offline at the kiosk, synced 09:30, called 09:45 at q8 by canbo8
//	                          (wait 2700 s > target 600 s), done 09:50 (service 300 s)
//	11:00 B001 tu-phap        called 11:25 at q3 by canbo3 (wait 1500 s > target 900 s), lunch,
//	                          done 13:40 (service 8100 s), unsatisfied
//	16:00 D001 xay-dung       never called: cancelled when the day is over
//	visit records: A001 received HS-001 HS-002, H5001 returned HS-900, B001 supplement
//	(A003 was ended by "next": no outcome); B001's rating gives the reason long_wait
//	disruptions: q3 10:00-10:30, the whole centre 16:00-16:10
//	15:00 H5002 tra-ket-qua   printed offline, synced the next morning (cancelled, counted)
//
// It leaves the clock on the next day at 09:00, after housekeeping and the
// late sync.
func (f *fixture) play(t *testing.T, day string) {
	ctx := context.Background()
	e := f.e
	issue := func(svc string, prio bool) protocol.Ticket {
		t.Helper()
		r, err := e.Issue(ctx, "kiosk-test", protocol.IssueRequest{ServiceID: svc, Priority: prio}, "")
		if err != nil {
			t.Fatal(err)
		}
		return r.Ticket
	}
	next := func(counter, user string) *protocol.Ticket {
		t.Helper()
		tk, err := e.Next(ctx, counter, f.ids[user])
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	rate := func(counter, score string) {
		t.Helper()
		if _, err := e.RateAtCounter(ctx, counter, protocol.RatingRequest{Score: score}); err != nil {
			t.Fatal(err)
		}
	}
	mustOK := func(_ protocol.Ticket, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.at(day, 7, 0)
	lease := must[protocol.Lease](t)(e.Lease(ctx, "kiosk-test", protocol.LeaseRequest{ServiceID: "tra-ket-qua", Count: 5}))
	f.at(day, 8, 0)
	issue("dat-dai", false)
	f.at(day, 8, 2)
	issue("dat-dai", false)
	f.at(day, 8, 4)
	issue("dat-dai", true)
	f.at(day, 8, 10)
	if tk := next("q1", "canbo1"); tk.Code != "A003" {
		t.Fatalf("called %s, want the priority A003", tk.Code)
	}
	f.at(day, 8, 15)
	mustOK(e.Recall(ctx, "q1"))
	f.at(day, 8, 18)
	if tk := next("q1", "canbo1"); tk.Code != "A001" {
		t.Fatalf("called %s, want A001", tk.Code)
	}
	f.clock.Add(30 * time.Second)
	rate("q1", "very_satisfied") // A003, done at 08:18
	f.at(day, 8, 19)
	mustOK(e.Transfer(ctx, "q1", "tu-phap-ho-tich"))
	f.at(day, 8, 20)
	if tk := next("q1", "canbo1"); tk.Code != "A002" {
		t.Fatalf("called %s, want A002", tk.Code)
	}
	f.at(day, 8, 22)
	mustOK(e.NoShow(ctx, "q1"))
	f.at(day, 8, 30)
	if tk := next("q3", "canbo3"); tk.Code != "A001" {
		t.Fatalf("called %s, want the transferred A001", tk.Code)
	}
	f.at(day, 8, 40)
	mustOK(e.Done(ctx, "q3"))
	f.visit(t, day, "A001", protocol.OutcomeReceived, "HS-001", "HS-002")
	f.at(day, 8, 41)
	rate("q3", "satisfied")
	f.at(day, 9, 30)
	d, _ := time.ParseInLocation(time.DateOnly, day, hcm)
	offline := func(n, hh int) protocol.OfflineTicket {
		return protocol.OfflineTicket{LeaseID: lease.ID, Number: lease.From + n, IssuedAt: time.Date(d.Year(), d.Month(), d.Day(), hh, 0, 0, 0, hcm)}
	}
	res := must[[]queue.SyncResult](t)(e.Sync(ctx, "kiosk-test", []protocol.OfflineTicket{offline(0, 9)}))
	if res[0].Error != nil {
		t.Fatal(res[0].Error.Message)
	}
	f.at(day, 9, 45)
	if tk := next("q8", "canbo8"); tk == nil || !tk.Offline {
		t.Fatalf("called %+v, want the offline ticket", tk)
	}
	f.at(day, 9, 50)
	mustOK(e.Done(ctx, "q8"))
	f.visit(t, day, "H5001", protocol.OutcomeReturned, "HS-900")
	f.disruption(t, day, 10, 0, 30, "q3") // the one-stop software at q3
	f.at(day, 11, 0)
	issue("tu-phap-ho-tich", false)
	f.at(day, 11, 25)
	if tk := next("q3", "canbo3"); tk.Code != "B001" {
		t.Fatalf("called %s, want B001", tk.Code)
	}
	f.at(day, 13, 40)
	mustOK(e.Done(ctx, "q3"))
	f.visit(t, day, "B001", protocol.OutcomeSupplement)
	f.at(day, 13, 41)
	// Stored the way the rating tablet's answer is, with a reason.
	if _, err := f.s.App.Store.Update(ctx, func(tx queue.Tx) error {
		tk, err := ticketByCode(tx, f.s, day, "B001")
		if err != nil {
			return err
		}
		return tx.InsertRating(protocol.Rating{TicketID: tk.ID, Code: tk.Code, Day: tk.Day, ServiceID: tk.ServiceID,
			CounterID: tk.CounterID, ClerkID: tk.ClerkID, Score: "unsatisfied", Reasons: []string{"long_wait"}, Via: "counter", At: f.clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	f.at(day, 16, 0)
	issue("xay-dung", false)
	f.disruption(t, day, 16, 0, 10) // a power cut, the whole centre
	// The next morning: the day's leftovers are cancelled, and the kiosk
	// syncs a ticket it printed offline at 15:00 yesterday.
	f.at(d.AddDate(0, 0, 1).Format(time.DateOnly), 8, 0)
	if err := e.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	f.at(d.AddDate(0, 0, 1).Format(time.DateOnly), 9, 0)
	res = must[[]queue.SyncResult](t)(e.Sync(ctx, "kiosk-test", []protocol.OfflineTicket{offline(1, 15)}))
	if res[0].Error != nil {
		t.Fatal(res[0].Error.Message)
	}
}

// visit records what the clerk noted for the ticket code of day, through
// the store's transaction (the same write the counter's done makes).
func (f *fixture) visit(t *testing.T, day, code, outcome string, codes ...string) {
	t.Helper()
	_, err := f.s.App.Store.Update(context.Background(), func(tx queue.Tx) error {
		tk, err := ticketByCode(tx, f.s, day, code)
		if err != nil {
			return err
		}
		return tx.InsertVisit(queue.Visit{TicketID: tk.ID, Day: tk.Day, ServiceID: tk.ServiceID, CounterID: tk.CounterID,
			ClerkID: tk.ClerkID, Outcome: outcome, DossierCodes: codes, FinishedAt: *tk.FinishedAt})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ticketByCode(tx queue.Tx, s *servertest.Server, day, code string) (queue.TicketRecord, error) {
	id, err := s.App.Store.TicketIDByCode(context.Background(), day, code)
	if err != nil {
		return queue.TicketRecord{}, err
	}
	return tx.Ticket(id)
}

// disruption stores a disruption from hh:mm for mins minutes.
func (f *fixture) disruption(t *testing.T, day string, hh, mm, mins int, counters ...string) {
	t.Helper()
	d, _ := time.ParseInLocation(time.DateOnly, day, hcm)
	start := time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, hcm)
	if counters == nil {
		counters = []string{}
	}
	id := fmt.Sprintf("d-%s-%02d%02d", day, hh, mm)
	_, err := f.s.App.Store.Update(context.Background(), func(tx queue.Tx) error {
		if err := tx.InsertDisruption(protocol.Disruption{ID: id, Cause: protocol.CauseOneStopSoftware, CounterIDs: counters, StartedAt: start}, "admin"); err != nil {
			return err
		}
		return tx.EndDisruption(id, start.Add(time.Duration(mins)*time.Minute), "admin")
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) report(t *testing.T, query string) report.Report {
	t.Helper()
	st, b := call(t, "GET", f.s.URL+"/api/v1/reports?"+query, f.s.AdminToken(), "")
	if st != http.StatusOK {
		t.Fatalf("GET reports?%s = %d %s", query, st, b)
	}
	var r report.Report
	mustJSON(t, b, &r)
	return r
}

func num(v float64) *float64 { return &v }

func rowOf(t *testing.T, r report.Report, key string) report.Row {
	t.Helper()
	for _, row := range r.Rows {
		if row.Key == key {
			return row
		}
	}
	t.Fatalf("no row %q in %+v", key, r.Rows)
	return report.Row{}
}

func checkRow(t *testing.T, got, want report.Row) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("row %s:\n got %s\nwant %s", want.Key, g, w)
	}
}

// fixtureTotal is the fixture day's total, worked out by hand.
func fixtureTotal() report.Row {
	return report.Row{Key: "total", Label: "Tổng cộng",
		Issued: 7, Served: 4, NoShow: 1, Transferred: 1, Cancelled: 2,
		// waits 360, 1080, 1080, 1500, 2700
		WaitMean: num(1344), WaitMedian: num(1080), WaitP90: num(2700), WaitMax: num(2700),
		// services 180, 300, 600, 8100
		ServiceMean: num(2295), ServiceP90: num(8100),
		WithinTarget: 3, WithinTargetShare: num(0.6),
		Ratings:       report.Ratings{VerySatisfied: 1, Satisfied: 1, Unsatisfied: 1},
		RatingReasons: report.RatingReasons{LongWait: 1},
		Outcomes:      report.Outcome{Received: 1, Returned: 1, Supplement: 1},
		Dossiers:      3, DisruptionMinutes: 40}
}

func TestReportDefinitions(t *testing.T) {
	const day = "2026-12-01"
	f := newFixture(t, time.Date(2026, 12, 1, 7, 0, 0, 0, hcm))
	f.play(t, day)
	q := "from=" + day + "&to=" + day

	t.Run("total", func(t *testing.T) {
		r := f.report(t, q)
		if r.From != day || r.To != day || r.GroupBy != "day" || len(r.Rows) != 1 {
			t.Fatalf("report %+v", r)
		}
		checkRow(t, r.Total, fixtureTotal())
		want := fixtureTotal()
		want.Key, want.Label = day, "01/12/2026"
		checkRow(t, r.Rows[0], want)
	})
	t.Run("issued counts online and synced offline tickets", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		if got := rowOf(t, r, "tra-ket-qua").Issued; got != 2 {
			t.Errorf("tra-ket-qua issued %d, want 2 (both offline tickets)", got)
		}
		if r.Total.Issued != 7 {
			t.Errorf("issued %d, want 7", r.Total.Issued)
		}
	})
	t.Run("service rows group by the field issued for", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		keys := []string{}
		for _, row := range r.Rows {
			keys = append(keys, row.Key)
		}
		// In the centre's field order.
		if want := []string{"dat-dai", "tu-phap-ho-tich", "xay-dung", "tra-ket-qua"}; !slices.Equal(keys, want) {
			t.Fatalf("keys %v, want %v", keys, want)
		}
		checkRow(t, rowOf(t, r, "dat-dai"), report.Row{Key: "dat-dai", Label: "Đất đai",
			Issued: 3, Served: 2, NoShow: 1, Transferred: 1,
			WaitMean: num(840), WaitMedian: num(1080), WaitP90: num(1080), WaitMax: num(1080),
			ServiceMean: num(390), ServiceP90: num(600), WithinTarget: 3, WithinTargetShare: num(1),
			Ratings: report.Ratings{VerySatisfied: 1, Satisfied: 1}, Outcomes: report.Outcome{Received: 1}, Dossiers: 2,
			DisruptionMinutes: 10}) // q1 and q2 serve it: only the centre-wide cut
		checkRow(t, rowOf(t, r, "tu-phap-ho-tich"), report.Row{Key: "tu-phap-ho-tich", Label: "Tư pháp – Hộ tịch",
			Issued: 1, Served: 1, WaitMean: num(1500), WaitMedian: num(1500), WaitP90: num(1500), WaitMax: num(1500),
			ServiceMean: num(8100), ServiceP90: num(8100), WithinTarget: 0, WithinTargetShare: num(0),
			Ratings: report.Ratings{Unsatisfied: 1}, RatingReasons: report.RatingReasons{LongWait: 1},
			Outcomes: report.Outcome{Supplement: 1}, DisruptionMinutes: 40}) // q3 serves it
	})
	t.Run("a figure over an empty set is null", func(t *testing.T) {
		st, b := call(t, "GET", f.s.URL+"/api/v1/reports?"+q+"&group_by=service", f.s.AdminToken(), "")
		if st != 200 {
			t.Fatal(st)
		}
		var raw struct {
			Rows []map[string]any `json:"rows"`
		}
		mustJSON(t, b, &raw)
		for _, row := range raw.Rows {
			if row["key"] != "xay-dung" {
				continue
			}
			for _, k := range []string{"wait_mean_seconds", "wait_median_seconds", "wait_p90_seconds", "wait_max_seconds", "service_mean_seconds", "service_p90_seconds", "within_target_share"} {
				if v, ok := row[k]; !ok || v != nil {
					t.Errorf("xay-dung %s = %v (present %v), want null", k, v, ok)
				}
			}
			if row["issued"] != 1.0 || row["cancelled"] != 1.0 {
				t.Errorf("xay-dung %v", row)
			}
			return
		}
		t.Fatal("no xay-dung row")
	})
	t.Run("served is status done", func(t *testing.T) {
		if r := f.report(t, q); r.Total.Served != 4 {
			t.Errorf("served %d, want 4", r.Total.Served)
		}
	})
	t.Run("transferred counts tickets transferred at least once", func(t *testing.T) {
		if r := f.report(t, q+"&group_by=service"); rowOf(t, r, "dat-dai").Transferred != 1 || rowOf(t, r, "tu-phap-ho-tich").Transferred != 0 {
			t.Errorf("transferred counted in the wrong field: %+v", r.Rows)
		}
	})
	t.Run("cancelled at the day's end and late synced", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		if rowOf(t, r, "xay-dung").Cancelled != 1 || rowOf(t, r, "tra-ket-qua").Cancelled != 1 {
			t.Errorf("cancelled: %+v", r.Rows)
		}
	})
	t.Run("wait runs to the first call, service from the last call or recall", func(t *testing.T) {
		r := f.report(t, q+"&group_by=counter")
		// q1 first called A003 (360 s), A001 (1080 s) and A002 (1080 s);
		// A001's service at q3 counts for q1, where it was first called.
		checkRow(t, rowOf(t, r, "q1"), report.Row{Key: "q1", Label: "Quầy 1",
			Issued: 3, Served: 2, NoShow: 1, Transferred: 1,
			WaitMean: num(840), WaitMedian: num(1080), WaitP90: num(1080), WaitMax: num(1080),
			ServiceMean: num(390), ServiceP90: num(600), WithinTarget: 3, WithinTargetShare: num(1),
			Ratings: report.Ratings{VerySatisfied: 1, Satisfied: 1}, Outcomes: report.Outcome{Received: 1}, Dossiers: 2,
			DisruptionMinutes: 10})
		if q3 := rowOf(t, r, "q3"); q3.Issued != 1 || *q3.ServiceMean != 8100 {
			t.Errorf("q3 (the lunch-break ticket) %+v", q3)
		}
	})
	t.Run("never-called tickets are in no counter or clerk row", func(t *testing.T) {
		for _, g := range []string{"counter", "clerk"} {
			r := f.report(t, q+"&group_by="+g)
			sum := 0
			for _, row := range r.Rows {
				sum += row.Issued
			}
			if sum != 5 || r.Total.Issued != 7 {
				t.Errorf("%s rows hold %d tickets (want the 5 called), total %d (want 7)", g, sum, r.Total.Issued)
			}
		}
	})
	t.Run("clerk rows are keyed by username", func(t *testing.T) {
		r := f.report(t, q+"&group_by=clerk")
		var keys []string
		for _, row := range r.Rows {
			keys = append(keys, row.Key)
		}
		if want := []string{"canbo1", "canbo3", "canbo8"}; !slices.Equal(keys, want) {
			t.Fatalf("clerk keys %v, want %v", keys, want)
		}
		if row := rowOf(t, r, "canbo1"); row.Label != "Nguyễn Văn An" || row.Issued != 3 {
			t.Errorf("canbo1 %+v", row)
		}
	})
	t.Run("within_target uses the field's target", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		if row := rowOf(t, r, "tra-ket-qua"); row.WithinTarget != 0 || *row.WithinTargetShare != 0 || *row.WaitMax != 2700 {
			t.Errorf("tra-ket-qua: %+v", row)
		}
	})
	t.Run("outcomes and dossiers", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		if row := rowOf(t, r, "tra-ket-qua"); row.Outcomes.Returned != 1 || row.Dossiers != 1 {
			t.Errorf("tra-ket-qua %+v", row)
		}
		if r.Total.Outcomes != (report.Outcome{Received: 1, Returned: 1, Supplement: 1}) || r.Total.Dossiers != 3 {
			t.Errorf("total outcomes %+v dossiers %d", r.Total.Outcomes, r.Total.Dossiers)
		}
	})
	t.Run("disruption minutes touch the counter, its clerk and its fields", func(t *testing.T) {
		r := f.report(t, q+"&group_by=counter")
		if rowOf(t, r, "q3").DisruptionMinutes != 40 || rowOf(t, r, "q1").DisruptionMinutes != 10 {
			t.Errorf("counters %+v", r.Rows)
		}
		r = f.report(t, q+"&group_by=clerk")
		if rowOf(t, r, "canbo3").DisruptionMinutes != 40 || rowOf(t, r, "canbo8").DisruptionMinutes != 10 {
			t.Errorf("clerks %+v", r.Rows)
		}
		r = f.report(t, q+"&group_by=hour")
		if rowOf(t, r, "16").DisruptionMinutes != 10 || rowOf(t, r, "8").DisruptionMinutes != 0 {
			t.Errorf("hours %+v", r.Rows)
		}
		if r.Total.DisruptionMinutes != 40 {
			t.Errorf("total %v minutes, want 40", r.Total.DisruptionMinutes)
		}
	})
	t.Run("hour and weekday rows in the centre's zone", func(t *testing.T) {
		r := f.report(t, q+"&group_by=hour")
		got := map[string]int{}
		for _, row := range r.Rows {
			got[row.Key] = row.Issued
		}
		if want := map[string]int{"8": 3, "9": 1, "11": 1, "15": 1, "16": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("hours %v, want %v", got, want)
		}
		r = f.report(t, q+"&group_by=weekday")
		if len(r.Rows) != 1 || r.Rows[0].Key != "tue" || r.Rows[0].Label != "Thứ Ba" {
			t.Errorf("weekday rows %+v", r.Rows)
		}
	})
	t.Run("total is computed over all tickets, not from rows", func(t *testing.T) {
		r := f.report(t, q+"&group_by=service")
		// The medians of the rows are 1080, 1500, 2700 (and none): their
		// mean or median is not the day's median of 1080 over 5 waits.
		checkRow(t, r.Total, fixtureTotal())
	})
	t.Run("cached summary equals the live one, and a late ticket is counted", func(t *testing.T) {
		before := f.report(t, q+"&group_by=service")
		// The day is over (clock is the next morning): the report cached
		// its summaries, so nothing is left to compute.
		if n, err := f.s.App.Store.WarmReports(context.Background(), hcm, "2026-12-02"); err != nil || n != 0 {
			t.Fatalf("%d days left to summarize (%v), want 0", n, err)
		}
		again := f.report(t, q+"&group_by=service")
		if !reflect.DeepEqual(before, again) {
			t.Fatalf("cached report differs:\n%+v\n%+v", before, again)
		}
	})
}

// TestReportLateSync: the summary of a finished day is cached, then an
// offline ticket of that day syncs late; the next report counts it.
func TestReportLateSync(t *testing.T) {
	const day = "2026-12-01"
	f := newFixture(t, time.Date(2026, 12, 1, 7, 0, 0, 0, hcm))
	ctx := context.Background()
	f.at(day, 7, 0)
	lease := must[protocol.Lease](t)(f.e.Lease(ctx, "kiosk-test", protocol.LeaseRequest{ServiceID: "dat-dai", Count: 5}))
	f.at(day, 8, 0)
	if _, err := f.e.Issue(ctx, "kiosk-test", protocol.IssueRequest{ServiceID: "dat-dai"}, ""); err != nil {
		t.Fatal(err)
	}
	f.at("2026-12-02", 8, 0)
	q := "from=" + day + "&to=" + day
	if r := f.report(t, q); r.Total.Issued != 1 {
		t.Fatalf("issued %d, want 1", r.Total.Issued)
	}
	if _, err := f.s.App.Store.WarmReports(ctx, hcm, "2026-12-02"); err != nil {
		t.Fatal(err)
	}
	d, _ := time.ParseInLocation(time.DateOnly, day, hcm)
	res := must[[]queue.SyncResult](t)(f.e.Sync(ctx, "kiosk-test", []protocol.OfflineTicket{{LeaseID: lease.ID, Number: lease.From, IssuedAt: d.Add(9 * time.Hour)}}))
	if res[0].Error != nil {
		t.Fatal(res[0].Error.Message)
	}
	if r := f.report(t, q); r.Total.Issued != 2 || r.Total.Cancelled != 1 {
		t.Fatalf("after the late sync: issued %d cancelled %d, want 2 and 1", r.Total.Issued, r.Total.Cancelled)
	}
}

// TestReportMonthBoundary plays the fixture on the last day of November
// and the first of December.
func TestReportMonthBoundary(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 30, 7, 0, 0, 0, hcm))
	f.play(t, "2026-11-30")
	f.play(t, "2026-12-01")
	q := "from=2026-11-30&to=2026-12-01"
	double := fixtureTotal()
	double.Issued, double.Served, double.NoShow, double.Transferred, double.Cancelled = 14, 8, 2, 2, 4
	double.WaitP90 = num(2700) // ten waits: the 9th smallest is 2700
	double.ServiceP90 = num(8100)
	double.WithinTarget = 6
	double.Ratings = report.Ratings{VerySatisfied: 2, Satisfied: 2, Unsatisfied: 2}
	double.RatingReasons = report.RatingReasons{LongWait: 2}
	double.Outcomes = report.Outcome{Received: 2, Returned: 2, Supplement: 2}
	double.Dossiers, double.DisruptionMinutes = 6, 80

	r := f.report(t, q+"&group_by=month")
	if len(r.Rows) != 2 || r.Rows[0].Key != "2026-11" || r.Rows[1].Key != "2026-12" {
		t.Fatalf("month rows %+v", r.Rows)
	}
	for i, key := range []string{"2026-11", "2026-12"} {
		want := fixtureTotal()
		want.Key, want.Label = key, []string{"Tháng 11/2026", "Tháng 12/2026"}[i]
		checkRow(t, r.Rows[i], want)
	}
	checkRow(t, r.Total, double)
	// Monday 30 November and Tuesday 1 December are in ISO week 49.
	r = f.report(t, q+"&group_by=week")
	if len(r.Rows) != 1 || r.Rows[0].Key != "2026-W49" || r.Rows[0].Issued != 14 {
		t.Fatalf("week rows %+v", r.Rows)
	}
	r = f.report(t, q+"&group_by=day")
	if len(r.Rows) != 2 || r.Rows[0].Key != "2026-11-30" || r.Rows[1].Key != "2026-12-01" {
		t.Fatalf("day rows %+v", r.Rows)
	}
	r = f.report(t, q+"&group_by=weekday")
	if len(r.Rows) != 2 || r.Rows[0].Key != "mon" || r.Rows[1].Key != "tue" {
		t.Fatalf("weekday rows %+v", r.Rows)
	}
}

// TestReportTimeZone: a ticket issued at 00:30 on 2 December in the
// centre's zone (17:30 UTC on 1 December) belongs to 2 December, hour 0.
func TestReportTimeZone(t *testing.T) {
	f := newFixture(t, time.Date(2026, 12, 2, 0, 30, 0, 0, hcm))
	if _, err := f.e.Issue(context.Background(), "kiosk-test", protocol.IssueRequest{ServiceID: "dat-dai"}, ""); err != nil {
		t.Fatal(err)
	}
	r := f.report(t, "from=2026-12-01&to=2026-12-02&group_by=day")
	if len(r.Rows) != 1 || r.Rows[0].Key != "2026-12-02" {
		t.Fatalf("rows %+v, want one for 2026-12-02", r.Rows)
	}
	r = f.report(t, "from=2026-12-02&to=2026-12-02&group_by=hour")
	if len(r.Rows) != 1 || r.Rows[0].Key != "0" {
		t.Fatalf("rows %+v, want hour 0", r.Rows)
	}
}

func TestReportErrors(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	admin := s.AdminToken()
	for _, q := range []string{
		"", "from=2026-12-01", "from=2026-12-01&to=2026-13-01", "from=2026-12-01&to=2026-11-30",
		"from=2026-12-1&to=2026-12-02", "from=2020-01-01&to=2026-12-31", "from=2026-12-01&to=2026-12-02&group_by=year",
		"from=2026-12-01&to=2026-12-02&format=pdf",
	} {
		st, b := call(t, "GET", s.URL+"/api/v1/reports?"+q, admin, "")
		var e protocol.Error
		mustJSON(t, b, &e)
		if st != http.StatusBadRequest || e.Error.Code != protocol.CodeBadRequest {
			t.Errorf("%q: %d %s, want 400", q, st, b)
		}
	}
	q := "/api/v1/reports?from=2026-12-01&to=2026-12-02"
	if st, _ := call(t, "GET", s.URL+q, "", ""); st != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", st)
	}
	for _, tok := range []string{s.ClerkToken("canbo1"), s.DeviceToken("kiosk", "k"), s.DeviceToken("display", "d")} {
		if st, b := call(t, "GET", s.URL+q, tok, ""); st != http.StatusForbidden {
			t.Errorf("clerk/kiosk/display: %d %s, want 403", st, b)
		}
	}
	// A supervisor reads reports and charts, and may not add a webhook.
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("director-pw"), bcrypt.MinCost)
	if err := s.App.Store.CreateUser(ctx, auth.User{ID: "u-sup", Username: "giamdoc", Role: protocol.RoleSupervisor, PasswordHash: string(hash), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	sup, _, _, err := s.App.Auth.Login(ctx, "giamdoc", "director-pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{q, q + "&format=csv", q + "&format=xlsx", "/api/v1/reports/charts/daily.svg?from=2026-12-01&to=2026-12-02", "/admin/summary?month=2026-12"} {
		if st, b := call(t, "GET", s.URL+path, sup, ""); st != http.StatusOK {
			t.Errorf("supervisor %s: %d %.200s", path, st, b)
		}
	}
	if st, _ := call(t, "POST", s.URL+"/api/v1/webhooks", sup, `{"url":"http://x/"}`); st != http.StatusForbidden {
		t.Errorf("supervisor adding a webhook: %d, want 403", st)
	}
	if st, _ := call(t, "GET", s.URL+"/api/v1/reports/charts/pie.svg?from=2026-12-01&to=2026-12-02", admin, ""); st != http.StatusNotFound {
		t.Errorf("unknown chart: %d, want 404", st)
	}
	if st, _ := call(t, "GET", s.URL+"/admin/summary?month=2026-13", admin, ""); st != http.StatusBadRequest {
		t.Errorf("bad month: %d, want 400", st)
	}
}

// TestReportExports reads the CSV and XLSX back and compares them with the JSON.
func TestReportExports(t *testing.T) {
	const day = "2026-12-01"
	f := newFixture(t, time.Date(2026, 12, 1, 7, 0, 0, 0, hcm))
	f.play(t, day)
	q := "from=" + day + "&to=" + day + "&group_by=service"
	rep := f.report(t, q)
	// The JSON's keys, flattened with dots, in order.
	_, raw := call(t, "GET", f.s.URL+"/api/v1/reports?"+q, f.s.AdminToken(), "")
	var asMaps struct {
		Rows  []json.RawMessage `json:"rows"`
		Total json.RawMessage   `json:"total"`
	}
	mustJSON(t, raw, &asMaps)
	var header []string
	for _, kv := range flatten(t, asMaps.Rows[0]) {
		header = append(header, kv[0])
	}
	expect := func(i int) []string { // row i as CSV cells (the total last)
		m := asMaps.Total
		if i < len(asMaps.Rows) {
			m = asMaps.Rows[i]
		}
		var out []string
		for _, kv := range flatten(t, m) {
			out = append(out, kv[1])
		}
		return out
	}

	t.Run("csv", func(t *testing.T) {
		st, b := call(t, "GET", f.s.URL+"/api/v1/reports?"+q+"&format=csv", f.s.AdminToken(), "")
		if st != 200 {
			t.Fatalf("%d %s", st, b)
		}
		if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
			t.Fatal("no UTF-8 byte-order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(recs[0], header) {
			t.Fatalf("header %v\nwant %v", recs[0], header)
		}
		if len(recs) != len(rep.Rows)+2 || recs[len(recs)-1][0] != "total" {
			t.Fatalf("%d records, last %v; want %d rows, header and total", len(recs), recs[len(recs)-1], len(rep.Rows))
		}
		for i, rec := range recs[1:] {
			if w := expect(i); !slices.Equal(rec, w) {
				t.Errorf("row %d: %v\nwant %v", i, rec, w)
			}
		}
		if !strings.Contains(string(b), "Tư pháp – Hộ tịch") {
			t.Error("Vietnamese label lost")
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		st, b := call(t, "GET", f.s.URL+"/api/v1/reports?"+q+"&format=xlsx", f.s.AdminToken(), "")
		if st != 200 {
			t.Fatalf("%d %s", st, b[:min(len(b), 200)])
		}
		x, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows(report.SheetName, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], header) {
			t.Fatalf("header %v", rows[0])
		}
		if len(rows) != len(rep.Rows)+2 {
			t.Fatalf("%d rows", len(rows))
		}
		for i, row := range rows[1:] {
			w := expect(i)
			for len(row) < len(w) {
				row = append(row, "")
			}
			for j := range w {
				if !sameNumber(row[j], w[j]) {
					t.Errorf("row %d %s: %q, want %q", i, header[j], row[j], w[j])
				}
			}
		}
		// A person's spreadsheet: the waits have a number format, the
		// label column is wide.
		st1, _ := x.GetCellStyle(report.SheetName, "H2")
		style, _ := x.GetStyle(st1)
		if style == nil || style.CustomNumFmt == nil || *style.CustomNumFmt != "#,##0.0" {
			t.Errorf("wait cell style %+v", style)
		}
		if w, _ := x.GetColWidth(report.SheetName, "B"); w < 30 {
			t.Errorf("label column width %v", w)
		}
	})
}

func sameNumber(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// flatten lists a JSON object's keys (nested ones joined by a dot) and
// values as CSV would write them, in document order.
func flatten(t *testing.T, raw json.RawMessage) [][2]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out [][2]string
	var walk func(prefix string)
	walk = func(prefix string) {
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := prefix + k.(string)
			v, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch x := v.(type) {
			case json.Delim: // a nested object
				walk(key + ".")
				if _, err := dec.Token(); err != nil { // }
					t.Fatal(err)
				}
			case nil:
				out = append(out, [2]string{key, ""})
			case string:
				out = append(out, [2]string{key, x})
			case json.Number:
				out = append(out, [2]string{key, x.String()})
			default:
				out = append(out, [2]string{key, fmt.Sprint(x)})
			}
		}
	}
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	walk("")
	return out
}
