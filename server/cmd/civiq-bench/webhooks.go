package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// webhookLatency measures call → display (100 subscribed displays) with no
// webhook, then with three endpoints registered: two receivers that answer
// at once and one that is down (accepts the connection and never answers,
// so every delivery waits out the 10 s timeout and is retried). Delivery
// runs beside the engine and must not slow the clerk's "next".
func webhookLatency(bin, data string, runs int, rep *report) error {
	s, _, err := startServer(bin, data)
	if err != nil {
		return err
	}
	defer s.stop()
	tok, err := s.device("display")
	if err != nil {
		return err
	}
	admin, _, err := s.admin()
	if err != nil {
		return err
	}
	var got atomic.Int64
	ok := func() string {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1); w.WriteHeader(http.StatusNoContent) })}
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		go srv.Serve(ln)
		return "http://" + ln.Addr().String() + "/hook"
	}
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer down.Close()
	go func() { // accepts and never answers
		var held []net.Conn
		for {
			c, err := down.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	urls := []string{ok(), ok(), "http://" + down.Addr().String() + "/down"}
	const displays = 100
	var none, with stats
	for i := range runs {
		ps, err := subscribers(s, tok, displays)
		if err != nil {
			return err
		}
		lat, missing, err := callRound(s, admin, ps, displays, 20, 100*time.Millisecond)
		if err != nil || missing > 0 {
			return fmt.Errorf("without webhooks: %v, %d missing", err, missing)
		}
		none.add(percentile(lat, .99))
		var ids []string
		for _, u := range urls {
			var ep struct{ ID string }
			if _, err := admin.Do(context.Background(), "POST", "/api/v1/webhooks", map[string]any{"url": u}, &ep, nil); err != nil {
				return err
			}
			ids = append(ids, ep.ID)
		}
		ps, err = subscribers(s, tok, displays)
		if err != nil {
			return err
		}
		lat, missing, err = callRound(s, admin, ps, displays, 20, 100*time.Millisecond)
		if err != nil || missing > 0 {
			return fmt.Errorf("with webhooks: %v, %d missing", err, missing)
		}
		with.add(percentile(lat, .99))
		fmt.Fprintf(os.Stderr, "webhooks run %d: p99 %.1f ms without, %.1f ms with 3 endpoints (one down); %d deliveries so far\n", i+1, none.vals[i], with.vals[i], got.Load())
		for _, id := range ids {
			if _, err := admin.Do(context.Background(), "DELETE", "/api/v1/webhooks/"+id, nil, nil, nil); err != nil {
				return err
			}
		}
	}
	if got.Load() == 0 {
		return fmt.Errorf("the receivers got nothing")
	}
	rep.add("| call → display p99, %d displays, no webhook | %s ms | – |", displays, none)
	rep.add("| call → display p99, %d displays, 3 webhooks (one down, hanging) | %s ms | no worse than without |", displays, with)
	return nil
}
