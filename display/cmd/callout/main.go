// Command callout speaks or renders one call-out, to check the voice clips
// without a server: after replacing clips with recordings, a centre can hear
// (or write to a file) a whole sentence.
//
//	callout [-play] [-o call.wav] [-digits] [-en] [-recall] [-short] [-sounds DIR] CODE COUNTER
//	callout -list
//
// Example: callout -o /tmp/call.wav A012 5 writes "Mời công dân có số A012
// đến quầy số 5" as a WAV file; -play plays it on the default sound device.
// -sounds names a folder of clips that replace the shipped ones.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/speaker"
	"github.com/civiq/civiq/internal/voice/wav"
	"github.com/civiq/civiq/server/protocol"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "callout:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("callout", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		play   = fl.Bool("play", false, "play the call-out on the default sound device")
		out    = fl.String("o", "", "write the call-out to this WAV file")
		digits = fl.Bool("digits", false, "read the number digit by digit")
		en     = fl.Bool("en", false, "add the English call-out")
		recall = fl.Bool("recall", false, "announce a recall")
		short  = fl.Bool("short", false, "the short form used when calls pile up")
		dir    = fl.String("sounds", "", "folder of clips that replace the shipped ones")
		list   = fl.Bool("list", false, "list every clip name and exit")
	)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *list {
		for _, c := range announce.Clips() {
			fmt.Fprintln(stdout, c)
		}
		return nil
	}
	if fl.NArg() != 2 {
		return errors.New("usage: callout [flags] CODE COUNTER (see -h)")
	}
	counter, err := strconv.Atoi(fl.Arg(1))
	if err != nil {
		return fmt.Errorf("counter %q: %w", fl.Arg(1), err)
	}
	opts := announce.Options{ReadNumbers: protocol.ReadAsNumber, English: *en, Short: *short}
	if *digits {
		opts.ReadNumbers = protocol.ReadAsDigits
	}
	call := protocol.Call{
		Ticket:  protocol.Ticket{Code: fl.Arg(0)},
		Counter: protocol.Counter{Number: counter},
		Recall:  *recall,
	}
	shipped, err := fs.Sub(assets.FS, "sounds")
	if err != nil {
		return err
	}
	sounds := []fs.FS{shipped}
	if *dir != "" {
		sounds = []fs.FS{os.DirFS(*dir), shipped}
	}

	clips := announce.Script(call, opts)
	sound, clipErr := speaker.Assemble(sounds, clips)
	fmt.Fprintf(stdout, "text:     %s\nclips:    %s\nduration: %.2f s\n",
		announce.ReadCode(call.Ticket.Code, opts.ReadNumbers), strings.Join(clips, " "), sound.Duration())
	if clipErr != nil {
		fmt.Fprintln(stderr, "callout:", clipErr)
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := wav.Encode(f, sound); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *play {
		log := slog.New(slog.NewTextHandler(stderr, nil))
		p := speaker.New(ctx, speaker.Config{Sounds: sounds, Logger: log})
		ctx, cancel := context.WithTimeout(ctx, announce.DefaultTimeout)
		defer cancel()
		start := time.Now()
		if err := p.Play(ctx, clips); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "played:   %.2f s (silent: %v)\n", time.Since(start).Seconds(), p.Silent())
	}
	return clipErr
}
