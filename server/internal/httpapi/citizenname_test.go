package httpapi_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/servertest"
)

// TestCitizenNameServingCounterOnly: with the centre's show_citizen_name
// on, the name sent with an issue (id_card.name) is in the answer of the
// counter that calls the ticket, and nowhere else: not on the board, not
// after done, not in the SQLite files (tickets, events). Off by default.
func TestCitizenNameServingCounterOnly(t *testing.T) {
	const name = "Nguyen Van Zebedee"
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.AdminToken()
	kiosk := srv.DeviceToken("kiosk", "Ki-ốt tên")
	clerk := srv.ClerkToken("canbo1") // counter q1 serves dat-dai
	base := `{"name":{"vi":"Trung tâm"},"timezone":"Asia/Ho_Chi_Minh","read_numbers":"number","hours":` + allDayHours
	if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, base+`}`); st != 200 {
		t.Fatalf("put centre: %d %s", st, b)
	}
	issueBody := `{"service_id":"dat-dai","id_card":{"number":"079301004567","birth_year":1950,"name":"` + name + `"}}`
	next := func() string {
		t.Helper()
		st, b := call(t, "POST", srv.URL+"/api/v1/counters/q1/next", clerk, "")
		if st != 200 {
			t.Fatalf("next: %d %s", st, b)
		}
		return string(b)
	}
	// Off by default: the name is not kept.
	if st, b := call(t, "POST", srv.URL+"/api/v1/tickets", kiosk, issueBody); st != 201 {
		t.Fatalf("issue: %d %s", st, b)
	}
	if b := next(); strings.Contains(b, "citizen_name") || strings.Contains(b, name) {
		t.Fatalf("show_citizen_name off, next answer: %s", b)
	}
	if st, b := call(t, "POST", srv.URL+"/api/v1/counters/q1/done", clerk, ""); st != 200 {
		t.Fatalf("done: %d %s", st, b)
	}

	if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, base+`,"show_citizen_name":true}`); st != 200 {
		t.Fatalf("put centre: %d %s", st, b)
	}
	if st, b := call(t, "POST", srv.URL+"/api/v1/tickets", kiosk, issueBody); st != 201 || strings.Contains(string(b), name) {
		t.Fatalf("issue: %d %s", st, b)
	}
	if b := next(); !strings.Contains(b, `"citizen_name":"`+name+`"`) {
		t.Fatalf("show_citizen_name on, next answer: %s", b)
	}
	if st, b := call(t, "POST", srv.URL+"/api/v1/counters/q1/recall", clerk, ""); st != 200 || !strings.Contains(string(b), name) {
		t.Fatalf("recall: %d %s", st, b)
	}
	for _, path := range []string{"/api/v1/board", "/api/v1/counters/q1", "/api/v1/counters", "/api/v1/counters/q1/waiting"} {
		if st, b := call(t, "GET", srv.URL+path, clerk, ""); st != 200 || strings.Contains(string(b), name) {
			t.Errorf("GET %s: %d, name present: %v", path, st, strings.Contains(string(b), name))
		}
	}
	st, b := call(t, "POST", srv.URL+"/api/v1/counters/q1/done", clerk, "")
	if st != 200 || strings.Contains(string(b), name) {
		t.Fatalf("done: %d %s", st, b)
	}
	srv.Stop()
	files, _ := filepath.Glob(filepath.Join(srv.Dir, "civiq.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(name)) {
			t.Fatalf("the citizen's name is in %s", filepath.Base(f))
		}
	}
}
