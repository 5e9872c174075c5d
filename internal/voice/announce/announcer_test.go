package announce

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// playback is one Play call seen by fakePlayer.
type playback struct {
	clips  []string
	ctx    context.Context
	finish chan struct{} // closed by the test to end the playback
	result chan error    // what Play returned
}

// fakePlayer hands every Play to the test through started and blocks until
// the test closes finish (or ctx ends), so the test decides exactly when
// each call-out ends.
type fakePlayer struct {
	started   chan *playback
	active    atomic.Int32
	overlaps  atomic.Int32
	immediate bool // return at once instead of waiting for finish
}

func newFakePlayer() *fakePlayer {
	return &fakePlayer{started: make(chan *playback, 100)}
}

func (p *fakePlayer) Play(ctx context.Context, clips []string) error {
	if p.active.Add(1) > 1 {
		p.overlaps.Add(1)
	}
	defer p.active.Add(-1)
	pb := &playback{clips: clips, ctx: ctx, finish: make(chan struct{}), result: make(chan error, 1)}
	p.started <- pb
	var err error
	if !p.immediate {
		select {
		case <-pb.finish:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	pb.result <- err
	return err
}

// next waits for the next playback to start.
func (p *fakePlayer) next(t *testing.T) *playback {
	t.Helper()
	select {
	case pb := <-p.started:
		return pb
	case <-time.After(5 * time.Second):
		t.Fatal("no playback started")
		return nil
	}
}

func (p *fakePlayer) noOverlap(t *testing.T) {
	t.Helper()
	if n := p.overlaps.Load(); n > 0 {
		t.Errorf("%d playbacks overlapped", n)
	}
}

var t0 = time.Date(2025, 3, 4, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// callEvent is a ticket.called (or .recalled) event for code at counter.
func callEvent(t *testing.T, epoch string, seq int64, code string, counter int, recall bool) protocol.Event {
	t.Helper()
	c := protocol.Call{
		Ticket:  protocol.Ticket{ID: "id-" + code, Code: code, Status: protocol.StatusCalled},
		Counter: protocol.Counter{ID: "q" + itoa(counter), Number: counter},
		At:      t0.Add(time.Duration(seq) * time.Second),
		Recall:  recall,
	}
	typ := protocol.EventTicketCalled
	if recall {
		typ = protocol.EventTicketRecalled
		c.Ticket.Recalls = 1
		c.At = c.At.Add(time.Minute)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.Event{Seq: seq, Epoch: epoch, Type: typ, At: c.At, Data: data}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// spoken describes a Vietnamese script: the clips between the call phrase
// and the counter phrase (the ticket code), whether it is short (no chime),
// and whether it is a recall.
func spoken(clips []string) (code string, short bool, recall bool) {
	short = len(clips) == 0 || clips[0] != ClipChime
	var parts []string
	for i, c := range clips {
		if c == ClipViRecall {
			recall = true
		}
		if c != ClipViCall {
			continue
		}
		for _, w := range clips[i+1:] {
			if w == ClipViCounter {
				break
			}
			parts = append(parts, w)
		}
		break
	}
	return strings.TrimSuffix(strings.Join(parts, " "), " "+ClipPause), short, recall
}

func spokenCode(clips []string) string {
	code, _, _ := spoken(clips)
	return code
}

// codeClips is what spokenCode returns for a call of code with no counter.
func codeClips(code string) string {
	return spokenCode(Script(protocol.Call{Ticket: protocol.Ticket{Code: code}}, Options{}))
}

func TestAnnouncerSpeaksInOrderOneAtATime(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p})
	defer a.Close()

	codes := []string{"A1", "B2", "C3", "D4"}
	for i, code := range codes {
		if !a.Handle(callEvent(t, "e1", int64(i+1), code, i+1, false)) {
			t.Fatalf("call %s not queued", code)
		}
	}
	if a.Handle(protocol.Event{Seq: 9, Epoch: "e1", Type: protocol.EventTicketIssued, Data: json.RawMessage(`{}`)}) {
		t.Error("ticket.issued was queued")
	}
	for _, code := range codes {
		pb := p.next(t)
		if got, want := spokenCode(pb.clips), codeClips(code); got != want {
			t.Errorf("played %q, want %q (%s)", got, want, code)
		}
		close(pb.finish)
		if err := <-pb.result; err != nil {
			t.Errorf("play %s: %v", code, err)
		}
	}
	p.noOverlap(t)
}

func TestAnnouncerExactlyOnceAcrossReconnects(t *testing.T) {
	p := newFakePlayer()
	p.immediate = true
	a := New(Config{Player: p})
	defer a.Close()

	type step struct {
		ev   protocol.Event
		want bool
	}
	steps := []step{
		{callEvent(t, "e1", 1, "A001", 1, false), true},
		{callEvent(t, "e1", 2, "A002", 2, false), true},
		{callEvent(t, "e1", 3, "A003", 1, false), true},
		// The same event twice on one connection.
		{callEvent(t, "e1", 3, "A003", 1, false), false},
		// Reconnect with an old since: the server replays 2 and 3, then new ones.
		{callEvent(t, "e1", 2, "A002", 2, false), false},
		{callEvent(t, "e1", 3, "A003", 1, false), false},
		{callEvent(t, "e1", 4, "A004", 3, false), true},
		// A recall of A004 is a new call-out.
		{callEvent(t, "e1", 5, "A004", 3, true), true},
		{callEvent(t, "e1", 5, "A004", 3, true), false},
		// The store was restored: a new epoch replays the same calls under
		// other seqs. They were spoken already.
		{reseq(callEvent(t, "e1", 3, "A003", 1, false), "e2", 1), false},
		{reseq(callEvent(t, "e1", 4, "A004", 3, false), "e2", 2), false},
		{callEvent(t, "e2", 3, "A005", 2, false), true},
	}
	type call struct {
		code   string
		recall bool
	}
	var want []call
	for i, s := range steps {
		if got := a.Handle(s.ev); got != s.want {
			t.Errorf("step %d (seq %d %s): Handle = %v, want %v", i, s.ev.Seq, s.ev.Epoch, got, s.want)
		}
		if s.want {
			var c protocol.Call
			if err := json.Unmarshal(s.ev.Data, &c); err != nil {
				t.Fatal(err)
			}
			want = append(want, call{c.Ticket.Code, c.Recall})
		}
	}
	for i, w := range want {
		pb := p.next(t)
		code, _, recall := spoken(pb.clips)
		if code != codeClips(w.code) || recall != w.recall {
			t.Errorf("playback %d: code %q recall %v, want %+v", i, code, recall, w)
		}
	}
	select {
	case pb := <-p.started:
		t.Errorf("extra playback %v", pb.clips)
	default:
	}
	p.noOverlap(t)
}

func reseq(ev protocol.Event, epoch string, seq int64) protocol.Event {
	ev.Epoch, ev.Seq = epoch, seq
	return ev
}

func TestAnnouncerShortensPileUp(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p, Options: Options{English: true}})
	defer a.Close()

	a.Handle(callEvent(t, "e", 1, "A001", 1, false))
	first := p.next(t) // playing now; the next ones wait
	for seq := int64(2); seq <= 6; seq++ {
		a.Handle(callEvent(t, "e", seq, "A00"+itoa(int(seq)), 1, false))
	}
	if n := a.Waiting(); n != 5 {
		t.Fatalf("Waiting = %d, want 5", n)
	}
	pbs := []*playback{first}
	close(first.finish)
	for i := 0; i < 5; i++ {
		pb := p.next(t)
		pbs = append(pbs, pb)
		close(pb.finish)
	}
	// 1 was playing; 2 and 3 arrived with 0 and 1 waiting: full. 4, 5, 6
	// arrived with 2 or more waiting: short.
	for i, pb := range pbs {
		_, short, _ := spoken(pb.clips)
		hasEnglish := false
		for _, c := range pb.clips {
			if c == ClipEnCall {
				hasEnglish = true
			}
		}
		wantShort := i >= 3
		if short != wantShort || hasEnglish == wantShort {
			t.Errorf("call %d: short %v english %v, want short %v", i+1, short, hasEnglish, wantShort)
		}
	}
	p.noOverlap(t)
}

func TestAnnouncerTimeoutBoundsPlayback(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p, Timeout: 20 * time.Millisecond})
	defer a.Close()

	a.Handle(callEvent(t, "e", 1, "A001", 1, false))
	a.Handle(callEvent(t, "e", 2, "A002", 1, false))
	stuck := p.next(t) // never finished by the test
	if _, ok := stuck.ctx.Deadline(); !ok {
		t.Fatal("Play has no deadline")
	}
	if err := <-stuck.result; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stuck Play returned %v", err)
	}
	second := p.next(t)
	close(second.finish)
	p.noOverlap(t)
}

