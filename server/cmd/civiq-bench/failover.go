package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/internal/store/postgres/pgtest"
	"github.com/civiq/civiq/server/protocol"
)

// pgPair starts a throw-away PostgreSQL and two server instances on one
// database of it; stop ends them all.
type pgPair struct {
	pg   *pgtest.Server
	url  string
	bin  string
	dir  string
	inst [2]*server
}

func startPair(bin, dir string) (*pgPair, error) {
	ctx := context.Background()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		return nil, err
	}
	_, url, err := pg.CreateDatabase(ctx)
	if err != nil {
		pg.Stop()
		return nil, err
	}
	p := &pgPair{pg: pg, url: url, bin: bin, dir: dir}
	for i := range p.inst {
		if err := p.start(i); err != nil {
			p.stop()
			return nil, err
		}
	}
	return p, nil
}

func (p *pgPair) start(i int) error {
	s, _, err := startServer(p.bin, filepath.Join(p.dir, fmt.Sprint(i)), "--db", p.url)
	p.inst[i] = s
	return err
}

func (p *pgPair) stop() {
	for _, s := range p.inst {
		if s != nil && s.cmd.ProcessState == nil {
			s.stop()
		}
	}
	p.pg.Stop()
}

// kill9 ends instance i with SIGKILL.
func (p *pgPair) kill9(i int) {
	p.inst[i].cmd.Process.Kill() // SIGKILL
	p.inst[i].cmd.Wait()
}

// crossLatency: n display subscribers on instance 1, the clerk's calls on
// instance 2: the event crosses PostgreSQL (NOTIFY, the event reader) to
// reach them. For comparison, each run also times calls made on instance 1
// itself (same store, no crossing): p50 and p99 of both, cross first.
func crossLatency(bin, dir string, n, runs int) (cross, same [2]stats, err error) {
	pair, err := startPair(bin, dir)
	if err != nil {
		return cross, same, err
	}
	defer pair.stop()
	tok, err := pair.inst[0].device("display")
	if err != nil {
		return cross, same, err
	}
	var admins [2]*client.Client
	for i := range admins {
		if admins[i], _, err = pair.inst[i].admin(); err != nil {
			return cross, same, err
		}
	}
	for i := range runs {
		for _, on := range []int{1, 0} {
			ps, err := subscribers(pair.inst[0], tok, n)
			if err != nil {
				return cross, same, err
			}
			lat, missing, err := callRound(pair.inst[on], admins[on], ps, n, 20, 150*time.Millisecond)
			if err != nil {
				return cross, same, err
			}
			if missing > 0 {
				return cross, same, fmt.Errorf("%d receipts missing", missing)
			}
			a, b := percentile(lat, .5), percentile(lat, .99)
			fmt.Fprintf(os.Stderr, "call on instance %d → %d subscribers on instance 1, run %d: p50 %.1f ms p99 %.1f ms max %.1f ms\n", on+1, n, i+1, a, b, lat[len(lat)-1])
			st := &cross
			if on == 0 {
				st = &same
			}
			st[0].add(a)
			st[1].add(b)
		}
	}
	return cross, same, nil
}

// failoverDisplay is one display (the Go client given both instances'
// addresses) and what it received.
type failoverDisplay struct {
	mu   sync.Mutex
	ups  []time.Time
	seqs []int64
	ids  []string
	at   map[string]time.Time
	err  error
}

// failover: n displays (the Go client with both addresses, as a display
// configured with two servers) follow instance 1 while the clerk calls on
// instance 2 every 50 ms; instance 1 is killed with kill -9. For each
// display, the time from the kill until it has every call acknowledged
// before it was connected to instance 2 again; every display must receive
// every call once, in order. Returns the p50 and the largest over the
// displays, per run.
func failover(bin, dir string, n, runs int) (p50, worst stats, err error) {
	for r := range runs {
		a, b, err := failoverOnce(bin, filepath.Join(dir, fmt.Sprint(r)), n)
		if err != nil {
			return p50, worst, err
		}
		fmt.Fprintf(os.Stderr, "kill -9 of the instance of %d displays, run %d: back with the missed calls after p50 %.0f ms, max %.0f ms\n", n, r+1, a, b)
		p50.add(a)
		worst.add(b)
	}
	return p50, worst, nil
}

