package httpapi_test

import (
	"context"
	"testing"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// TestServicesExpectedWaitForANewcomer: GET /api/v1/services says, per
// field, the wait a ticket issued now would be given, and the next issue
// answer agrees; a field no open counter serves says nothing.
func TestServicesExpectedWaitForANewcomer(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	kiosk := s.Client(s.DeviceToken("kiosk", "Ki-ốt 1"))
	byID := func() map[string]protocol.Service {
		t.Helper()
		svcs, err := kiosk.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]protocol.Service{}
		for _, v := range svcs {
			out[v.ID] = v
		}
		return out
	}
	admin := s.Client(s.AdminToken())
	counters, err := admin.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counters {
		if _, err := admin.SetCounterStatus(ctx, c.ID, protocol.CounterClosed); err != nil {
			t.Fatal(err)
		}
	}
	if v := byID()["dat-dai"]; v.ETANewSeconds != nil {
		t.Fatalf("no counter open, yet eta_new_seconds %d", *v.ETANewSeconds)
	}
	for range 3 {
		s.Issue("dat-dai", false)
	}
	if _, err := admin.Next(ctx, "q1"); err != nil { // q1 opens, serves A001
		t.Fatal(err)
	}
	svcs := byID()
	v := svcs["dat-dai"]
	if v.ETANewSeconds == nil || *v.ETANewSeconds <= 0 {
		t.Fatalf("dat-dai: eta_new_seconds %v, want a wait", v.ETANewSeconds)
	}
	if w := svcs["tu-phap-ho-tich"].ETANewSeconds; w != nil {
		t.Fatalf("a field no open counter serves: eta_new_seconds %d", *w)
	}
	tk := s.Issue("dat-dai", false)
	if d := tk.ETASeconds - *v.ETANewSeconds; d < -2 || d > 2 {
		t.Fatalf("issued with eta_seconds %d, the field said %d", tk.ETASeconds, *v.ETANewSeconds)
	}
}
