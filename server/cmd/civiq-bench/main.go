// Command civiq-bench measures the server's performance targets (make bench):
// durable ticket operations per second (SQLite, and PostgreSQL with one and
// two instances), call-to-subscriber latency at 500 and 2,000 subscribers
// (and across two instances on PostgreSQL), the failover of displays from a
// killed instance to the other, the most subscribers one instance holds with p99 ≤
// 250 ms, memory per idle subscriber, and restart time with 100,000 events.
//
// The server runs as its own process (the real binary); this program is the
// load client, and for large subscriber counts it starts copies of itself
// (mode "subs") so that no process exceeds its file-descriptor limit. Each
// measurement runs five times; the median and the spread are reported and
// written into docs/PERFORMANCE.md between the server-bench markers.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/internal/store/sqlite"
	"github.com/civiq/civiq/server/protocol"
)

const adminPW = "bench-admin-password"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "subs" {
		if err := subsMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "subs:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "crowd" {
		if err := crowdMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "crowd:", err)
			os.Exit(1)
		}
		return
	}
	fs := flag.NewFlagSet("civiq-bench", flag.ExitOnError)
	runs := fs.Int("runs", 5, "repetitions of each measurement")
	only := fs.String("only", "", "comma-separated subset: throughput,postgres,pg-throughput,failover,latency,max,memory,restart,reports,webhooks,waits")
	doc := fs.String("doc", "docs/PERFORMANCE.md", "file whose server-bench section is rewritten (empty: none)")
	maxSubs := fs.Int("max-subs", 19500, "largest subscriber count tried (the sandbox allows 20,000 open files per process)")
	keep := fs.String("keep", "", "keep the restart store in this folder (for profiling)")
	reportDays := fs.Int("report-days", 365, "days of tickets the reports measurement writes (365: about 300,000 tickets)")
	fs.Parse(os.Args[1:])
	if err := benchMain(*runs, *only, *doc, *maxSubs, *keep, *reportDays); err != nil {
		fmt.Fprintln(os.Stderr, "civiq-bench:", err)
		os.Exit(1)
	}
}

type server struct {
	cmd  *exec.Cmd
	url  string
	data string
}

func buildServer(dir string) (string, error) {
	if b := os.Getenv("CIVIQ_BENCH_SERVER"); b != "" {
		return b, nil // a server built elsewhere (A/B comparisons)
	}
	bin := filepath.Join(dir, "civiq-server")
	cmd := exec.Command("go", "build", "-o", bin, "./server")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// startServer starts the server binary on data; extra flags come last
// (so they override the defaults here).
func startServer(bin, data string, extra ...string) (*server, time.Duration, error) {
	start := time.Now()
	args := append([]string{"--addr", "127.0.0.1:0", "--data", data, "--login-rate", "-1", "--public-rate", "-1", "--device-rate", "-1", "--log-level", "warn"}, extra...)
	if a := os.Getenv("CIVIQ_BENCH_DEBUG_ADDR"); a != "" {
		args = append(args, "--debug-addr", a) // profile the server under load
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CIVIQ_ADMIN_PASSWORD="+adminPW)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "CiviQ is serving at "); ok {
				urlc <- u
			}
		}
	}()
	select {
	case u := <-urlc:
		// Serving means answering: poll /healthz.
		for {
			resp, err := http.Get(u + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return &server{cmd: cmd, url: u, data: data}, time.Since(start), nil
				}
			}
			time.Sleep(time.Millisecond)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return nil, 0, errors.New("server did not start")
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) rssKiB() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			n, _ := strconv.ParseInt(f[0], 10, 64)
			return n
		}
	}
	return 0
}

func httpClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}}
}

func (s *server) client(token string) *client.Client {
	c, _ := client.New(s.url, token, client.WithHTTPClient(httpClient()))
	return c
}

func (s *server) admin() (*client.Client, string, error) {
	c := s.client("")
	lr, err := c.Login(context.Background(), "admin", adminPW)
	if err != nil {
		return nil, "", err
	}
	return c.WithToken(lr.Token), lr.Token, nil
}

func (s *server) device(kind string) (string, error) {
	a, _, err := s.admin()
	if err != nil {
		return "", err
	}
	d, err := a.CreateDevice(context.Background(), kind, "bench "+kind)
	return d.Token, err
}

