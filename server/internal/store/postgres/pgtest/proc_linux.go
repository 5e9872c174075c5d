package pgtest

import "syscall"

// sysProcAttr runs a PostgreSQL binary as u (nil: the current user) in a
// process group of its own; the server itself also dies with this process.
func sysProcAttr(u *owner, server bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if u != nil {
		a.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}
	}
	if server {
		a.Pdeathsig = syscall.SIGQUIT
	}
	return a
}
