package issuer_test

import (
	"context"
	"testing"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/servertest"
)

// TestIssueMovesToTheNextServer: a kiosk given two server addresses keeps
// issuing online when the one it used dies: the issue (which carries an
// idempotency key) goes to the next address; nothing is issued offline and
// no ticket twice.
func TestIssueMovesToTheNextServer(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	first := servertest.NewInstance(t, srv.URL)
	c, err := client.NewMulti([]string{first.URL(), srv.URL}, srv.DeviceToken("kiosk", "Ki-ốt 1"))
	if err != nil {
		t.Fatal(err)
	}
	k := newKiosk(t, c, t.TempDir(), t.TempDir())
	if err := k.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || r.Offline || r.Ticket.Code != "A001" {
		t.Fatalf("issue on the first address: %+v, %v", r, err)
	}
	first.Kill()
	r, err = k.Issue(ctx, "dat-dai", false, "vi")
	if err != nil || r.Offline || r.Ticket.Code != "A002" {
		t.Fatalf("issue after the first address died: %+v, %v (want A002, online)", r, err)
	}
	if !k.State().Online {
		t.Fatal("the kiosk went offline though the second address answers")
	}
	if err := k.Step(ctx); err != nil || !k.State().Online {
		t.Fatalf("the kiosk's poll after the failover: %v, online %v", err, k.State().Online)
	}
	if w := srv.App.Engine.Waiting([]string{"dat-dai"}); len(w) != 2 {
		t.Fatalf("%d tickets waiting on the server, want 2", len(w))
	}
}