func TestAnnouncerSetOptions(t *testing.T) {
	p := newFakePlayer()
	p.immediate = true
	a := New(Config{Player: p})
	defer a.Close()

	a.SetOptions(Options{ReadNumbers: protocol.ReadAsDigits, Short: true})
	a.Handle(callEvent(t, "e", 1, "A012", 5, false))
	got := p.next(t).clips
	want := Script(protocol.Call{Ticket: protocol.Ticket{Code: "A012"}, Counter: protocol.Counter{Number: 5}},
		Options{ReadNumbers: protocol.ReadAsDigits})
	if len(got) != len(want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("played %v, want %v", got, want)
		}
	}
}

func TestAnnouncerIgnoresBadEvents(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p})
	defer a.Close()
	for _, ev := range []protocol.Event{
		{Seq: 1, Type: protocol.EventTicketCalled, Data: json.RawMessage(`{"ticket":`)},
		{Seq: 2, Type: protocol.EventTicketCalled, Data: json.RawMessage(`[]`)},
		{Seq: 3, Type: protocol.EventSnapshot, Data: json.RawMessage(`{}`)},
		{Seq: 4, Type: "future.type", Data: json.RawMessage(`{}`)},
	} {
		if a.Handle(ev) {
			t.Errorf("event %d queued", ev.Seq)
		}
	}
}