// stats are a median and spread over runs.
type stats struct{ vals []float64 }

func (s *stats) add(v float64) { s.vals = append(s.vals, v) }
func (s stats) median() float64 {
	v := slices.Clone(s.vals)
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}
func (s stats) min() float64 { return slices.Min(s.vals) }
func (s stats) max() float64 { return slices.Max(s.vals) }
func (s stats) String() string {
	if len(s.vals) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (min %s, max %s)", num(s.median()), num(s.min()), num(s.max()))
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

type report struct {
	rows []string
}

func (r *report) add(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	fmt.Println(line)
	r.rows = append(r.rows, line)
}

func benchMain(runs int, only, doc string, maxSubs int, keepDir string, reportDays int) error {
	nofile := raiseNofile()
	tmp, err := os.MkdirTemp("", "civiq-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := buildServer(tmp)
	if err != nil {
		return err
	}
	want := func(name string) bool { return only == "" || slices.Contains(strings.Split(only, ","), name) }
	host, _ := os.Hostname()
	rep := &report{}
	rep.add("Measured %s on %s (%d CPUs, open-files limit %d), %d runs each: median (min, max).", time.Now().Format("2006-01-02 15:04 MST"), host, numCPU(), nofile, runs)
	rep.add("")
	rep.add("| measurement | result | target |")
	rep.add("|---|---|---|")
	if want("throughput") {
		var st stats
		for i := range runs {
			v, err := throughput(bin, filepath.Join(tmp, fmt.Sprintf("tp%d", i)))
			if err != nil {
				return fmt.Errorf("throughput: %w", err)
			}
			fmt.Fprintf(os.Stderr, "throughput run %d: %.0f ops/s\n", i+1, v)
			st.add(v)
		}
		rep.add("| durable ticket operations (issue + call), 64 concurrent clients, SQLite | %s ops/s | ≥ 2,000 ops/s |", st)
	}
	if want("postgres") || want("pg-throughput") {
		counts := []int{1, 2}
		if v, err := strconv.Atoi(os.Getenv("CIVIQ_BENCH_PG_INSTANCES")); err == nil && v > 0 {
			counts = []int{v} // one instance count only, for profiling
		}
		for _, n := range counts {
			var st stats
			for i := range runs {
				v, err := throughputPG(bin, filepath.Join(tmp, fmt.Sprintf("pg%d-%d", n, i)), n)
				if err != nil {
					return fmt.Errorf("throughput on PostgreSQL, %d instances: %w", n, err)
				}
				fmt.Fprintf(os.Stderr, "PostgreSQL throughput, %d instances, run %d: %.0f ops/s\n", n, i+1, v)
				st.add(v)
			}
			target := map[int]string{1: "(SQLite's line above, side by side)", 2: "≥ 1,500 ops/s"}[n]
			rep.add("| durable ticket operations (issue + call), 64 concurrent clients, PostgreSQL 15 on this machine, %d instance(s) | %s ops/s | %s |", n, st, target)
		}
	}
	if want("postgres") || want("failover") {
		cross, same, err := crossLatency(bin, filepath.Join(tmp, "pgcross"), 500, runs)
		if err != nil {
			return fmt.Errorf("call across instances: %w", err)
		}
		rep.add("| call on instance 2 → every subscriber on instance 1 received it, 500 subscribers, PostgreSQL 15 | p50 %s ms, p99 %s ms | p99 ≤ 50 ms |", cross[0], cross[1])
		rep.add("| the same calls made on instance 1 itself (PostgreSQL 15, no crossing; for comparison) | p50 %s ms, p99 %s ms | – |", same[0], same[1])
		mid, worst, err := failover(bin, filepath.Join(tmp, "pgfailover"), 500, runs)
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		rep.add("| kill -9 of the instance 500 displays follow → each back on the other instance with the calls it missed, PostgreSQL 15 | median display %s ms, slowest display %s ms | ≤ 3,000 ms |", mid, worst)
	}
	if want("latency") {
		for _, n := range []int{500, 2000} {
			p50, p99, err := latency(bin, filepath.Join(tmp, fmt.Sprintf("lat%d", n)), n, runs)
			if err != nil {
				return fmt.Errorf("latency %d: %w", n, err)
			}
			target := map[int]string{500: "p99 ≤ 20 ms", 2000: "p99 ≤ 60 ms"}[n]
			rep.add("| call → every subscriber received it, %d subscribers | p50 %s ms, p99 %s ms | %s |", n, p50, p99, target)
		}
	}
	if want("max") {
		held, p99, err := maxSubscribers(bin, filepath.Join(tmp, "max"), maxSubs, runs)
		if err != nil {
			return fmt.Errorf("max subscribers: %w", err)
		}
		if held == 0 {
			rep.add("| most subscribers held with p99 ≤ 250 ms | fewer than 5,000 (the machine was busy?) | aim 20,000 |")
		} else {
			rep.add("| most subscribers held with p99 ≤ 250 ms | %d (p99 there %s ms) | aim 20,000 |", held, p99)
		}
	}
	if want("memory") {
		var st stats
		for i := range runs {
			v, err := memory(bin, filepath.Join(tmp, fmt.Sprintf("mem%d", i)), 5000)
			if err != nil {
				return fmt.Errorf("memory: %w", err)
			}
			fmt.Fprintf(os.Stderr, "memory run %d: %.1f KiB per subscriber\n", i+1, v)
			st.add(v)
		}
		rep.add("| memory per idle subscriber (RSS growth / 5,000 subscribers) | %s KiB | ≤ 20 KiB |", st)
	}
	if want("restart") {
		st, events, err := restart(bin, filepath.Join(tmp, "restart"), runs, keepDir)
		if err != nil {
			return fmt.Errorf("restart: %w", err)
		}
		rep.add("| restart to serving (/healthz 200) with %d events in the store | %s ms | ≤ 1,000 ms |", events, st)
	}
	if want("reports") {
		if err := reportYear(filepath.Join(tmp, "reports"), runs, reportDays, rep); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	if want("webhooks") {
		if err := webhookLatency(bin, filepath.Join(tmp, "webhooks"), runs, rep); err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
	}
	if want("waits") {
		wrep := &report{}
		if err := waitsLoad(bin, filepath.Join(tmp, "waits"), runs, wrep); err != nil {
			return fmt.Errorf("waits: %w", err)
		}
		if doc != "" {
			if err := writeSection(doc, waitsBegin, waitsEnd, wrep.rows); err != nil {
				return err
			}
		}
		if only == "waits" {
			return nil // the server-bench section keeps its last full run
		}
	}
	if doc != "" {
		return writeDoc(doc, rep.rows)
	}
	return nil
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

const (
	docBegin = "<!-- server-bench:begin (rewritten by make bench) -->"
	docEnd   = "<!-- server-bench:end -->"
)

func writeDoc(path string, rows []string) error {
	return writeSection(path, docBegin, docEnd, rows)
}

// writeSection replaces the lines between the markers begin and end.
func writeSection(path, begin, end string, rows []string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q … %q section", path, begin, end)
	}
	s = s[:i+len(begin)] + "\n" + strings.Join(rows, "\n") + "\n" + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}

var services = []string{"dat-dai", "tu-phap-ho-tich", "dang-ky-kinh-doanh", "xay-dung", "lao-dong-tbxh", "tai-nguyen-moi-truong", "giao-thong-van-tai", "tra-ket-qua"}

// throughput: 56 clients issue and 8 clerks call for 5 s; every counted
// operation was acknowledged after its commit was fsynced.
func throughput(bin, data string) (float64, error) {
	s, _, err := startServer(bin, data)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	return load([]*server{s}, 0)
}

// throughputPG is throughput on n server instances sharing one PostgreSQL
// database (a throw-away PostgreSQL 15 on this machine, see pgtest), the
// clients spread over the instances.
func throughputPG(bin, dir string, n int) (float64, error) {
	ctx := context.Background()
	url, pgPID := os.Getenv("CIVIQ_BENCH_PG_URL"), 0
	if url == "" {
		pg, err := pgtest.Start(ctx)
		if err != nil {
			return 0, err
		}
		defer pg.Stop()
		if _, url, err = pg.CreateDatabase(ctx); err != nil {
			return 0, err
		}
		pgPID = pg.PID()
	} else if p, err := strconv.Atoi(os.Getenv("CIVIQ_BENCH_PG_PID")); err == nil {
		pgPID = p // CPU time of that PostgreSQL server counted too
	}
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for i := range n {
		s, _, err := startServer(bin, filepath.Join(dir, fmt.Sprint(i)), "--db", url)
		if err != nil {
			return 0, err
		}
		servers = append(servers, s)
	}
	v, err := load(servers, pgPID)
	if err == nil && os.Getenv("CIVIQ_BENCH_PG_STATEMENTS") != "" {
		err = printStatements(ctx, url)
	}
	return v, err
}

// load: 56 kiosk clients issue and 8 clerks call, spread over servers, for
// 5 s; returns the acknowledged operations per second after a 1 s warm-up.
// It prints the CPU time per operation of the servers, of PostgreSQL
// (pgPID, 0: none) and of the load client, which depends less than the
// rate on what else runs on the machine.
func load(servers []*server, pgPID int) (float64, error) {
	kioskTok, err := servers[0].device("kiosk")
	if err != nil {
		return 0, err
	}
	var admins []*client.Client
	for _, s := range servers {
		admin, _, err := s.admin()
		if err != nil {
			return 0, err
		}
		admins = append(admins, admin)
	}
	var ops atomic.Int64
	measure := 4 * time.Second
	if v, err := time.ParseDuration(os.Getenv("CIVIQ_BENCH_LOAD")); err == nil && v > 0 {
		measure = v // longer, for profiling
	}
	ctx, cancel := context.WithTimeout(context.Background(), measure+2*time.Second)
	defer cancel()
	var counting atomic.Bool
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := range 56 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kiosk := servers[w%len(servers)].client(kioskTok)
			for i := 0; ctx.Err() == nil; i++ {
				_, err := kiosk.IssueTicket(ctx, protocol.IssueRequest{ServiceID: services[(w+i)%len(services)]}, "")
				if err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				if counting.Load() {
					ops.Add(1)
				}
			}
		}()
	}
	for c := 1; c <= 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				tk, err := admins[c%len(admins)].Next(ctx, fmt.Sprintf("q%d", c))
				if err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				if tk != nil && counting.Load() {
					ops.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second) // warm-up: connections, page cache
	counting.Store(true)
	start := time.Now()
	n0 := ops.Load()
	cpu0 := cpuSample(servers, pgPID)
	time.Sleep(measure)
	n := ops.Load() - n0
	cpu := cpuSample(servers, pgPID).sub(cpu0)
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "%.0f ops/s; %s\n", float64(n)/el.Seconds(), cpu.perOp(n))
	cancel()
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok && e != nil {
		return 0, e
	}
	return float64(n) / el.Seconds(), nil
}

