package escpostest

import (
	"bytes"
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

// raster builds GS v 0 with the given rows of packed bytes.
func raster(rowBytes int, rows ...[]byte) []byte {
	b := []byte{0x1d, 'v', '0', 0, byte(rowBytes), byte(rowBytes >> 8), byte(len(rows)), byte(len(rows) >> 8)}
	for _, r := range rows {
		b = append(b, r...)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	initCmd = []byte{0x1b, '@'}
	cutCmd  = []byte{0x1d, 'V', 66, 0}
)

func parse(stream []byte) ([]Job, []byte) {
	var ps Parser
	var requests []byte
	ps.OnStatus = func(n byte) { requests = append(requests, n) }
	ps.Write(stream)
	ps.Flush()
	return ps.Jobs(), requests
}

func TestParserStitchesBands(t *testing.T) {
	stream := cat(
		initCmd,
		raster(1, []byte{0x80}, []byte{0x01}),
		raster(2, []byte{0x00, 0x40}), // a wider band
		[]byte{0x1b, 'd', 4},
		cutCmd,
	)
	jobs, _ := parse(stream)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	j := jobs[0]
	if !j.Cut || j.Inits != 1 || j.Bands != 2 || j.FeedLines != 4 || len(j.Errors) != 0 {
		t.Fatalf("job %+v", j)
	}
	if b := j.Image.Bounds(); b.Dx() != 16 || b.Dy() != 3 {
		t.Fatalf("image %v, want 16x3", b)
	}
	black := map[[2]int]bool{{0, 0}: true, {7, 1}: true, {9, 2}: true}
	for y := range 3 {
		for x := range 16 {
			if got := j.Image.GrayAt(x, y).Y == 0; got != black[[2]int{x, y}] {
				t.Errorf("dot (%d,%d) black = %v", x, y, got)
			}
		}
	}
}

func TestParserJobsAndStatus(t *testing.T) {
	stream := cat(
		[]byte{0x10, 0x04, 1, 0x10, 0x04, 2},
		initCmd, raster(1, []byte{0xff}), cutCmd,
		[]byte{0x10, 0x04, 4},
		initCmd, raster(1, []byte{0x0f}), []byte{0x1d, 'V', 0}, // full cut, no feed byte
		initCmd, raster(1, []byte{0xf0}), // not cut: the stream just ends
	)
	jobs, requests := parse(stream)
	if !bytes.Equal(requests, []byte{1, 2, 4}) {
		t.Errorf("status requests %v, want [1 2 4]", requests)
	}
	if len(jobs) != 3 {
		t.Fatalf("%d jobs, want 3", len(jobs))
	}
	for i, wantCut := range []bool{true, true, false} {
		if jobs[i].Cut != wantCut || jobs[i].Bands != 1 {
			t.Errorf("job %d: cut %v, bands %d", i, jobs[i].Cut, jobs[i].Bands)
		}
	}
}

func TestParserRecordsProblems(t *testing.T) {
	stream := cat(
		[]byte("HELLO\n"),
		[]byte{0x1b, 0x99},       // unknown ESC
		[]byte{0x1d, 0x01},       // unknown GS
		[]byte{0x1d, 'V', 7},     // unknown cut mode
		[]byte{0x07},             // bell
		[]byte{0x10, 0x05, 0x01}, // DLE ENQ, not a status request
		raster(1, []byte{0x80}),  //
		[]byte{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff}, // 4 GB raster: skipped
		bytes.Repeat([]byte{0xaa}, 1000),                  // the part of it that arrives
	)
	jobs, _ := parse(stream)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	j := jobs[0]
	if string(j.Text) != "HELLO\n" {
		t.Errorf("text %q", j.Text)
	}
	all := strings.Join(j.Errors, "\n")
	for _, want := range []string{"ESC 0x99", "GS 0x01", "cut mode GS V 7", "control byte 0x07", "DLE 0x05", "over the job limit"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors %q lack %q", j.Errors, want)
		}
	}
	if j.Bands != 1 || j.Image.Bounds().Dy() != 1 {
		t.Errorf("bands %d, image %v: the oversized raster was not skipped", j.Bands, j.Image.Bounds())
	}
}

func TestParserIncompleteCommand(t *testing.T) {
	jobs, _ := parse(cat(initCmd, raster(1, []byte{0x80}), []byte{0x1d, 'v', '0', 0, 1, 0, 5, 0, 0xff}))
	if len(jobs) != 1 || !strings.Contains(strings.Join(jobs[0].Errors, ""), "stream ends inside a command") {
		t.Fatalf("jobs %+v", jobs)
	}
}

// parseChunks parses stream split at the given cut points.
func parseChunks(stream []byte, cuts []int) []Job {
	var ps Parser
	var requests []byte
	ps.OnStatus = func(n byte) { requests = append(requests, n) }
	prev := 0
	for _, c := range cuts {
		if c < prev || c > len(stream) {
			continue
		}
		ps.Write(stream[prev:c])
		prev = c
	}
	ps.Write(stream[prev:])
	ps.Flush()
	jobs := ps.Jobs()
	// Fold the status requests in, so that they are compared too.
	jobs = append(jobs, Job{Text: requests})
	return jobs
}

// FuzzParser feeds arbitrary streams, split at arbitrary points: the
// parser must neither panic nor depend on how the bytes were chunked.
func FuzzParser(f *testing.F) {
	f.Add(cat(initCmd, raster(1, []byte{0x80}, []byte{0x01}), cutCmd), 3)
	f.Add(cat([]byte{0x10, 0x04, 1}, initCmd, raster(2, []byte{1, 2}), []byte{0x1b, 'd', 3}, cutCmd), 9)
	f.Add([]byte{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3}, 4)
	f.Add([]byte{0x1d, 'v', '0', 3, 1, 0, 2, 0, 0xff}, 1)
	f.Add([]byte("text\n\x1b\x99\x1dV\x07\x10"), 2)
	f.Add([]byte{0x1b}, 0)
	f.Fuzz(func(t *testing.T, stream []byte, step int) {
		whole := parseChunks(stream, nil)
		var cuts []int
		if step <= 0 {
			step = 1
		}
		for c := step % 97; c < len(stream); c += step%97 + 1 {
			cuts = append(cuts, c)
		}
		split := parseChunks(stream, cuts)
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("parsing in chunks at %v differs from parsing whole", cuts)
		}
		for _, j := range whole {
			if j.Image != nil && j.Image.Bounds().Dx()*j.Image.Bounds().Dy() > 8*maxJobRasterBytes {
				t.Fatalf("image %v over the limit", j.Image.Bounds())
			}
		}
	})
}

func TestFakePrinterAnswersAndCollects(t *testing.T) {
	p := NewPrinter(t)
	p.SetCondition(PaperOut)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(cat([]byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4, 0x10, 0x04, 9})); err != nil {
		t.Fatal(err)
	}
	want := PaperOut.Replies()
	got := make([]byte, 4)
	if _, err := c.Read(got[:1]); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		if _, err := c.Read(got[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, []byte{want.Printer, want.Offline, want.Error, want.Paper}) {
		t.Errorf("replies % x, want %+v", got, want)
	}
	if _, err := c.Write(cat(initCmd, raster(1, []byte{0x80}), cutCmd)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	jobs, err := p.WaitJobs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !jobs[0].Cut || jobs[0].Image.GrayAt(0, 0).Y != 0 {
		t.Errorf("job %+v", jobs[0])
	}
	if n := p.StatusRequests(); n != 5 {
		t.Errorf("%d status requests counted, want 5 (the unknown n=9 too)", n)
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

func TestSpec(t *testing.T) {
	p := NewPrinter(t)
	if got, want := p.Spec("timeout=1s", "cut=off"), "tcp://"+p.Addr()+"?timeout=1s&cut=off"; got != want {
		t.Errorf("Spec = %q, want %q", got, want)
	}
}
