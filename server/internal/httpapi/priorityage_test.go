package httpapi_test

import (
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestCentrePriorityAge: the centre's priority age (issue 17) is set over
// the API, kept by a PUT that leaves it out, and refused outside 40..120.
func TestCentrePriorityAge(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.AdminToken()
	get := func() protocol.Centre {
		t.Helper()
		st, b := call(t, "GET", srv.URL+"/api/v1/centre", "", "")
		var c protocol.Centre
		mustJSON(t, b, &c)
		if st != 200 {
			t.Fatalf("centre: %d %s", st, b)
		}
		return c
	}
	if c := get(); c.PriorityAge != nil || c.PriorityAgeOrDefault() != 60 {
		t.Fatalf("default: %v", c.PriorityAge)
	}
	body := `{"name":{"vi":"Trung tâm"},"timezone":"Asia/Ho_Chi_Minh","read_numbers":"number"`
	if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, body+`,"priority_age":75}`); st != 200 {
		t.Fatalf("put 75: %d %s", st, b)
	}
	if c := get(); c.PriorityAgeOrDefault() != 75 {
		t.Fatalf("after 75: %v", c.PriorityAge)
	}
	if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, body+`}`); st != 200 {
		t.Fatalf("put without: %d %s", st, b)
	}
	if c := get(); c.PriorityAgeOrDefault() != 75 {
		t.Fatalf("a PUT without priority_age reset it: %v", c.PriorityAge)
	}
	for _, bad := range []string{"30", "121", "-1", `"60"`} {
		if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, body+`,"priority_age":`+bad+`}`); st != 400 || !strings.Contains(string(b), "bad_request") && !strings.Contains(string(b), "invalid") {
			t.Errorf("priority_age %s: %d %s", bad, st, b)
		}
	}
	if c := get(); c.PriorityAgeOrDefault() != 75 {
		t.Fatalf("a refused PUT changed it: %v", c.PriorityAge)
	}
}
