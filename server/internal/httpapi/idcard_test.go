package httpapi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civiq/civiq/internal/cccd"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/servertest"
)

const allDayHours = `{"mon":["00:00-24:00"],"tue":["00:00-24:00"],"wed":["00:00-24:00"],"thu":["00:00-24:00"],"fri":["00:00-24:00"],"sat":["00:00-24:00"],"sun":["00:00-24:00"]}`

// TestIDCardKeptAsHashOnly: a ticket issued with a citizen ID card keeps
// only the keyed hash of its number in the SQLite file (issue 17): the
// 12 digits appear in no file of the database, the hash does; a malformed
// card is refused with 400; the centre's cap refuses with 422 id_daily_cap.
func TestIDCardKeptAsHashOnly(t *testing.T) {
	const number = "079301004567"
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.AdminToken()
	body := `{"name":{"vi":"Trung tâm"},"timezone":"Asia/Ho_Chi_Minh","read_numbers":"number","id_daily_cap":1,"hours":` + allDayHours + `}`
	if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, body); st != 200 {
		t.Fatalf("put centre: %d %s", st, b)
	}
	issueBody := `{"service_id":"dat-dai","lang":"vi","id_card":{"number":"` + number + `","birth_year":1950}}`
	if st, b := call(t, "POST", srv.URL+"/api/v1/tickets", admin, issueBody); st != 201 && st != 200 {
		t.Fatalf("issue with id_card: %d %s", st, b)
	}
	st, b := call(t, "POST", srv.URL+"/api/v1/tickets", admin, issueBody)
	if st != 422 || !strings.Contains(string(b), `"id_daily_cap"`) {
		t.Fatalf("second ticket with cap 1: %d %s, want 422 id_daily_cap", st, b)
	}
	for _, bad := range []string{`{"number":"07930100456","birth_year":1950}`, `{"number":"07930100456x","birth_year":1950}`, `{"number":"` + number + `","birth_year":0}`} {
		st, b := call(t, "POST", srv.URL+"/api/v1/tickets", admin, `{"service_id":"dat-dai","id_card":`+bad+`}`)
		if st != 400 || !strings.Contains(string(b), "bad_request") {
			t.Errorf("id_card %s: %d %s, want 400 bad_request", bad, st, b)
		}
	}
	srv.Stop()

	files, _ := filepath.Glob(filepath.Join(srv.Dir, "civiq.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if bytes.Contains(all, []byte(number)) {
		t.Fatal("the ID number's digits are in the database file")
	}
	st2, err := sqlite.Open(context.Background(), filepath.Join(srv.Dir, "civiq.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var secret []byte
	if _, err := st2.Update(context.Background(), func(tx queue.Tx) error {
		secret = append(secret, tx.Secret()...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st2.Close()
	if len(secret) == 0 {
		t.Fatal("empty store secret")
	}
	if !bytes.Contains(all, cccd.Hash(secret, number)) {
		t.Fatal("the ID number's keyed hash is not in the database file")
	}
}
