package speaker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/civiq/civiq/assets"
	"github.com/civiq/civiq/internal/voice/announce"
	"github.com/civiq/civiq/internal/voice/espeak"
	"github.com/civiq/civiq/internal/voice/wav"
	"github.com/civiq/civiq/server/protocol"
	"go.uber.org/goleak"
)

// childEnv makes the test binary run one device scenario instead of the
// tests: the audio library allows one context per process, so each scenario
// with a real (null or missing) ALSA device runs in a process of its own.
const childEnv = "CIVIQ_SPEAKER_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	goleak.VerifyTestMain(m)
}

func shipped(t testing.TB) fs.FS {
	t.Helper()
	sub, err := fs.Sub(assets.FS, "sounds")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// exampleCall is "Mời công dân có số A012 đến quầy số 5".
func exampleCall() protocol.Call {
	return protocol.Call{
		Ticket:  protocol.Ticket{ID: "t1", Code: "A012", Lang: protocol.LangVI},
		Counter: protocol.Counter{ID: "q5", Number: 5},
	}
}

func TestAssembleExampleCall(t *testing.T) {
	clips := announce.Script(exampleCall(), announce.Options{})
	s, err := Assemble([]fs.FS{shipped(t)}, clips)
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	for _, c := range clips {
		data, err := fs.ReadFile(shipped(t), c+".wav")
		if err != nil {
			t.Fatal(err)
		}
		d, err := wav.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if d.Rate != Rate {
			t.Errorf("%s is at %d Hz, want %d", c, d.Rate, Rate)
		}
		sum += len(d.Samples)
	}
	if len(s.Samples) != sum {
		t.Errorf("assembled %d samples, clips hold %d", len(s.Samples), sum)
	}
	// A spoken sentence of this length takes a few seconds: much shorter
	// means clips are empty, much longer means silence was not trimmed.
	if d := s.Duration(); d < 4 || d > 8 {
		t.Errorf("call-out lasts %.2f s, want 4–8 s", d)
	}
	english, err := Assemble([]fs.FS{shipped(t)}, announce.Script(exampleCall(), announce.Options{English: true}))
	if err != nil {
		t.Fatal(err)
	}
	if d := english.Duration(); d < s.Duration()+2.5 || d > 16 {
		t.Errorf("call-out with English lasts %.2f s", d)
	}
}

func TestAssembleOverrideAndMissing(t *testing.T) {
	var voice bytes.Buffer
	// A centre's recording at 44.1 kHz: resampled to Rate.
	if err := wav.Encode(&voice, wav.Sound{Rate: 44100, Samples: make([]int16, 44100)}); err != nil {
		t.Fatal(err)
	}
	override := fstest.MapFS{
		"vi/muoi.wav": {Data: voice.Bytes()},
		"vi/hai.wav":  {Data: []byte("not a wav file")},
	}
	s, err := Assemble([]fs.FS{override, shipped(t)}, []string{"vi/muoi", "vi/hai", "vi/nope", "../etc/passwd", "pause"})
	if len(s.Samples) != Rate+Rate/4 {
		t.Errorf("%d samples, want one second from the override and the shipped pause", len(s.Samples))
	}
	if !errors.Is(err, wav.ErrFormat) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want the broken and the missing clip", err)
	}
	for _, want := range []string{`"vi/hai"`, `"vi/nope"`, `"../etc/passwd"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, does not name %s", err, want)
		}
	}
}

// fakeDevice records plays; block makes it wait for ctx.
type fakeDevice struct {
	plays    atomic.Int32
	active   atomic.Int32
	overlaps atomic.Int32
	block    bool
	fail     error
	started  chan struct{}
}

func (d *fakeDevice) play(ctx context.Context, pcm []byte) error {
	if d.active.Add(1) > 1 {
		d.overlaps.Add(1)
	}
	defer d.active.Add(-1)
	d.plays.Add(1)
	if d.started != nil {
		d.started <- struct{}{}
	}
	if d.fail != nil {
		return d.fail
	}
	if d.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func TestPlayIsBoundedByItsDuration(t *testing.T) {
	dev := &fakeDevice{block: true}
	p := newWithDevice(dev, Config{Sounds: []fs.FS{shipped(t)}})
	p.slack = 10 * time.Millisecond
	start := time.Now()
	err := p.Play(context.Background(), []string{announce.ClipPause}) // 0.25 s
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Play = %v, want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Play took %v", el)
	}
}

func TestPlayOneAtATime(t *testing.T) {
	dev := &fakeDevice{block: true, started: make(chan struct{}, 2)}
	p := newWithDevice(dev, Config{Sounds: []fs.FS{shipped(t)}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- p.Play(ctx, []string{"chime"}) }()
	<-dev.started
	// The second caller waits for the first; cancelling ends both.
	go func() { done <- p.Play(ctx, []string{"chime"}) }()
	cancel()
	for range 2 {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Play = %v", err)
		}
	}
	if dev.overlaps.Load() > 0 {
		t.Error("plays overlapped")
	}
}

func TestDeviceFailureGoesSilentOnce(t *testing.T) {
	var logs bytes.Buffer
	dev := &fakeDevice{fail: deviceError{errors.New("snd_pcm_writei: No such device")}}
	p := newWithDevice(dev, Config{Sounds: []fs.FS{shipped(t)}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		if err := p.Play(context.Background(), []string{"chime"}); err != nil {
			t.Fatalf("Play = %v, want nil", err)
		}
	}
	if !p.Silent() || dev.plays.Load() != 1 {
		t.Errorf("silent %v after %d plays", p.Silent(), dev.plays.Load())
	}
	if n := strings.Count(logs.String(), "no sound device"); n != 1 {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
}

// childResult is what a child scenario reports to its parent test.
type childResult struct {
	Silent   bool    `json:"silent"`
	Err      string  `json:"err"`
	Elapsed  float64 `json:"elapsed"`  // seconds Play took
	Duration float64 `json:"duration"` // seconds of sound
	Logs     int     `json:"logs"`     // "no sound device" messages
	TimedOut string  `json:"timed_out"`
}

func runChild(mode string) int {
	var logs bytes.Buffer
	sounds, _ := fs.Sub(assets.FS, "sounds")
	if mode == "speak" {
		return runSpeakChild(sounds, &logs)
	}
	p := New(context.Background(), Config{
		Sounds:      []fs.FS{sounds},
		Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
		OpenTimeout: 10 * time.Second,
	})
	clips := announce.Script(exampleCall(), announce.Options{})
	s, _ := Assemble([]fs.FS{sounds}, clips)
	var r childResult
	r.Duration = s.Duration()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.Duration*float64(time.Second))+Slack)
	start := time.Now()
	if err := p.Play(ctx, clips); err != nil {
		r.Err = err.Error()
	}
	r.Elapsed = time.Since(start).Seconds()
	cancel()
	// A caller's short deadline cuts the call-out off.
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := p.Play(short, clips); err != nil {
		r.TimedOut = err.Error()
	}
	cancel()
	r.Silent = p.Silent()
	r.Logs = strings.Count(logs.String(), "no sound device")
	if mode == "none" {
		// A second call-out must not log again.
		_ = p.Play(context.Background(), clips)
		r.Logs = strings.Count(logs.String(), "no sound device")
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// child runs scenario mode with ALSA configured by asoundConf.
func child(t *testing.T, mode, asoundConf string) childResult {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "asound.conf")
	if err := os.WriteFile(conf, []byte(asoundConf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "ALSA_CONFIG_PATH="+conf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", mode, err, stderr.String())
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child %s output %q: %v\n%s", mode, out, err, stderr.String())
	}
	t.Logf("child %s: %+v", mode, r)
	return r
}

// runSpeakChild plays the kiosk's guidance for two fields, their names
// spoken by espeak-ng, on the real device.
func runSpeakChild(sounds fs.FS, logs *bytes.Buffer) int {
	var r childResult
	synth, err := espeak.Find()
	if err != nil {
		r.Err = err.Error()
		_ = json.NewEncoder(os.Stdout).Encode(r)
		return 0
	}
	p := New(context.Background(), Config{
		Sounds:      []fs.FS{sounds},
		Logger:      slog.New(slog.NewTextHandler(logs, nil)),
		OpenTimeout: 10 * time.Second,
		Synth:       synth,
	})
	parts := announce.Guide([]announce.Choice{{Key: 1, Name: "Đất đai"}, {Key: 2, Name: "Hộ tịch"}}, protocol.LangVI)
	s, err := p.assembleParts(context.Background(), parts)
	if err != nil {
		r.Err = err.Error()
	}
	r.Duration = s.Duration()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(r.Duration*float64(time.Second))+2*Slack)
	start := time.Now()
	if err := p.Speak(ctx, parts); err != nil {
		r.Err = err.Error()
	}
	r.Elapsed = time.Since(start).Seconds()
	cancel()
	r.Silent = p.Silent()
	_ = json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// TestSpeakWithAndWithoutSynth: texts are synthesized when a Synth is set
// and left out (ErrNoSynth) when not; the clips play either way.
func TestSpeakWithAndWithoutSynth(t *testing.T) {
	synth, err := espeak.Find()
	if err != nil {
		t.Fatal(err)
	}
	parts := announce.Guide([]announce.Choice{{Key: 1, Name: "Đất đai"}, {Key: 12, Name: "Hộ tịch"}}, protocol.LangVI)
	clipsOnly, err := Assemble([]fs.FS{shipped(t)}, clipsOf(parts))
	if err != nil {
		t.Fatal(err)
	}
	with := newWithDevice(&fakeDevice{}, Config{Sounds: []fs.FS{shipped(t)}, Synth: synth})
	s, err := with.assembleParts(context.Background(), parts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration() < clipsOnly.Duration()+0.5 {
		t.Errorf("with espeak-ng %.2f s, clips alone %.2f s", s.Duration(), clipsOnly.Duration())
	}
	dev := &fakeDevice{}
	without := newWithDevice(dev, Config{Sounds: []fs.FS{shipped(t)}})
	if err := without.Speak(context.Background(), parts); !errors.Is(err, ErrNoSynth) {
		t.Errorf("Speak without a synth = %v, want ErrNoSynth", err)
	}
	if dev.plays.Load() != 1 {
		t.Errorf("the clips were played %d times, want once", dev.plays.Load())
	}
	s2, _ := without.assembleParts(context.Background(), parts)
	if len(s2.Samples) != len(clipsOnly.Samples) {
		t.Errorf("without a synth: %d samples, the clips hold %d", len(s2.Samples), len(clipsOnly.Samples))
	}
}

func clipsOf(parts []announce.Part) []string {
	var clips []string
	for _, p := range parts {
		if p.Clip != "" {
			clips = append(clips, p.Clip)
		}
	}
	return clips
}

func TestSilentWithoutDevice(t *testing.T) {
	r := child(t, "none", "pcm.!default { type hw card 99 }\n")
	if !r.Silent {
		t.Fatal("player is not silent without a device")
	}
	if r.Err != "" || r.TimedOut != "" {
		t.Errorf("silent Play returned errors: %q %q", r.Err, r.TimedOut)
	}
	if r.Elapsed > 1 {
		t.Errorf("silent Play took %.2f s", r.Elapsed)
	}
	if r.Logs != 1 {
		t.Errorf("logged %d times, want once", r.Logs)
	}
}
