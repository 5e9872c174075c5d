package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
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
	// the server's per-address limit (20/s, bursts of 40), which stays on,
	// up to 20,000 requests/s in all.
	waitsAddrs   = 1000
	waitsWorkers = 64
	waitsDisplay = 100
	// crowdNice is the crowd process's niceness: it stands for phones on
	// other machines, so on this one it takes the CPU the server and the
	// displays leave, instead of being charged to the server.
	crowdNice = "10"
)

// crowdMain is the public crowd (mode "crowd", its own process): phones
// and browsers fetching /waits and /api/v1/waits, full answers (no
// If-None-Match; gzip, as browsers ask), from many addresses, paced at
// -rate per second (an open loop: a request the workers cannot start in
// time is dropped, so a shortfall shows) or as fast as the workers go
// (-rate 0). Every 100 ms it prints "T unixnano ok limited failed"; it
// stops when its stdin closes.
func crowdMain(args []string) error {
	fs := flag.NewFlagSet("crowd", flag.ExitOnError)
	url := fs.String("url", "", "server base URL")
	rate := fs.Int("rate", 0, "requests per second (0: as fast as possible)")
	fs.Parse(args)
	var ok, limited, failed, next atomic.Int64
	var clients []*http.Client
	for i := range waitsAddrs {
		ip := net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
		clients = append(clients, &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true}})
	}
	urls := [2]string{*url + "/waits", *url + "/api/v1/waits"}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	var tokens chan struct{}
	var wg sync.WaitGroup
	if *rate > 0 {
		tokens = make(chan struct{}, *rate/10)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(2 * time.Millisecond)
			defer t.Stop()
			start, sent := time.Now(), 0
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-t.C:
					for due := int(now.Sub(start).Seconds() * float64(*rate)); sent < due; sent++ {
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
				n := next.Add(1)
				req, _ := http.NewRequestWithContext(ctx, "GET", urls[n%2], nil)
				req.Header.Set("Accept-Encoding", "gzip, deflate, br") // as every browser asks
				resp, err := clients[n%waitsAddrs].Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				default:
					failed.Add(1)
				}
			}
		}()
	}
	w := bufio.NewWriter(os.Stdout)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case now := <-t.C:
			fmt.Fprintf(w, "T %d %d %d %d\n", now.UnixNano(), ok.Load(), limited.Load(), failed.Load())
			w.Flush()
		}
	}
	wg.Wait()
	return nil
}

// crowd is a running crowd process and its latest counts.
type crowd struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	mu   sync.Mutex
	last crowdSample
	done chan struct{}
}

type crowdSample struct {
	at                  time.Time
	ok, limited, failed int64
}

func startCrowd(url string, rate int) (*crowd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{self, "crowd", "-url", url, "-rate", strconv.Itoa(rate)}
	if nice, err := exec.LookPath("nice"); err == nil {
		args = append([]string{nice, "-n", crowdNice}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &crowd{cmd: cmd, in: in, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 5 || f[0] != "T" {
				continue
			}
			var v [4]int64
			for i := range v {
				v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
			}
			c.mu.Lock()
			c.last = crowdSample{time.Unix(0, v[0]), v[1], v[2], v[3]}
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// sample waits for the next report of the crowd and returns it.
func (c *crowd) sample() crowdSample {
	c.mu.Lock()
	prev := c.last.at
	c.mu.Unlock()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		c.mu.Lock()
		s := c.last
		c.mu.Unlock()
		if s.at.After(prev) {
			return s
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func (c *crowd) stop() error {
	c.in.Close()
	<-c.done
	return c.cmd.Wait()
}

// rate is the 200 answers per second between two samples.
func rateBetween(a, b crowdSample) float64 {
	if !b.at.After(a.at) {
		return 0
	}
	return float64(b.ok-a.ok) / b.at.Sub(a.at).Seconds()
}

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

// waitsLoad measures the public live-waits page: the most 200 answers per
// second the page and its JSON give, then call → display p99 (100
// displays) side by side without and with 5,000 requests/s of them, run
// after run. The per-address rate limit stays on (the server's default);
// the crowd comes from 1,000 addresses, each below it.
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
		c, err := startCrowd(s.url, 0)
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		a := c.sample()
		time.Sleep(3 * time.Second)
		b := c.sample()
		if err := c.stop(); err != nil {
			return err
		}
		most.add(rateBetween(a, b))
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
		c, err = startCrowd(s.url, waitsRate)
		if err != nil {
			return err
		}
		ps, err = subscribers(s, tok, waitsDisplay)
		if err != nil {
			c.stop()
			return err
		}
		time.Sleep(time.Second)
		a = c.sample()
		lat, missing, err = callRound(s, admin, ps, waitsDisplay, 20, 100*time.Millisecond)
		b = c.sample()
		if serr := c.stop(); err == nil {
			err = serr
		}
		if err != nil || missing > 0 {
			return fmt.Errorf("with load: %v, %d missing", err, missing)
		}
		p1 := percentile(lat, .99)
		with.add(p1)
		paced.add(rateBetween(a, b))
		ratio.add(100 * (p1 - p0) / p0)
		limited += b.limited
		failed += b.failed
		fmt.Fprintf(os.Stderr, "waits run %d: most %.0f answers/s; paced %.0f answers/s; p99 %.2f ms without, %.2f ms with (%+.1f %%); load %s\n",
			i+1, most.vals[i], paced.vals[i], p0, p1, ratio.vals[i], loadavg())
		time.Sleep(500 * time.Millisecond)
	}
	if len(most.vals) == 0 {
		return errors.New("no run")
	}
	host, _ := os.Hostname()
	rep.add("Measured %s on %s (%d CPUs), %d runs: median (min, max); load average %s before, %s after (1, 5, 15 min).",
		time.Now().Format("2006-01-02 15:04 MST"), host, numCPU(), runs, load0, loadavg())
	rep.add("")
	rep.add("| measurement | result | target |")
	rep.add("|---|---|---|")
	rep.add("| `/waits` + `/api/v1/waits`, most 200 answers/s (%d clients from %d addresses, gzip as browsers ask, per-address limit on) | %s req/s | ≥ 5,000 req/s |", waitsWorkers, waitsAddrs, most)
	rep.add("| the same paced at %d req/s: 200 answers/s during the calls | %s req/s | ≥ 5,000 req/s |", waitsRate, paced)
	rep.add("| call → display p99, %d displays, no public load | %s ms | – |", waitsDisplay, none)
	rep.add("| call → display p99, %d displays, %d waits requests/s | %s ms | within 10 %% of without |", waitsDisplay, waitsRate, with)
	rep.add("| p99 with load − without, per run | %s %% | ≤ +10 %% |", ratio)
	rep.add("| answers 429 / failed at %d req/s, all runs (each address stays under its limit) | %d / %d | 0 / 0 |", waitsRate, limited, failed)
	return nil
}
