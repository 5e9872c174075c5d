//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/civiq/civiq/server/internal/config"
)

// serviceName is the Windows service's name (sc query CiviQ).
const serviceName = "CiviQ"

// serviceAccount is the service's virtual account: Windows creates it with
// the service, it has no password and no rights beyond what is granted
// (like systemd's DynamicUser).
const serviceAccount = `NT SERVICE\` + serviceName

// service installs, removes or runs the server as a Windows service:
//
//	server service install [server flags...]   (as Administrator)
//	server service uninstall
//	server service run [server flags...]        (what the service manager starts)
func service(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: server service install|uninstall|run [server flags]")
	}
	switch args[0] {
	case "install":
		return serviceInstall(args[1:], getenv, stdout, stderr)
	case "uninstall":
		return serviceUninstall(stdout)
	case "run":
		return serviceRun(args[1:], getenv, stderr)
	}
	return fmt.Errorf("server service: unknown command %q (install, uninstall or run)", args[0])
}

func defaultServiceData(getenv func(string) string) string {
	pd := getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "CiviQ", "data")
}

// serviceInstall registers the service to start at boot with the given
// server flags (an absolute --data is added, default
// %ProgramData%\CiviQ\data), restarting 5 s after a crash, running as the
// virtual account NT SERVICE\CiviQ that may change only the data folder.
func serviceInstall(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Parse(withData(args, defaultServiceData(getenv)), getenv, stderr)
	if err != nil {
		return err
	}
	data, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("open the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return fmt.Errorf("service %s is already installed; run `server service uninstall` first", serviceName)
	}
	runArgs := append([]string{"service", "run"}, withData(args, data)...)
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		DisplayName:      "CiviQ queue server",
		Description:      "CiviQ queue-ticket server (HTTP " + cfg.Addr + ", data " + data + ")",
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: false,
		ServiceStartName: serviceAccount,
	}, runArgs...)
	if err != nil {
		return fmt.Errorf("create service: %w", err)
	}
	defer s.Close()
	// Restart after 5 s, whatever the number of failures (reset daily).
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
	}, 24*3600); err != nil {
		return fmt.Errorf("set restart on failure: %w", err)
	}
	// Also when the server stops itself with an error (port taken, disk
	// full), not only when the process dies.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("set restart on failure: %w", err)
	}
	// The virtual account may modify the data folder and nothing else.
	if out, err := exec.Command("icacls", data, "/grant", serviceAccount+":(OI)(CI)M", "/T", "/Q").CombinedOutput(); err != nil {
		return fmt.Errorf("grant %s the data folder: %v: %s", serviceAccount, err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(stdout, "service %s installed: %s %s\n", serviceName, exe, strings.Join(runArgs, " "))
	fmt.Fprintf(stdout, "start it with: sc start %s   (log: %s)\n", serviceName, filepath.Join(data, "server.log"))
	return nil
}

func serviceUninstall(stdout io.Writer) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("open the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("service %s is not installed", serviceName)
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		s.Control(svc.Stop)
		for i := 0; i < 60; i++ {
			if st, err := s.Query(); err != nil || st.State == svc.Stopped {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service: %w", err)
	}
	fmt.Fprintf(stdout, "service %s removed (the data folder is kept)\n", serviceName)
	return nil
}

// serviceRun is started by the service manager. Logs and the first-start
// passwords go to server.log in the data folder.
func serviceRun(args []string, getenv func(string) string, stderr io.Writer) error {
	if is, err := svc.IsWindowsService(); err != nil || !is {
		return errors.New("`server service run` is started by the Windows service manager; to run in a console, use `server` with the same flags")
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(cfg.DataDir, "server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	var h slog.Handler = slog.NewTextHandler(logf, &slog.HandlerOptions{Level: cfg.LogLevel})
	if cfg.LogJSON {
		h = slog.NewJSONHandler(logf, &slog.HandlerOptions{Level: cfg.LogLevel})
	}
	log := slog.New(h)
	return svc.Run(serviceName, &winService{cfg: cfg, log: log, out: logf})
}

type winService struct {
	cfg config.Config
	log *slog.Logger
	out io.Writer
}

// Execute runs the server until the service manager asks it to stop.
func (w *winService) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, w.cfg, w.log, w.out) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			if err != nil {
				w.log.Error("server stopped", "err", err)
				return true, 1 // a failure: the recovery actions restart it
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32((w.cfg.ShutdownTimeout + 5*time.Second) / time.Millisecond)}
				cancel()
				if err := <-done; err != nil {
					w.log.Error("shutdown", "err", err)
				}
				return false, 0
			}
		}
	}
}
