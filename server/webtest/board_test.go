package webtest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/civiq/civiq/server/protocol"
)

// TestBoardReducerMatchesGo: the pages' board.js and protocol.Apply turn the
// same event stream (a snapshot, then every kind of event a real server
// sends) into the same board, and both agree with the server's own board.
func TestBoardReducerMatchesGo(t *testing.T) {
	srv := startServer(t)
	events := subscribe(t, srv)
	first := waitEvent(t, events, protocol.EventSnapshot, nil)
	ctx := context.Background()
	admin := srv.Client(srv.AdminToken())
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	next := func(counter string) {
		t.Helper()
		_, err := admin.Next(ctx, counter)
		must(err)
	}

	for i := range 4 {
		srv.Issue("dat-dai", i%2 == 1)
		srv.Issue("tu-phap-ho-tich", false)
	}
	next("q1")
	next("q2")
	next("q3")
	_, err := admin.Recall(ctx, "q1")
	must(err)
	_, err = admin.Transfer(ctx, "q2", "xay-dung")
	must(err)
	_, err = admin.NoShow(ctx, "q3")
	must(err)
	next("q1") // completes the current one as done
	_, err = admin.Done(ctx, "q1")
	must(err)
	_, err = admin.SetCounterStatus(ctx, "q4", protocol.CounterPaused)
	must(err)
	svc := protocol.Service{ID: "moi", Prefix: "M", Name: protocol.Text{Vi: "Mới", En: "New"}, Enabled: true, Order: 1}
	_, err = admin.Do(ctx, "PUT", "/api/v1/services/moi", svc, nil, nil)
	must(err)
	_, err = admin.Do(ctx, "PUT", "/api/v1/counters/q9", protocol.Counter{ID: "q9", Number: 9, Name: protocol.Text{Vi: "Quầy 9"}, ServiceIDs: []string{"moi", "dat-dai"}, Status: "open"}, nil, nil)
	must(err)
	srv.Issue("moi", false)
	next("q9")
	c, err := admin.Centre(ctx)
	must(err)
	c.Notice.Vi = "Thông báo mới"
	_, err = admin.Do(ctx, "PUT", "/api/v1/centre", c, nil, nil)
	must(err)
	whole, err := admin.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CauseOneStopSoftware})
	must(err)
	_, err = admin.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CausePrinter, CounterIDs: []string{"q2"}, Note: "Kẹt giấy"})
	must(err)
	_, err = admin.StartDisruption(ctx, protocol.DisruptionRequest{Cause: protocol.CauseNetwork, CounterIDs: []string{"q1", "q3"}})
	must(err)
	_, err = admin.EndDisruption(ctx, whole.ID)
	must(err)

	// Collect the stream up to the server's last seq.
	var v struct {
		Seq int64 `json:"seq"`
	}
	_, err = admin.Do(ctx, "GET", "/api/v1/version", nil, &v, nil)
	must(err)
	stream := []protocol.Event{first}
	for stream[len(stream)-1].Seq < v.Seq {
		select {
		case ev := <-events:
			stream = append(stream, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("stream stopped at seq %d of %d", stream[len(stream)-1].Seq, v.Seq)
		}
	}
	// A duplicate must change nothing.
	stream = append(stream, stream[len(stream)-2])
	types := map[string]bool{}
	var goBoard protocol.Board
	for _, ev := range stream {
		types[ev.Type] = true
		if goBoard, err = protocol.Apply(goBoard, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, typ := range []string{protocol.EventSnapshot, protocol.EventTicketIssued, protocol.EventTicketCalled, protocol.EventTicketRecalled,
		protocol.EventTicketDone, protocol.EventTicketNoShow, protocol.EventTicketTransferred, protocol.EventCounterUpdated,
		protocol.EventServiceUpdated, protocol.EventCentreUpdated, protocol.EventDisruptionStarted, protocol.EventDisruptionEnded} {
		if !types[typ] {
			t.Errorf("the scenario produced no %s event", typ)
		}
	}

	p := newTab(t, srv)
	p.open("/")
	in, err := json.Marshal(stream)
	must(err)
	res := eval[string](p, `import('/static/staff/board.js').then(m => {
		let b = m.emptyBoard();
		for (const ev of `+string(in)+`) b = m.apply(b, ev);
		let epochRefused = false;
		try { m.apply(b, {type: 'ticket.issued', seq: b.seq + 1, epoch: 'another', data: {}}); } catch (e) { epochRefused = e instanceof m.EpochChanged; }
		return JSON.stringify({board: b, epochRefused});
	})`)
	var out struct {
		Board        json.RawMessage `json:"board"`
		EpochRefused bool            `json:"epochRefused"`
	}
	must(json.Unmarshal([]byte(res), &out))
	if !out.EpochRefused {
		t.Error("board.js accepted an event of another epoch")
	}
	goJSON, err := json.Marshal(goBoard)
	must(err)
	if a, b := normalized(t, goJSON), normalized(t, out.Board); !reflect.DeepEqual(a, b) {
		ga, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		t.Fatalf("boards differ\nGo:\n%s\nJS:\n%s", ga, jb)
	}

	if len(goBoard.Disruptions) != 2 || goBoard.Disruptions[0].Cause != protocol.CausePrinter {
		t.Errorf("reduced disruptions %+v, want the printer and network ones", goBoard.Disruptions)
	}
	// Both agree with the server on who serves what.
	server := board(t, srv)
	if !reflect.DeepEqual(normalizedJSON(t, server.Disruptions), normalizedJSON(t, goBoard.Disruptions)) {
		t.Errorf("disruptions: reduced %+v, server %+v", goBoard.Disruptions, server.Disruptions)
	}
	for _, cs := range server.Counters {
		mine := counterState(t, goBoard, cs.Counter.ID)
		if (cs.Current == nil) != (mine.Current == nil) || cs.Current != nil && cs.Current.ID != mine.Current.ID || cs.Counter.Status != mine.Counter.Status || cs.Counter.ServedToday != mine.Counter.ServedToday {
			t.Errorf("counter %s: reduced %+v, server %+v", cs.Counter.ID, mine, cs)
		}
	}
	for id, n := range server.Waiting {
		if goBoard.Waiting[id] != n {
			t.Errorf("waiting in %s: reduced %d, server %d", id, goBoard.Waiting[id], n)
		}
	}
}

// normalized decodes JSON into plain values, dropping nulls and empty lists
// (Go writes nil slices as null where JavaScript has []).
func normalized(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var clean func(any) any
	clean = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				if e == nil {
					continue
				}
				if l, ok := e.([]any); ok && len(l) == 0 {
					continue
				}
				out[k] = clean(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = clean(e)
			}
			return out
		}
		return v
	}
	return clean(v)
}

func normalizedJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return normalized(t, b)
}
