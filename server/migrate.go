package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/civiq/civiq/server/internal/dirlock"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/internal/store/sqlitefile"
)

// migrate copies a centre from its SQLite store into an empty PostgreSQL
// database:
//
//	server migrate --from sqlite:///path/to/civiq.db --to postgres://…
//
// The source is read in one read transaction (a snapshot). When it is a
// data folder's civiq.db and no server holds that folder, the folder is
// locked for the copy (no server can start on it meanwhile) and the copy
// keeps the event epoch: its log is the same history with the same seqs,
// so clients resume with since. Otherwise (a server still writes to the
// source, or the source is a backup file) clients may have seen events the
// copy lacks, so the copy gets a new epoch and clients reload.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the SQLite store: sqlite:///path/to/civiq.db (or a plain path)")
	to := fs.String("to", "", "the empty PostgreSQL database: postgres://user:password@host/db")
	newEpoch := fs.Bool("new-epoch", false, "give the copy a new event epoch even when the source is a stopped server's store")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server migrate --from sqlite:///path/to/civiq.db --to postgres://user:password@host/db")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *from == "" || *to == "" {
		fs.Usage()
		return errors.New("migrate: give --from and --to")
	}
	path := strings.TrimPrefix(*from, "sqlite://")
	if path == "" {
		return errors.New("migrate: --from names no file")
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		return errors.New("migrate: --to must be a postgres:// URL")
	}
	target := *to
	if u, err := url.Parse(*to); err == nil {
		target = u.Redacted()
	}
	// Is a server writing to the source? Only a data folder's store can
	// tell (its lock); a file elsewhere is a backup.
	running, isStore := false, filepath.Base(path) == "civiq.db"
	if isStore {
		lock, err := dirlock.Acquire(filepath.Dir(path))
		switch {
		case errors.Is(err, dirlock.ErrLocked):
			running = true
			fmt.Fprintf(stderr, "migrate: WARNING: a server is running on %s: the copy is a snapshot of this moment, and what it does afterwards will not be in PostgreSQL. Stop it before switching over.\n", filepath.Dir(path))
		case err != nil:
			return fmt.Errorf("migrate: %w", err)
		default:
			defer lock.Release()
		}
	}
	// Integrity, schema and meta first, with clear words: nothing is
	// written to PostgreSQL from a damaged or foreign file.
	info, err := sqlite.Inspect(ctx, path)
	if err != nil {
		return fmt.Errorf("migrate: source: %w", err)
	}
	if info.SchemaVersion != sqlite.SchemaVersion() {
		return fmt.Errorf("migrate: source %s has schema version %d; this server migrates version %d: start this version's server on it once (it upgrades the file), stop it, then migrate", path, info.SchemaVersion, sqlite.SchemaVersion())
	}
	src, err := sqlitefile.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("migrate: source: %w", err)
	}
	defer src.Close()
	opts := postgres.MigrateOptions{NewEpoch: *newEpoch || running || !isStore,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	sum, err := postgres.CopyFromSQLite(ctx, *to, src, opts)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(stdout, "migrate: %s → %s (PostgreSQL schema %d) in %s\n", path, target, sum.SchemaVersion, sum.Took.Round(1e6))
	var parts []string
	sampled := 0
	for _, t := range sum.Tables {
		parts = append(parts, fmt.Sprintf("%s %d", t.Table, t.Target))
		sampled += t.Sampled
	}
	fmt.Fprintf(stdout, "migrate: rows: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(stdout, "migrate: verified: row counts of %d tables equal, last event seq %d in both, %d sampled rows equal field by field\n", len(sum.Tables), sum.LastSeq, sampled)
	if sum.EpochKept {
		fmt.Fprintf(stdout, "migrate: event epoch %s kept: displays and pages resume with their last seq\n", sum.Epoch)
	} else {
		fmt.Fprintf(stdout, "migrate: new event epoch %s: displays and pages reload their state once\n", sum.Epoch)
	}
	fmt.Fprintf(stdout, "migrate: done; start the servers with --db %s\n", target)
	return nil
}