// subProc is a copy of this program holding websocket subscribers.
type subProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	ready chan error
}

func startSubs(url, token string, n int, local string) (*subProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "subs", "-url", url, "-token", token, "-n", strconv.Itoa(n), "-local", local)
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
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	p := &subProc{cmd: cmd, in: in, out: sc, ready: make(chan error, 1)}
	go func() {
		for sc.Scan() {
			if sc.Text() == "READY" {
				p.ready <- nil
				return
			}
		}
		p.ready <- errors.New("subscriber process ended before READY")
	}()
	return p, nil
}

// finish closes stdin and reads back receipts: ticket id → receive times.
func (p *subProc) finish(into map[string][]int64) (lost int, err error) {
	p.in.Close()
	for p.out.Scan() {
		f := strings.Fields(p.out.Text())
		switch {
		case len(f) == 3 && f[0] == "R":
			ns, _ := strconv.ParseInt(f[2], 10, 64)
			into[f[1]] = append(into[f[1]], ns)
		case len(f) == 2 && f[0] == "LOST":
			lost, _ = strconv.Atoi(f[1])
		}
	}
	return lost, p.cmd.Wait()
}

// subscribers spreads n subscribers over processes of at most 9,000 each,
// each process on its own 127.0.0.x source address (ephemeral ports).
func subscribers(s *server, token string, n int) ([]*subProc, error) {
	const per = 9000
	var ps []*subProc
	for i := 0; n > 0; i++ {
		k := min(n, per)
		p, err := startSubs(s.url, token, k, fmt.Sprintf("127.0.0.%d", i+1))
		if err != nil {
			return nil, err
		}
		if err := <-p.ready; err != nil {
			return nil, err
		}
		ps = append(ps, p)
		n -= k
	}
	return ps, nil
}