func TestAnnouncerCloseStopsPlayback(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p})
	a.Handle(callEvent(t, "e", 1, "A001", 1, false))
	a.Handle(callEvent(t, "e", 2, "A002", 1, false))
	playing := p.next(t)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-playing.result; !errors.Is(err, context.Canceled) {
		t.Errorf("playing call ended with %v, want context.Canceled", err)
	}
	if a.Handle(callEvent(t, "e", 3, "A003", 1, false)) {
		t.Error("Handle after Close queued a call")
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case pb := <-p.started:
		t.Errorf("played %v after Close", pb.clips)
	default:
	}
	goleak.VerifyNone(t)
}

func TestAnnouncerDuplicateMemoryIsBounded(t *testing.T) {
	s := newRecentSet(3)
	for _, k := range []string{"a", "b", "c", "d"} {
		s.add(k)
	}
	if s.has("a") || !s.has("b") || !s.has("d") || len(s.keys) != 3 {
		t.Errorf("recent set = %v", s.keys)
	}
}

// TestAnnouncerSnapshotIsHistory: calls a snapshot covers (by seq in its
// epoch, or listed in its recent calls under another epoch) are never
// announced; later calls are.
func TestAnnouncerSnapshotIsHistory(t *testing.T) {
	p := newFakePlayer()
	a := New(Config{Player: p})
	defer a.Close()
	old := callEvent(t, "e", 7, "A007", 1, false)
	var c protocol.Call
	if err := json.Unmarshal(old.Data, &c); err != nil {
		t.Fatal(err)
	}
	snap, err := json.Marshal(protocol.Board{Seq: 9, Epoch: "e", Recent: []protocol.Call{c}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Handle(protocol.Event{Seq: 9, Epoch: "e", Type: protocol.EventSnapshot, Data: snap}) {
		t.Fatal("snapshot queued")
	}
	for _, ev := range []protocol.Event{
		old,                                    // replay, same epoch, below the snapshot
		callEvent(t, "e", 9, "A009", 2, false), // at the snapshot's seq
		func() protocol.Event { ev := old; ev.Epoch, ev.Seq = "e2", 3; return ev }(), // same call, new epoch
	} {
		if a.Handle(ev) {
			t.Errorf("history %s/%d queued", ev.Epoch, ev.Seq)
		}
	}
	if !a.Handle(callEvent(t, "e", 10, "A010", 1, false)) {
		t.Fatal("call after the snapshot not queued")
	}
	if got := p.next(t).clips; !slices.Contains(got, "vi/muoi") {
		t.Fatalf("played %v, want A010", got)
	}
}

// FuzzHandle: any event the server (or a man in the middle) sends is
// queued or ignored, never a panic, and the same event is never queued
// twice.
func FuzzHandle(f *testing.F) {
	f.Add(protocol.EventTicketCalled, int64(1), "e", `{"ticket":{"id":"t","code":"A012"},"counter":{"id":"q5","number":5},"at":"2026-11-29T02:00:00Z"}`)
	f.Add(protocol.EventTicketRecalled, int64(2), "e", `{"ticket":{"code":"Đ105","recalls":1},"counter":{"number":-3}}`)
	f.Add(protocol.EventSnapshot, int64(9), "e", `{"seq":9,"epoch":"e","recent":[{"ticket":{"id":"t"}}]}`)
	f.Add(protocol.EventSnapshot, int64(0), "", `[]`)
	f.Add(protocol.EventTicketCalled, int64(-1), "", `{"ticket":{"code":"99999999999999999999999"}}`)
	f.Fuzz(func(t *testing.T, typ string, seq int64, epoch, data string) {
		p := newFakePlayer()
		a := New(Config{Player: p})
		defer a.Close()
		ev := protocol.Event{Type: typ, Seq: seq, Epoch: epoch, Data: json.RawMessage(data)}
		first := a.Handle(ev)
		if a.Handle(ev) && first {
			t.Fatalf("the same event was queued twice: %+v", ev)
		}
	})
}
