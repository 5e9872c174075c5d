//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/civiq/civiq/server/client"
	"github.com/civiq/civiq/server/protocol"
)

// nginxPath finds the nginx binary: $CIVIQ_NGINX, else nginx on the PATH or
// in /usr/sbin (the Debian package nginx-light, which make deps installs).
func nginxPath() (string, error) {
	if p := os.Getenv("CIVIQ_NGINX"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errors.New("nginx not found: install the Debian package nginx-light (make deps) or set CIVIQ_NGINX")
}

// startNginx runs the real nginx with the shipped example
// deploy/nginx/civiq.conf, its two instance addresses replaced by
// upstreams and its listen port by a free loopback port, in a temporary
// prefix, as an unprivileged user (nobody when the tests run as root). It
// returns the proxy's URL; nginx is stopped when the test ends.
func startNginx(t *testing.T, upstreams ...string) string {
	t.Helper()
	bin, err := nginxPath()
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../deploy/nginx/civiq.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := string(example)
	for old, repl := range map[string]string{
		"server 192.168.10.2:8080": "server " + strings.TrimPrefix(upstreams[0], "http://"),
		"server 192.168.10.3:8080": "server " + strings.TrimPrefix(upstreams[1], "http://"),
		"listen 80;":               "listen " + addr + ";",
	} {
		if strings.Count(conf, old) != 1 {
			t.Fatalf("deploy/nginx/civiq.conf no longer has %q once: update this test with it", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	dir, err := os.MkdirTemp("", "civiq-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/civiq.conf;
}
`, dir)
	for name, text := range map[string]string{"nginx.conf": main, "civiq.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		// nginx as root would keep a root master process: run it all as
		// nobody, in a prefix nobody owns.
		u, err := osuser.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root needs the nobody user for nginx: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	cmd.SysProcAttr = attr
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGQUIT) // graceful, master and worker
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not answer /readyz 200 within 20 s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wsClients reads an instance's civiq_ws_clients gauge from /metrics.
func wsClients(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "civiq_ws_clients "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(f)
		}
	}
	t.Fatalf("%s/metrics has no civiq_ws_clients", url)
	return 0
}

// TestNginxExample: the shipped nginx example in front of two real server
// instances on one PostgreSQL. A display (the Go client, given only
// nginx's address) and a clerk work through nginx; the instance holding
// the display's websocket is killed with kill -9 in the middle of a burst
// of calls. Every call through nginx still succeeds, /readyz through nginx
// stays 200, and the display's websocket, closed by nginx, reconnects
// through nginx to the other instance and resumes with since: every call
// once, in order.
func TestNginxExample(t *testing.T) {
	if _, err := nginxPath(); err != nil {
		t.Fatal(err) // before starting anything
	}
	_, ps := pgInstances(t, 2, "--trust-proxy")
	lb := startNginx(t, ps[0].url, ps[1].url)
	ctx := context.Background()
	admin := adminOn(t, ctx, lb)
	dev, err := admin.CreateDevice(ctx, protocol.RoleDisplay, "TV sảnh")
	if err != nil {
		t.Fatal(err)
	}
	const calls, killAfter = 30, 10
	openAndIssue(t, ctx, admin, calls)
	display, _ := client.New(lb, dev.Token)
	sub := subscribe(display)
	defer sub.stop()
	waitFor(t, "the display's snapshot", func() bool { evs, _ := sub.events(); return len(evs) > 0 })
	victim := -1
	for i, p := range ps {
		if wsClients(t, p.url) == 1 {
			victim = i
		}
	}
	if victim < 0 {
		t.Fatal("no instance holds the display's websocket")
	}
	survivor := ps[1-victim]

	var made []string
	var killed time.Time
	for i := range calls {
		if i == killAfter {
			ps[victim].kill9()
			killed = time.Now()
		}
		tk, err := admin.Next(ctx, "q1")
		if err != nil || tk == nil {
			t.Fatalf("call %d through nginx (instance %d killed after call %d): %v, %v", i, victim+1, killAfter, tk, err)
		}
		made = append(made, tk.ID)
		if i%5 == 0 {
			resp, err := http.Get(lb + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/readyz through nginx after call %d: %d", i, resp.StatusCode)
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	waitFor(t, "every call at the display", func() bool {
		evs, _ := sub.events()
		ids, _ := callsOf(t, evs)
		return len(ids) >= calls
	})
	time.Sleep(300 * time.Millisecond)
	evs, ups := sub.events()
	ids, _ := callsOf(t, evs)
	if !slices.Equal(ids, made) {
		t.Fatalf("the display received the calls\n%q\nthe clerk made\n%q", ids, made)
	}
	if len(ups) != 2 {
		t.Fatalf("the display connected %d times, want 2", len(ups))
	}
	if n := wsClients(t, survivor.url); n != 1 {
		t.Fatalf("the surviving instance holds %d websockets, want the display's", n)
	}
	t.Logf("kill -9 of the display's instance behind nginx → the display reconnected through nginx %v later", ups[1].Sub(killed).Round(time.Millisecond))
}
