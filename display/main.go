// Command display is the CiviQ hall display: a full-screen Fyne window that
// shows each open counter with its current ticket, the newest call large and
// blinking, the recent calls, the waiting counts, the centre's name, date,
// clock and notice, and plays the chime and voice call-out of every call
// exactly once. It follows the server by itself through any fault.
//
//	display --server http://10.0.0.2:8080 --token-file /etc/civiq/display.token
//
// Settings come from flags, CIVIQ_* environment variables and a config file
// (--config); see docs/CONFIG.md.
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
	"fyne.io/fyne/v2/app"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/display/internal/config"
	"github.com/civiq/civiq/display/internal/feed"
	"github.com/civiq/civiq/display/internal/view"
	"github.com/civiq/civiq/internal/pairing"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/speaker"
	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// version is set by the build (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "display:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "pair" {
		// display pair CODE --server URL --token-file FILE: the one-time
		// code from /admin becomes the token file.
		env := func(k string) string {
			if k == "CIVIQ_TOKEN_FILE" {
				return getenv("CIVIQ_DISPLAY_TOKEN_FILE")
			}
			return getenv(k)
		}
		return pairing.Run(ctx, protocol.RoleDisplay, args[1:], env, stdout, stderr)
	}
	cfg, err := config.Parse(args, getenv, config.ReadFile, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	for _, w := range cfg.Warnings {
		log.Warn(w, "file", cfg.File)
	}
	cl, err := client.NewMulti(cfg.Servers, cfg.Token)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Sound: a centre's recordings first, the shipped clips last.
	var ann *announce.Announcer
	if !cfg.NoSound {
		shipped, err := fs.Sub(assets.FS, "sounds")
		if err != nil {
			return err
		}
		sounds := []fs.FS{shipped}
		if cfg.Sounds != "" {
			sounds = []fs.FS{os.DirFS(cfg.Sounds), shipped}
		}
		player := speaker.New(ctx, speaker.Config{Sounds: sounds, Logger: log})
		ann = announce.New(announce.Config{
			Player:  player,
			Options: announce.Options{English: cfg.Voice == config.VoiceViEn},
			Logger:  log,
		})
		defer ann.Close()
	}

	th, err := view.NewTheme()
	if err != nil {
		return err
	}
	a := app.NewWithID("vn.civiq.display")
	a.Settings().SetTheme(th)
	w := a.NewWindow("CiviQ – Màn hình gọi số")
	board := view.NewBoard()
	board.HideCursor(cfg.Fullscreen)
	w.SetContent(board)
	w.Resize(fyne.NewSize(1280, 720))
	w.SetFullScreen(cfg.Fullscreen)
	w.SetPadded(false)

	langs := map[string][]string{
		config.LangVI:        {protocol.LangVI},
		config.LangEN:        {protocol.LangEN},
		config.LangAlternate: {protocol.LangVI, protocol.LangEN},
	}[cfg.Lang]
	ctl := view.NewController(board, langs, time.Now())
	ctl.Update(protocol.Board{}, protocol.Event{}, false, time.Now())

	var announcer feed.Announcer
	if ann != nil {
		announcer = ann
	}
	readNumbers := ""
	f := feed.New(feed.Config{
		Client:    cl,
		Announcer: announcer,
		Logger:    log,
		Version:   version,
		OnUpdate: func(u feed.Update) {
			if ann != nil && u.Board.Centre != nil && u.Board.Centre.ReadNumbers != readNumbers {
				readNumbers = u.Board.Centre.ReadNumbers
				ann.SetOptions(announce.Options{ReadNumbers: readNumbers, English: cfg.Voice == config.VoiceViEn})
			}
			now := time.Now()
			fyne.Do(func() {
				ctl.SetRefused(u.Refused)
				ctl.SetStorageDown(u.StorageDown)
				ctl.Update(u.Board, u.Event, u.Online, now)
			})
		},
	})
	go f.Run(ctx)
	go ctl.Run(ctx, time.Now, 120)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	log.Info("display started", "server", cfg.Server, "fullscreen", cfg.Fullscreen, "lang", cfg.Lang, "sound", !cfg.NoSound)
	fmt.Fprintln(stdout, "CiviQ display following", cfg.Server)
	w.ShowAndRun()
	return nil
}
