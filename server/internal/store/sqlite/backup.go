package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/civiq/civiq/server/internal/store"
)

// BackupInfo describes a database file: a backup or a live store.
type BackupInfo struct {
	Path          string
	Epoch         string
	SchemaVersion int
	LastSeq       int64
	Tickets       int64
	Bytes         int64
}

// Backup writes a consistent copy of the store at dbPath to dest with
// VACUUM INTO: one read transaction, so the copy is a snapshot of one
// moment, taken while a server keeps writing (WAL readers never block the
// writer). The copy is written under a temporary name, checked, synced and
// then renamed, so dest is either absent or complete. dest must not exist.
func Backup(ctx context.Context, dbPath, dest string) (BackupInfo, error) {
	if _, err := os.Stat(dbPath); err != nil {
		return BackupInfo{}, fmt.Errorf("no store at %s: %w", dbPath, err)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("%s already exists", dest)
	}
	db, err := sql.Open("sqlite", dsn(dbPath, "busy_timeout(10000)"))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tmp := dest + ".partial"
	os.Remove(tmp)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	info, err := Inspect(ctx, tmp)
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, dest)
	}
	if err == nil {
		err = syncDir(filepath.Dir(dest))
	}
	if err != nil {
		os.Remove(tmp)
		return BackupInfo{}, err
	}
	info.Path = dest
	return info, nil
}

// Inspect opens a database file read-only, checks its integrity and that it
// is a CiviQ store this build can open, and describes it.
func Inspect(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	db, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "query_only(1)"))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	info := BackupInfo{Path: path, Bytes: st.Size()}
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&check); err != nil {
		return info, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if check != "ok" {
		return info, fmt.Errorf("%s is damaged: %s", path, check)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&info.SchemaVersion); err != nil {
		return info, err
	}
	if info.SchemaVersion < 1 {
		return info, fmt.Errorf("%s is not a CiviQ store (no schema)", path)
	}
	if info.SchemaVersion > SchemaVersion() {
		return info, fmt.Errorf("%s has schema version %d, newer than this server knows (%d); use a newer CiviQ server", path, info.SchemaVersion, SchemaVersion())
	}
	if err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&info.Epoch); err != nil {
		return info, fmt.Errorf("%s is not a CiviQ store: %w", path, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&info.LastSeq); err != nil {
		return info, fmt.Errorf("%s is not a CiviQ store: %w", path, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets`).Scan(&info.Tickets); err != nil {
		return info, fmt.Errorf("%s is not a CiviQ store: %w", path, err)
	}
	return info, nil
}

// Restore replaces the store at dbPath with the backup src. The caller must
// hold the data folder's lock (no server may have the store open). The
// restored store gets a new event epoch (DESIGN.md invariant 4): its
// history is not the one clients followed, so they take a fresh snapshot.
// The store it replaces, if any, is kept next to it under a
// ".before-restore-<time>" name, with its WAL. It returns the restored
// store's description and where the old one went ("" if there was none).
func Restore(ctx context.Context, src, dbPath string, now time.Time) (info BackupInfo, kept string, err error) {
	if _, err := Inspect(ctx, src); err != nil {
		return BackupInfo{}, "", err
	}
	tmp := dbPath + ".restoring"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
		os.Remove(p)
	}
	defer func() {
		if err != nil {
			for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
				os.Remove(p)
			}
		}
	}()
	if err := copyFile(src, tmp); err != nil {
		return BackupInfo{}, "", err
	}
	if err := newEpoch(ctx, tmp); err != nil {
		return BackupInfo{}, "", err
	}
	if info, err = Inspect(ctx, tmp); err != nil {
		return BackupInfo{}, "", err
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, "", err
	}
	if _, err := os.Stat(dbPath); err == nil {
		kept = dbPath + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		// The old WAL belongs to the old file: both move under the new name.
		for _, sfx := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+sfx, kept+sfx); err != nil && !errors.Is(err, os.ErrNotExist) {
				return BackupInfo{}, "", fmt.Errorf("keep the old store: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return BackupInfo{}, kept, err
	}
	if err := syncDir(filepath.Dir(dbPath)); err != nil {
		return BackupInfo{}, kept, err
	}
	info.Path = dbPath
	return info, kept, nil
}

// newEpoch gives the database at path a fresh event epoch and leaves it as
// a single file (no WAL beside it).
func newEpoch(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, "busy_timeout(10000)", "synchronous(FULL)"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	res, err := db.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'epoch'`, store.NewEpoch())
	if err != nil {
		return fmt.Errorf("sqlite: new epoch: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New("sqlite: new epoch: no epoch row")
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return err
	}
	return db.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename durable. Windows cannot sync a folder (NTFS
// journals the rename itself).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
