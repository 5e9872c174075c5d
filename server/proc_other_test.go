//go:build !unix

package main

import "os/exec"

// ownProcessGroup: no process groups to set up (Windows).
func ownProcessGroup(*exec.Cmd) {}

// signalGroup ends the server: Windows cannot send another process an
// interrupt, so both are a kill there.
func signalGroup(cmd *exec.Cmd, _ bool) { cmd.Process.Kill() }
