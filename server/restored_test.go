package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// firstEvent subscribes from (since, epoch) and returns the first event
// the server sends.
func firstEvent(t *testing.T, c *client.Client, since int64, epoch string) protocol.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var first protocol.Event
	err := c.Subscribe(ctx, client.SubscribeOptions{Since: since, Epoch: epoch}, func(ev protocol.Event) error {
		first = ev
		cancel()
		return nil
	})
	if first.Type == "" {
		t.Fatalf("no event since %d: %v", since, err)
	}
	return first
}

// TestPostgresRestoreNewEpoch: a PostgreSQL database restored from a
// pg_dump, into a new database or over the old one with --clean, starts
// under a new event epoch, so a display that resumes with its old seq gets
// a snapshot holding what the dump held; a restart without a restore keeps
// the epoch; `server restored` (for physical restores) makes a new one.
func TestPostgresRestoreNewEpoch(t *testing.T) {
	ctx := context.Background()
	bin, err := pgtest.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	pg := sharedPostgres(t)
	pgRun := func(name string, args ...string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, filepath.Join(bin, name), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}

	url := pg.Database(t)
	srv := servertest.Start(t, servertest.Options{DB: url, NoRateLimits: true})
	dumped := srv.Issue("dat-dai", false)
	seq0, epoch0 := srv.App.Engine.Seq()
	srv.Restart()
	if seq, epoch := srv.App.Engine.Seq(); seq != seq0 || epoch != epoch0 {
		t.Fatalf("a restart moved seq/epoch: %d %s, was %d %s", seq, epoch, seq0, epoch0)
	}
	dump := filepath.Join(t.TempDir(), "civiq.dump")
	pgRun("pg_dump", "--format=custom", "--file="+dump, url)
	// After the dump, the centre goes on: a ticket, an event the restored
	// database will not have, and whose seq it will hand out again.
	srv.Issue("dat-dai", false)
	seq1, _ := srv.App.Engine.Seq()
	srv.Stop()

	check := func(what, url string) string {
		t.Helper()
		s := servertest.Start(t, servertest.Options{DB: url, NoRateLimits: true})
		defer s.Stop()
		seq, epoch := s.App.Engine.Seq()
		if epoch == epoch0 || seq >= seq1 {
			t.Fatalf("%s: epoch %s seq %d, want a new epoch (old %s) and the dump's seq (< %d)", what, epoch, seq, epoch0, seq1)
		}
		ev := firstEvent(t, s.Client(s.DeviceToken("display", "Màn hình")), seq1, epoch0)
		if ev.Type != protocol.EventSnapshot || ev.Epoch != epoch {
			t.Fatalf("%s: a display resuming from seq %d got %s in epoch %s, want a snapshot in %s", what, seq1, ev.Type, ev.Epoch, epoch)
		}
		if tk, err := s.Client("").Ticket(ctx, dumped.Token); err != nil || tk.ID != dumped.ID {
			t.Fatalf("%s: the dumped ticket: %v %v", what, tk.ID, err)
		}
		s.Restart()
		if _, again := s.App.Engine.Seq(); again != epoch {
			t.Fatalf("%s: a restart after the restore changed the epoch again (%s, %s)", what, epoch, again)
		}
		return epoch
	}
	// Into a new database.
	_, other, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pgRun("pg_restore", "--exit-on-error", "--dbname="+other, dump)
	check("restored into a new database", other)
	// Over the old database.
	pgRun("pg_restore", "--exit-on-error", "--clean", "--if-exists", "--dbname="+url, dump)
	epoch2 := check("restored over the old database", url)

	// A physical restore is not seen: server restored makes the epoch.
	var out bytes.Buffer
	if err := run(ctx, []string{"restored", "--db", url}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, servertest.Options{DB: url})
	if _, epoch := s.App.Engine.Seq(); epoch == epoch2 || !strings.Contains(out.String(), epoch) {
		t.Fatalf("after server restored: epoch %s (was %s), output %q", epoch, epoch2, out.String())
	}
	if err := run(ctx, []string{"restored", "--db", "sqlite:///x.db"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Fatal("server restored took a SQLite URL")
	}
}

// TestProvinceRestoredEveryCentre: with several centres in one database,
// `server restored` gives each of them (the default one and every
// centre_* schema) a new epoch of its own, and `--centre-id` only the one
// named; the epochs are seen by a display resuming on a server started
// afterwards.
func TestProvinceRestoredEveryCentre(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pg := sharedPostgres(t)
	url := pg.Database(t)
	env := provinceEnv()
	// serve starts an instance, reads every centre's epoch (the snapshot
	// a province supervisor's websocket gets) and stops it.
	centres := []string{"default", "xa-a", "xa-b"}
	var tok string
	serve := func(setup func(addr string)) map[string]string {
		t.Helper()
		sctx, stop := context.WithCancel(ctx)
		defer stop()
		addr := startProvince(t, sctx, url, env)
		r := provinceRig{t: t, ctx: sctx}
		tok = r.login(addr, "province", provincePW, 200)
		if setup != nil {
			setup(addr)
		}
		out := map[string]string{}
		for _, id := range centres {
			prefix := "/c/" + id
			if id == "default" {
				prefix = ""
			}
			out[id] = firstEvent(t, r.at(addr, prefix, tok), 0, "").Epoch
		}
		return out
	}
	before := serve(func(addr string) {
		r := provinceRig{t: t, ctx: ctx}
		for _, id := range centres[1:] {
			r.want(r.at(addr, "", tok), "POST", "/api/v1/province/centres", map[string]string{"id": id, "name": id}, nil, 201)
		}
	})
	if before["xa-a"] == "" || before["xa-a"] == before["default"] || before["xa-a"] == before["xa-b"] {
		t.Fatalf("each centre's epoch: %v", before)
	}
	restored := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, append([]string{"restored", "--db", url}, args...), func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	out := restored()
	after := serve(nil)
	for _, id := range centres {
		if after[id] == before[id] || !strings.Contains(out, "centre "+id+": new event epoch "+after[id]) {
			t.Fatalf("centre %s after server restored: epoch %s (was %s), output %q", id, after[id], before[id], out)
		}
	}
	out = restored("--centre-id", "xa-b")
	again := serve(nil)
	if again["xa-b"] == after["xa-b"] || again["xa-a"] != after["xa-a"] || again["default"] != after["default"] || !strings.Contains(out, again["xa-b"]) {
		t.Fatalf("--centre-id xa-b: epochs %v, were %v; output %q", again, after, out)
	}
	for _, bad := range []string{"Xa B", "xa-zz"} {
		if err := run(ctx, []string{"restored", "--db", url, "--centre-id", bad}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
			t.Fatalf("server restored --centre-id %q succeeded", bad)
		}
	}
}
