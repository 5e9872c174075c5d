//go:build !linux

package pgtest

import "syscall"

// sysProcAttr: running PostgreSQL as another user and tying it to this
// process are done on Linux only (where the tests and benchmarks run).
func sysProcAttr(u *owner, server bool) *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