// callRound makes calls, then collects every subscriber's receipt and
// returns latencies in ms (sorted) and how many receipts were missing.
func callRound(s *server, admin *client.Client, ps []*subProc, n, calls int, gap time.Duration) ([]float64, int, error) {
	t0 := map[string]int64{}
	for range calls {
		if _, err := admin.IssueTicket(context.Background(), protocol.IssueRequest{ServiceID: "dang-ky-kinh-doanh"}, ""); err != nil {
			return nil, 0, err
		}
	}
	time.Sleep(gap)
	for range calls {
		start := time.Now().UnixNano()
		tk, err := admin.Next(context.Background(), "q5")
		if err != nil || tk == nil {
			return nil, 0, fmt.Errorf("next: %v", err)
		}
		t0[tk.ID] = start
		time.Sleep(gap)
	}
	recv := map[string][]int64{}
	lost := 0
	for _, p := range ps {
		l, err := p.finish(recv)
		if err != nil {
			return nil, 0, err
		}
		lost += l
	}
	var lat []float64
	missing := 0
	for id, start := range t0 {
		rs := recv[id]
		missing += n - len(rs)
		for _, r := range rs {
			lat = append(lat, float64(r-start)/1e6)
		}
	}
	sort.Float64s(lat)
	return lat, missing + lost, nil
}

