package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civiq/civiq/internal/voice/wav"
)

func TestRunWritesCallout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.wav")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"-o", path, "-en", "A012", "5"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "text:     a, mười hai") ||
		!strings.Contains(stdout.String(), "vi/den_quay_so vi/nam") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := wav.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Duration(); d < 8 || d > 16 {
		t.Errorf("call-out with English lasts %.2f s", d)
	}
}

func TestRunList(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-list"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "vi/muoi_ngang\n") {
		t.Errorf("-list:\n%s", stdout.String())
	}
}

func TestRunRejectsBadArgs(t *testing.T) {
	for _, args := range [][]string{{}, {"A012"}, {"A012", "five"}, {"-nope"}} {
		if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
