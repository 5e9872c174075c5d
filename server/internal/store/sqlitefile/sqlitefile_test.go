package sqlitefile

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotWhileWritten: everything read through one File comes from
// the moment it was opened, while another connection keeps writing (as a
// running server does); the file is never written; a missing file, a
// folder or a file that is not SQLite is refused with a clear error and
// not created.
func TestSnapshotWhileWritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "civiq.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExecContext(ctx, `CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL);
		CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
		INSERT INTO meta VALUES ('epoch', 'e1');
		INSERT INTO events (type) VALUES ('a'), ('b'), ('c');
		DELETE FROM events WHERE seq = 3;
		PRAGMA user_version = 7`); err != nil {
		t.Fatal(err)
	}
	f, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.ExecContext(ctx, `INSERT INTO events (type) VALUES ('d'), ('e'); UPDATE meta SET value = 'e2'`); err != nil {
		t.Fatalf("a writer beside the reader: %v", err)
	}
	if n, err := f.Count(ctx, "events"); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want the 2 rows of the snapshot", n, err)
	}
	// The deleted last row's seq stays handed out (AUTOINCREMENT).
	if n, err := f.Sequence(ctx, "events", "seq"); err != nil || n != 3 {
		t.Fatalf("sequence = %d, %v; want 3", n, err)
	}
	if v, err := f.Meta(ctx, "epoch"); err != nil || v != "e1" {
		t.Fatalf("meta epoch = %q, %v; want the snapshot's e1", v, err)
	}
	if v, err := f.SchemaVersion(ctx); err != nil || v != 7 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	b, err := f.Read(ctx, "events", Cols("seq, type"), "", "seq")
	if err != nil || len(b.Rows) != 2 || b.Rows[1][1] != "b" {
		t.Fatalf("read: %+v, %v", b, err)
	}
	if _, err := f.Meta(ctx, "secret"); err == nil || !strings.Contains(err.Error(), "not a CiviQ store") {
		t.Fatalf("missing meta key: %v", err)
	}
	if tables, err := f.Tables(ctx); err != nil || strings.Join(tables, ",") != "events,meta" {
		t.Fatalf("tables %v, %v", tables, err)
	}
	if cols, err := f.Columns(ctx, "events"); err != nil || strings.Join(cols, ",") != "seq,type" {
		t.Fatalf("columns %v, %v", cols, err)
	}

	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.db"), "no such file"},
		{dir, "is a folder"},
		{junk, "not a readable SQLite database"},
	} {
		if f, err := Open(ctx, c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			if f != nil {
				f.Close()
			}
			t.Errorf("open %s: %v, want %q", c.path, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
		t.Errorf("open created the missing file: %v", err)
	}
}