func latency(bin, data string, n, runs int) (p50, p99 stats, err error) {
	s, _, err := startServer(bin, data)
	if err != nil {
		return p50, p99, err
	}
	defer s.stop()
	tok, err := s.device("display")
	if err != nil {
		return p50, p99, err
	}
	admin, _, err := s.admin()
	if err != nil {
		return p50, p99, err
	}
	for i := range runs {
		ps, err := subscribers(s, tok, n)
		if err != nil {
			return p50, p99, err
		}
		lat, missing, err := callRound(s, admin, ps, n, 20, 150*time.Millisecond)
		if err != nil {
			return p50, p99, err
		}
		if missing > 0 {
			return p50, p99, fmt.Errorf("%d receipts missing", missing)
		}
		a, b := percentile(lat, .5), percentile(lat, .99)
		fmt.Fprintf(os.Stderr, "latency %d subscribers run %d: p50 %.1f ms p99 %.1f ms max %.1f ms\n", n, i+1, a, b, lat[len(lat)-1])
		p50.add(a)
		p99.add(b)
	}
	return p50, p99, nil
}

// maxSubscribers raises the subscriber count until p99 exceeds 250 ms or
// the limit is reached; at each level it runs `runs` rounds of calls.
func maxSubscribers(bin, data string, limit, runs int) (int, stats, error) {
	s, _, err := startServer(bin, data)
	if err != nil {
		return 0, stats{}, err
	}
	defer s.stop()
	tok, err := s.device("display")
	if err != nil {
		return 0, stats{}, err
	}
	admin, _, err := s.admin()
	if err != nil {
		return 0, stats{}, err
	}
	held, best := 0, stats{}
	for _, n := range []int{5000, 10000, 12500, 15000, 17500, limit} {
		if n > limit {
			break
		}
		var p99 stats
		ok := true
		for i := range runs {
			ps, err := subscribers(s, tok, n)
			if err != nil {
				fmt.Fprintf(os.Stderr, "max: %d subscribers could not connect: %v\n", n, err)
				ok = false
				break
			}
			lat, missing, err := callRound(s, admin, ps, n, 10, 400*time.Millisecond)
			if err != nil || missing > 0 {
				fmt.Fprintf(os.Stderr, "max: %d subscribers: %v, %d missing\n", n, err, missing)
				ok = false
				break
			}
			v := percentile(lat, .99)
			fmt.Fprintf(os.Stderr, "max %d subscribers run %d: p50 %.1f ms p99 %.1f ms\n", n, i+1, percentile(lat, .5), v)
			p99.add(v)
		}
		if !ok || p99.median() > 250 {
			break
		}
		held, best = n, p99
	}
	return held, best, nil
}

func memory(bin, data string, n int) (float64, error) {
	s, _, err := startServer(bin, data)
	if err != nil {
		return 0, err
	}
	defer s.stop()
	tok, err := s.device("display")
	if err != nil {
		return 0, err
	}
	// Warm up: one round of a few subscribers so lazily built state exists.
	ps, err := subscribers(s, tok, 50)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		p.finish(map[string][]int64{})
	}
	time.Sleep(500 * time.Millisecond)
	before := s.rssKiB()
	ps, err = subscribers(s, tok, n)
	if err != nil {
		return 0, err
	}
	time.Sleep(2 * time.Second) // idle: let the handshakes' garbage be collected
	after := s.rssKiB()
	for _, p := range ps {
		p.finish(map[string][]int64{})
	}
	return float64(after-before) / float64(n), nil
}

