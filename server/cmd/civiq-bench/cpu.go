package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// clockTicks is the kernel's USER_HZ: /proc times are in these units.
const clockTicks = 100

// procTicks is the CPU time (user + system, in clock ticks) a process has
// used, with its threads; 0 when it is gone.
func procTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// treeTicks is the CPU time of pid and every process below it.
func treeTicks(pid int) int64 {
	children := map[int][]int{}
	ents, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, e := range ents {
		b, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		p, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Dir(e), "/proc/"), "/"))
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	var sum int64
	var walk func(int)
	walk = func(p int) {
		sum += procTicks(p)
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return sum
}

// machineTicks is the CPU time every process of the machine used (busy
// time in /proc/stat).
func machineTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // steal, guest: not this machine's work
			break
		}
		busy += n
	}
	return busy
}

// cpuUse is the CPU time spent during a measurement, per part, in
// clock ticks.
type cpuUse struct {
	server, postgres, client, machine int64
}

// cpuSample reads the current totals: the server processes, the
// PostgreSQL server with its backends (pgPID 0: none), this process.
func cpuSample(servers []*server, pgPID int) cpuUse {
	var u cpuUse
	for _, s := range servers {
		u.server += procTicks(s.cmd.Process.Pid)
	}
	if pgPID > 0 {
		u.postgres = treeTicks(pgPID)
	}
	u.client = procTicks(os.Getpid())
	u.machine = machineTicks()
	return u
}

func (u cpuUse) sub(v cpuUse) cpuUse {
	return cpuUse{u.server - v.server, u.postgres - v.postgres, u.client - v.client, u.machine - v.machine}
}

// perOp formats the CPU time per operation of each part, in µs.
func (u cpuUse) perOp(ops int64) string {
	if ops == 0 {
		return "no operations"
	}
	us := func(t int64) float64 { return float64(t) * 1e6 / clockTicks / float64(ops) }
	return fmt.Sprintf("CPU per op: server %.0f µs, PostgreSQL %.0f µs, load client %.0f µs (these %.0f µs; whole machine %.0f µs)",
		us(u.server), us(u.postgres), us(u.client), us(u.server+u.postgres+u.client), us(u.machine))
}

// printStatements prints what pg_stat_statements measured, the costliest
// statements first (PostgreSQL started with CIVIQ_PG_SETTINGS=
// "shared_preload_libraries=pg_stat_statements").
func printStatements(ctx context.Context, url string) error {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return err
	}
	rows, err := c.Query(ctx, `SELECT calls, total_exec_time, total_plan_time, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements WHERE query NOT LIKE 'CREATE%' AND query NOT LIKE '--%'
		ORDER BY query ~* '^(begin|commit|rollback|savepoint|release|set)', total_exec_time + total_plan_time DESC LIMIT 40`)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Fprintf(os.Stderr, "%9s %10s %9s %9s  %s\n", "calls", "exec ms", "plan ms", "rows", "statement")
	for rows.Next() {
		var calls, n int64
		var exec, plan float64
		var q string
		if err := rows.Scan(&calls, &exec, &plan, &n, &q); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%9d %10.1f %9.1f %9d  %s\n", calls, exec, plan, n, q)
	}
	return rows.Err()
}
