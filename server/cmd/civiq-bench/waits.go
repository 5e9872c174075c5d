package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	waitsBegin = "<!-- waits-bench:begin (rewritten by make bench and civiq-bench -only waits) -->"
	waitsEnd   = "<!-- waits-bench:end -->"
	// waitsRate is the public load the target names (requests/s).
	waitsRate = 5000
	// waitsAddrs source addresses (127.0.x.y) share the load, each below
	// the server's per-address limit (20/s, bursts of 40), which stays on.
	waitsAddrs   = 400
	waitsWorkers = 64
	waitsDisplay = 100
)

// waitsGen is the public crowd: phones and browsers fetching /waits and
// /api/v1/waits, full answers (no If-None-Match; gzip, as browsers ask),
// from many addresses.
type waitsGen struct {
	clients                     []*http.Client
	next                        atomic.Int64
	ok, limited, failed, served atomic.Int64
	urls                        [2]string
}

func newWaitsGen(base string) *waitsGen {
	g := &waitsGen{urls: [2]string{base + "/waits", base + "/api/v1/waits"}}
	for i := range waitsAddrs {
		ip := net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		g.clients = append(g.clients, &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true}})
	}
	return g
}

// run sends requests until ctx ends: paced at rate per second (an open
// loop: a request the workers cannot start in time is dropped, so the
// count served shows any shortfall), or as fast as the workers go when
// rate is 0.
func (g *waitsGen) run(ctx context.Context, rate int) {
	var tokens chan struct{}
	var wg sync.WaitGroup
	if rate > 0 {
		tokens = make(chan struct{}, rate/10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			const tick = 2 * time.Millisecond
			t := time.NewTicker(tick)
			defer t.Stop()
			start, sent := time.Now(), 0
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					due := int(now.Sub(start).Seconds() * float64(rate))
					for ; sent < due; sent++ {
						select {
						case tokens <- struct{}{}:
						default: // the workers are behind: this one is lost
						}
					}
				}
			}
		}()
	}
	for range waitsWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if tokens != nil {
					select {
					case <-ctx.Done():
						return
					case <-tokens:
					}
				} else if ctx.Err() != nil {
					return
				}
				n := g.next.Add(1)
				req, _ := http.NewRequestWithContext(ctx, "GET", g.urls[n%2], nil)
				req.Header.Set("Accept-Encoding", "gzip, deflate, br") // as every browser asks
				resp, err := g.clients[n%waitsAddrs].Do(req)
				if err != nil {
					if ctx.Err() == nil {
						g.failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					g.ok.Add(1)
				case http.StatusTooManyRequests:
					g.limited.Add(1)
				default:
					g.failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
}

func (g *waitsGen) total() int64 { return g.ok.Load() + g.limited.Load() + g.failed.Load() }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// waitsLoad measures the public live-waits page: the most requests per
// second the page and its JSON serve, then call → display p99 (100
// displays) side by side without and with 5,000 requests/s of them, run
// after run. The per-address rate limit stays on (the server's default);
// the crowd comes from 400 addresses, each below it.
func waitsLoad(bin, data string, runs int, rep *report) error {
	s, _, err := startServer(bin, data, "--public-rate", "20")
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
	load0 := loadavg()
	var most, paced, none, with, ratio stats
	var limited, failed int64
	for i := range runs {
		// Unpaced: the most the server gives.
		g := newWaitsGen(s.url)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.run(ctx, 0); close(done) }()
		time.Sleep(time.Second)
		n0, t0 := g.total(), time.Now()
		time.Sleep(3 * time.Second)
		most.add(float64(g.total()-n0) / time.Since(t0).Seconds())
		cancel()
		<-done
		limited += g.limited.Load()
		failed += g.failed.Load()
		time.Sleep(500 * time.Millisecond) // let the server's queues drain

		// Without the crowd.
		ps, err := subscribers(s, tok, waitsDisplay)
		if err != nil {
			return err
		}
		lat, missing, err := callRound(s, admin, ps, waitsDisplay, 20, 100*time.Millisecond)
		if err != nil || missing > 0 {
			return fmt.Errorf("without load: %v, %d missing", err, missing)
		}
		p0 := percentile(lat, .99)
		none.add(p0)

		// With the crowd at 5,000 requests/s.
		g = newWaitsGen(s.url)
		ctx, cancel = context.WithCancel(context.Background())
		done = make(chan struct{})
		go func() { g.run(ctx, waitsRate); close(done) }()
		ps, err = subscribers(s, tok, waitsDisplay)
		if err != nil {
			cancel()
			return err
		}
		time.Sleep(time.Second)
		t0 = time.Now()
		ok0 := g.ok.Load()
		lat, missing, err = callRound(s, admin, ps, waitsDisplay, 20, 100*time.Millisecond)
		el := time.Since(t0)
		served := float64(g.ok.Load()-ok0) / el.Seconds()
		cancel()
		<-done
		if err != nil || missing > 0 {
			return fmt.Errorf("with load: %v, %d missing", err, missing)
		}
		p1 := percentile(lat, .99)
		with.add(p1)
		paced.add(served)
		ratio.add(100 * (p1 - p0) / p0)
		limited += g.limited.Load()
		failed += g.failed.Load()
		fmt.Fprintf(os.Stderr, "waits run %d: most %.0f req/s; paced %.0f req/s served; p99 %.2f ms without, %.2f ms with (%+.1f %%); load %s\n",
			i+1, most.vals[i], served, p0, p1, ratio.vals[i], loadavg())
		time.Sleep(500 * time.Millisecond)
	}
	host, _ := os.Hostname()
	rep.add("Measured %s on %s (%d CPUs), %d runs: median (min, max); load average %s before, %s after (1, 5, 15 min).",
		time.Now().Format("2006-01-02 15:04 MST"), host, numCPU(), runs, load0, loadavg())
	rep.add("")
	rep.add("| measurement | result | target |")
	rep.add("|---|---|---|")
	rep.add("| `/waits` + `/api/v1/waits`, most requests/s served (%d clients from %d addresses, full 200 answers in gzip as browsers ask, per-address limit on) | %s req/s | ≥ 5,000 req/s |", waitsWorkers, waitsAddrs, most)
	rep.add("| the same paced at %d req/s: 200 answers/s during the calls | %s req/s | ≥ 5,000 req/s |", waitsRate, paced)
	rep.add("| call → display p99, %d displays, no public load | %s ms | – |", waitsDisplay, none)
	rep.add("| call → display p99, %d displays, %d waits requests/s | %s ms | within 10 %% of without |", waitsDisplay, waitsRate, with)
	rep.add("| p99 with load − without, per run | %s %% | ≤ +10 %% |", ratio)
	rep.add("| answers 429 / failed over all runs (each address stays under its limit) | %d / %d | 0 / 0 |", limited, failed)
	return nil
}
