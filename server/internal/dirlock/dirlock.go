// Package dirlock makes one process the sole user of a data folder: an
// exclusive operating-system lock on a file in the folder, held while the
// process runs and released by the system when it ends, even by kill -9.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileName is the lock file inside the data folder. It holds the PID of
// the process that holds the lock.
const FileName = "civiq.lock"

// Lock is a held folder lock.
type Lock struct {
	f *os.File
}

// ErrLocked is wrapped by the error of Acquire when another process holds
// the folder.
var ErrLocked = errors.New("data folder in use")

// Acquire takes the folder's lock at once or fails: with ErrLocked (and the
// holder's PID in the message) when another process holds it.
func Acquire(dir string) (*Lock, error) {
	name := filepath.Join(dir, FileName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		// A read-only folder can still be locked (through a file that
		// exists); the store then reports why it cannot write.
		var rerr error
		if f, rerr = os.Open(name); rerr != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
	}
	if err := lockFile(f); err != nil {
		pid := holder(f)
		f.Close()
		abs, _ := filepath.Abs(dir)
		if abs == "" {
			abs = dir
		}
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w: %s is used by another CiviQ server (PID %s); stop it first, or give this one another --data folder",
				ErrLocked, abs, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// The PID is for the error message of the next process only; the lock
	// itself is the operating system's.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		f.Sync()
	}
	return &Lock{f: f}, nil
}

// holder reads the PID written by the lock's holder.
func holder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}

// Release gives the folder up (the process's end does too).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	unlockFile(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}