func failoverOnce(bin, dir string, n int) (p50, worst float64, err error) {
	pair, err := startPair(bin, dir)
	if err != nil {
		return 0, 0, err
	}
	defer pair.stop()
	tok, err := pair.inst[0].device("display")
	if err != nil {
		return 0, 0, err
	}
	admin, _, err := pair.inst[1].admin()
	if err != nil {
		return 0, 0, err
	}
	ctx := context.Background()
	const calls, killAfter = 80, 20
	for range calls {
		if _, err := admin.IssueTicket(ctx, protocol.IssueRequest{ServiceID: "dang-ky-kinh-doanh"}, ""); err != nil {
			return 0, 0, err
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	ds := make([]*failoverDisplay, n)
	addrs := []string{pair.inst[0].url, pair.inst[1].url}
	for i := range ds {
		d := &failoverDisplay{at: map[string]time.Time{}}
		ds[i] = d
		c, err := client.NewMulti(addrs, tok)
		if err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Subscribe(sctx, client.SubscribeOptions{OnState: func(up bool, _ error) {
				if up {
					d.mu.Lock()
					d.ups = append(d.ups, time.Now())
					d.mu.Unlock()
				}
			}}, func(ev protocol.Event) error {
				now := time.Now()
				d.mu.Lock()
				defer d.mu.Unlock()
				if len(d.seqs) > 0 && (ev.Type == protocol.EventSnapshot || ev.Seq != d.seqs[len(d.seqs)-1]+1) && d.err == nil {
					d.err = fmt.Errorf("%s seq %d after seq %d", ev.Type, ev.Seq, d.seqs[len(d.seqs)-1])
				}
				d.seqs = append(d.seqs, ev.Seq)
				if ev.Type == protocol.EventTicketCalled {
					if v, err := protocol.DecodeEvent(ev); err == nil {
						id := v.(protocol.Call).Ticket.ID
						d.ids = append(d.ids, id)
						d.at[id] = now
					}
				}
				return nil
			})
		}()
	}
	if err := waitAll(ds, 60*time.Second, func(d *failoverDisplay) bool { return len(d.seqs) > 0 }); err != nil {
		return 0, 0, fmt.Errorf("displays connecting: %w", err)
	}
	var made []string
	acked := map[string]time.Time{}
	var killed time.Time
	for i := range calls {
		if i == killAfter {
			pair.kill9(0)
			killed = time.Now()
		}
		tk, err := admin.Next(ctx, "q5")
		if err != nil || tk == nil {
			return 0, 0, fmt.Errorf("call %d on instance 2: %v", i, err)
		}
		made = append(made, tk.ID)
		acked[tk.ID] = time.Now()
		time.Sleep(50 * time.Millisecond)
	}
	if err := waitAll(ds, 60*time.Second, func(d *failoverDisplay) bool { return len(d.ids) >= calls }); err != nil {
		return 0, 0, fmt.Errorf("displays receiving every call: %w", err)
	}
	time.Sleep(300 * time.Millisecond)
	var took []float64
	for i, d := range ds {
		d.mu.Lock()
		ids, ups, at, derr := slices.Clone(d.ids), slices.Clone(d.ups), d.at, d.err
		d.mu.Unlock()
		if derr != nil {
			return 0, 0, fmt.Errorf("display %d: %w", i, derr)
		}
		if !slices.Equal(ids, made) {
			return 0, 0, fmt.Errorf("display %d received %d calls, not the %d made once each in order", i, len(ids), len(made))
		}
		if len(ups) != 2 {
			return 0, 0, fmt.Errorf("display %d connected %d times, want 2", i, len(ups))
		}
		var back time.Time
		for _, id := range made {
			if acked[id].Before(ups[1]) && at[id].After(back) {
				back = at[id]
			}
		}
		took = append(took, float64(back.Sub(killed))/1e6)
	}
	sort.Float64s(took)
	return percentile(took, .5), took[len(took)-1], nil
}

// waitAll waits until ok holds for every display.
func waitAll(ds []*failoverDisplay, limit time.Duration, ok func(*failoverDisplay) bool) error {
	deadline := time.Now().Add(limit)
	for {
		missing := 0
		for _, d := range ds {
			d.mu.Lock()
			if !ok(d) {
				missing++
			}
			d.mu.Unlock()
		}
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New(fmt.Sprint(missing, " displays not there within ", limit))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
