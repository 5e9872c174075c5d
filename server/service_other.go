//go:build !windows

package main

import (
	"context"
	"errors"
	"io"
)

// service is the Windows service command; elsewhere the OS's service
// manager runs the plain server (deploy/civiq-server.service for systemd).
func service(context.Context, []string, func(string) string, io.Writer, io.Writer) error {
	return errors.New("`server service` is for Windows; on Linux install deploy/civiq-server.service (docs/DEPLOY.md)")
}
