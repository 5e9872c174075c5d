//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the server in its own process group, so a signal
// reaches it even under strace.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends SIGKILL (kill) or SIGINT to the server's process group.
func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGINT
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-cmd.Process.Pid, sig)
}
