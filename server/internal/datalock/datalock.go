// Package datalock is the exclusive lock a CiviQ server holds on its data
// folder while it runs: an OS file lock (flock on Unix, LockFileEx on
// Windows) on the file civiq.lock in the folder. The OS drops it when the
// process ends, even after kill -9 or a power cut, so a stale file never
// blocks a start. `server restore` takes the same lock and refuses to
// replace a store that a running server has open.
package datalock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the lock file inside the data folder.
const FileName = "civiq.lock"

// ErrLocked means another process holds the data folder's lock.
var ErrLocked = errors.New("the data folder is in use by a running CiviQ server")

// Lock is a held lock; Release gives it back.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of dir without waiting. It returns an error
// wrapping ErrLocked when another process (or another Lock in this one)
// holds it.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (%s is locked)", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock back. The file stays: removing it would race with
// another process that has just opened it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
