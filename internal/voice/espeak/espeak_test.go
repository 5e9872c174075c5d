package espeak

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

func find(t *testing.T) *Synth {
	t.Helper()
	s, err := Find()
	if err != nil {
		// espeak-ng is in deps (Makefile); a missing one is a broken set-up,
		// not a reason to pass.
		t.Fatal(err)
	}
	return s
}

func TestSayVietnameseName(t *testing.T) {
	s := find(t)
	for _, lang := range []string{protocol.LangVI, protocol.LangEN} {
		snd, err := s.Say(context.Background(), "Đất đai – Công an tỉnh", lang)
		if err != nil {
			t.Fatal(err)
		}
		// A few words last one to three seconds.
		if d := snd.Duration(); d < 0.5 || d > 6 {
			t.Errorf("%s: %.2f s of sound", lang, d)
		}
		if snd.Rate < 8000 {
			t.Errorf("rate %d", snd.Rate)
		}
	}
}

func TestSayHostileText(t *testing.T) {
	s := find(t)
	for _, text := range []string{"--help", "-w /tmp/x", "\x00\x01 Hộ tịch \xff", strings.Repeat("Đất đai ", 200)} {
		snd, err := s.Say(context.Background(), text, protocol.LangVI)
		if err != nil {
			t.Errorf("%q: %v", text[:min(len(text), 20)], err)
			continue
		}
		if snd.Duration() <= 0 {
			t.Errorf("%q: no sound", text[:min(len(text), 20)])
		}
	}
	if _, err := s.Say(context.Background(), " \n\t", protocol.LangVI); err == nil {
		t.Error("an empty text was spoken")
	}
	if got := clean(strings.Repeat("é", 300)); len(got) > MaxText {
		t.Errorf("clean kept %d bytes", len(got))
	}
}

func TestSayTimeout(t *testing.T) {
	// A program that never ends stands in for a hung espeak-ng.
	dir := t.TempDir()
	prog := filepath.Join(dir, "espeak-ng")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Synth{Path: prog, Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := s.Say(context.Background(), "Đất đai", protocol.LangVI)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Say = %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Say took %v", el)
	}
}