// restart fills a store with at least 100,000 events through the real
// engine, then times server starts on it.
func restart(bin, data string, runs int, keepDir string) (stats, int64, error) {
	var st stats
	if err := os.MkdirAll(data, 0o700); err != nil {
		return st, 0, err
	}
	// Let the server create and seed the store, then stop it.
	s, _, err := startServer(bin, data)
	if err != nil {
		return st, 0, err
	}
	s.stop()
	events, err := fill(filepath.Join(data, "civiq.db"), 100_000)
	if err != nil {
		return st, 0, err
	}
	if keepDir != "" {
		exec.Command("cp", "-r", data+"/.", keepDir).Run()
	}
	for i := range runs {
		s, d, err := startServer(bin, data)
		if err != nil {
			return st, 0, err
		}
		s.stop()
		fmt.Fprintf(os.Stderr, "restart run %d: %v\n", i+1, d)
		st.add(float64(d.Microseconds()) / 1000)
	}
	return st, events, nil
}

// fill issues and calls tickets through the queue engine until the store
// holds at least n events.
func fill(path string, n int64) (int64, error) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	e := queue.New(st, queue.SystemClock{}, slog.New(slog.DiscardHandler), queue.Options{Location: loc})
	if err := e.Start(ctx); err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if seq, _ := e.Seq(); seq >= n {
					return
				}
				var err error
				// As many callers as issuers, so that, as in a real
				// centre, most tickets end up served rather than waiting.
				if w < 16 {
					_, err = e.Issue(ctx, "bench", protocol.IssueRequest{ServiceID: services[(w+i)%len(services)]}, "")
				} else {
					_, err = e.Next(ctx, fmt.Sprintf("q%d", (w-16)%8+1), "bench")
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok && e != nil {
		return 0, e
	}
	seq, _ := e.Seq()
	return seq, nil
}

// ---- subscriber process ----

func subsMain(args []string) error {
	raiseNofile()
	fs := flag.NewFlagSet("subs", flag.ExitOnError)
	url := fs.String("url", "", "server URL")
	token := fs.String("token", "", "display token")
	n := fs.Int("n", 100, "subscribers")
	local := fs.String("local", "127.0.0.1", "source address")
	fs.Parse(args)
	wsURL := "ws" + strings.TrimPrefix(*url, "http") + "/ws?token=" + *token
	type receipt struct {
		id string
		ns int64
	}
	var mu sync.Mutex
	var receipts []receipt
	var lost atomic.Int64
	var conns []net.Conn
	var cmu sync.Mutex
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(*local)}, Timeout: 30 * time.Second}
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	errc := make(chan error, *n)
	var ready sync.WaitGroup
	for range *n {
		wg.Add(1)
		ready.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c, err := dialWS(dialer, wsURL)
			<-sem
			if err != nil {
				errc <- err
				ready.Done()
				return
			}
			cmu.Lock()
			conns = append(conns, c.raw)
			cmu.Unlock()
			first := true
			for {
				typ, id, err := c.next()
				if err != nil {
					if first {
						errc <- err
						ready.Done()
					} else if !errors.Is(err, net.ErrClosed) {
						lost.Add(1)
					}
					return
				}
				if first {
					first = false
					ready.Done()
				}
				if typ == protocol.EventTicketCalled {
					now := time.Now().UnixNano()
					mu.Lock()
					receipts = append(receipts, receipt{id, now})
					mu.Unlock()
				}
			}
		}()
	}
	ready.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Println("READY")
	io.Copy(io.Discard, os.Stdin) // until the driver closes stdin
	cmu.Lock()
	for _, c := range conns {
		c.Close()
	}
	cmu.Unlock()
	wg.Wait()
	w := bufio.NewWriter(os.Stdout)
	mu.Lock()
	for _, r := range receipts {
		fmt.Fprintf(w, "R %s %d\n", r.id, r.ns)
	}
	mu.Unlock()
	fmt.Fprintf(w, "LOST %d\n", lost.Load())
	return w.Flush()
}
