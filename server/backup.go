package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/dirlock"
	"github.com/civiq/civiq/server/internal/store/postgres"
	"github.com/civiq/civiq/server/internal/store/sqlite"
)

// backup writes a consistent copy of the data folder's store into a folder:
//
//	server backup [--data DIR] DEST
//
// It works while the server runs (SQLite VACUUM INTO: one read transaction).
// The copy is named civiq-YYYYMMDD-HHMMSS.db (UTC) and is checked before
// its name is printed.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if getenv("CIVIQ_DB") != "" {
		return errors.New("backup: CIVIQ_DB is set: the PostgreSQL store is backed up and restored with PostgreSQL's own tools (pg_dump, pg_basebackup; docs/DEPLOY.md, section 9); server backup works on the SQLite store of --data")
	}
	fs := flag.NewFlagSet("server backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", cmp.Or(getenv("CIVIQ_DATA"), "./data"), "data folder of the SQLite store (env CIVIQ_DATA)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server backup [--data DIR] DEST-FOLDER")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: give exactly one destination folder")
	}
	dest := fs.Arg(0)
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	file := filepath.Join(dest, "civiq-"+time.Now().UTC().Format("20060102-150405")+".db")
	info, err := sqlite.Backup(ctx, filepath.Join(*data, "civiq.db"), file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup: %s (%d bytes, %d tickets, last event %d, epoch %s)\n", info.Path, info.Bytes, info.Tickets, info.LastSeq, info.Epoch)
	return nil
}

// restore replaces the data folder's store with a backup:
//
//	server restore [--data DIR] FILE
//
// It refuses while a server runs on the folder (it takes the same lock as
// the server), keeps the replaced store beside it, and gives the restored
// store a new event epoch so connected clients reload their state.
func restore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if getenv("CIVIQ_DB") != "" {
		return errors.New("restore: CIVIQ_DB is set: the PostgreSQL store is restored with PostgreSQL's own tools (pg_restore, point-in-time recovery, then server restored; docs/DEPLOY.md, section 9); server restore works on the SQLite store of --data")
	}
	fs := flag.NewFlagSet("server restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", cmp.Or(getenv("CIVIQ_DATA"), "./data"), "data folder of the SQLite store (env CIVIQ_DATA)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server restore [--data DIR] BACKUP-FILE   (stop the server first)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("restore: give exactly one backup file")
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	lock, err := dirlock.Acquire(*data)
	if err != nil {
		if errors.Is(err, dirlock.ErrLocked) {
			return fmt.Errorf("restore refused, stop the server first: %w", err)
		}
		return fmt.Errorf("restore: %w", err)
	}
	defer lock.Release()
	info, kept, err := sqlite.Restore(ctx, fs.Arg(0), filepath.Join(*data, "civiq.db"), time.Now())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restore: %s now holds %s (%d tickets, last event %d, new epoch %s)\n", info.Path, fs.Arg(0), info.Tickets, info.LastSeq, info.Epoch)
	if kept != "" {
		fmt.Fprintf(stdout, "restore: the previous store is kept as %s\n", kept)
	}
	return nil
}

// restored gives a restored PostgreSQL database a new event epoch:
//
//	server restored --db postgres://…
//
// A database restored from a dump (pg_restore, psql) gets one by itself
// when the first server starts on it; one brought back by a physical copy
// (pg_basebackup, point-in-time recovery, a disk snapshot) cannot be told
// from the original, so run this before starting the servers. Displays
// and pages then reload their state instead of resuming with seqs the
// database will hand out again.
func restored(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server restored", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", getenv("CIVIQ_DB"), "postgres://… URL of the restored database (env CIVIQ_DB)")
	centreID := fs.String("centre-id", "", "only this centre of a province (its id, as in /c/{id}/; \"default\": the public schema); empty: every centre of the database")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: server restored --db postgres://… [--centre-id ID]   (stop the servers first)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *db == "" {
		fs.Usage()
		return errors.New("restored: give --db")
	}
	if !strings.HasPrefix(*db, "postgres://") && !strings.HasPrefix(*db, "postgresql://") {
		return errors.New("restored: --db must be a postgres:// URL (a SQLite store gets its new epoch from server restore)")
	}
	epochs, err := postgres.NewEpoch(ctx, *db, *centreID)
	if err != nil {
		return fmt.Errorf("restored: %w", err)
	}
	for _, id := range slices.Sorted(maps.Keys(epochs)) {
		if len(epochs) == 1 && id == "default" {
			fmt.Fprintf(stdout, "restored: new event epoch %s; displays and pages reload their state when they reconnect\n", epochs[id])
		} else {
			fmt.Fprintf(stdout, "restored: centre %s: new event epoch %s\n", id, epochs[id])
		}
	}
	if len(epochs) > 1 || epochs["default"] == "" {
		fmt.Fprintln(stdout, "restored: displays and pages reload their state when they reconnect")
	}
	return nil
}
