// Command kiosk is the CiviQ touch kiosk: citizens pick a field and get a
// printed ticket; it keeps issuing from leased numbers while the server is
// unreachable. See docs/KIOSK.md.
package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/internal/pairing"
	"github.com/civiq/civiq/internal/voice/espeak"
	"github.com/civiq/civiq/internal/voice/speaker"
	"github.com/civiq/civiq/kiosk/internal/config"
	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/scanner"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/kiosk/internal/ui"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// version is set by the linker (Makefile).
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

// run wires the kiosk: config, client, printer, spool, logic and screens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "pair" {
		// kiosk pair CODE --server URL --token-file FILE: the one-time
		// code from /admin becomes the token file.
		return pairing.Run(ctx, protocol.RoleKiosk, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "hash-pin" {
		// kiosk hash-pin < pin: the hash for admin_pin_hash.
		pin, err := io.ReadAll(io.LimitReader(os.Stdin, 64))
		if err != nil {
			return err
		}
		h, err := config.HashPIN(string(pin))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, h)
		return nil
	}
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for _, w := range cfg.Warnings {
		log.Warn(w, "file", cfg.File)
	}
	cl, err := client.NewMulti(cfg.Servers, cfg.Token)
	if err != nil {
		return err
	}
	pr, err := printer.Open(cfg.Printer)
	if err != nil {
		return err
	}
	defer pr.Close()
	sp, err := spool.Open(cfg.Spool)
	if err != nil {
		return err
	}
	width := ticket.Width58mm
	if cfg.Paper == 80 {
		width = ticket.Width80mm
	}
	k, err := issuer.New(issuer.Options{Client: cl, Printer: pr, Spool: sp, Width: width, LeaseSize: cfg.Lease,
		Poll: cfg.Poll, Heartbeat: cfg.Heartbeat, Log: log, Version: version})
	if err != nil {
		return err
	}
	a := fyneapp.NewWithID("vn.civiq.kiosk")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	maint := ui.Maintenance{Exit: cancel, Server: cfg.Server, Version: version,
		PrinterTest: func(ctx context.Context) error { p, w := k.Printer(); return p.Print(ctx, ui.TestPage(w)) },
		Printer:     ui.PrinterSetup{Spec: cfg.Printer, Paper: cfg.Paper, ConfigFile: cfg.File}}
	if cfg.AdminPINHash != "" {
		maint.PINHash = []byte(cfg.AdminPINHash)
	}
	opts := ui.Options{Lang: cfg.Lang, Idle: cfg.Idle, Confirm: cfg.Confirm, LargeText: cfg.LargeText, Maint: maint}
	if !cfg.NoSound {
		opts.Voice, err = newVoice(ctx, log)
		if err != nil {
			return err
		}
	}
	u, err := ui.New(a, k, opts)
	if err != nil {
		return err
	}
	w := a.NewWindow("CiviQ – Ki-ốt lấy số")
	w.SetContent(u.Content())
	u.Keys(w.Canvas()) // a USB numeric keypad chooses by the keys on the tiles
	w.SetFullScreen(cfg.Fullscreen)
	if !cfg.Fullscreen {
		// The screens are laid out for 1920×1080 (or 1080×1920) units; a
		// smaller window keeps that layout with FYNE_SCALE (make run: 0.6).
		w.Resize(fyne.NewSize(1920, 1080))
	}
	u.Attach()
	go k.Run(ctx)
	if cfg.Scanner != "" {
		go scanner.Run(ctx, cfg.Scanner, time.Second, log, u.Scanned)
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	log.Info("kiosk started", "server", cfg.Server, "printer", cfg.Printer, "scanner", cfg.Scanner, "spool", cfg.Spool, "version", version)
	fmt.Fprintln(stdout, "kiosk: running; spool", cfg.Spool)
	w.ShowAndRun()
	return nil
}

// newVoice is the kiosk's speaker: the displays' clips, and field names
// spoken by espeak-ng when it is installed (else only the keys' numbers
// are heard). Without a sound device it is silent.
func newVoice(ctx context.Context, log *slog.Logger) (ui.Voice, error) {
	sounds, err := fs.Sub(assets.FS, "sounds")
	if err != nil {
		return nil, err
	}
	cfg := speaker.Config{Sounds: []fs.FS{sounds}, Logger: log}
	if synth, err := espeak.Find(); err == nil {
		cfg.Synth = synth
	} else {
		log.Info("kiosk: spoken guidance reads the keys only (field names need espeak-ng)", "err", err)
	}
	return speaker.New(ctx, cfg), nil
}
