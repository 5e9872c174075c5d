package config

import (
	"io"
	"net/netip"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestPickLAN(t *testing.T) {
	cases := []struct {
		name string
		ifs  []Iface
		want string
	}{
		{"none", nil, ""},
		{"loopback only", []Iface{{Name: "lo", Up: true, Loopback: true, Addrs: addrs("127.0.0.1", "::1")}}, ""},
		{"wifi", []Iface{
			{Name: "lo", Up: true, Loopback: true, Addrs: addrs("127.0.0.1")},
			{Name: "wlan0", Up: true, Addrs: addrs("fe80::1", "192.168.1.20")},
		}, "192.168.1.20"},
		{"down interface skipped", []Iface{
			{Name: "eth0", Up: false, Addrs: addrs("10.0.0.5")},
			{Name: "wlan0", Up: true, Addrs: addrs("172.20.1.9")},
		}, "172.20.1.9"},
		{"public and documentation addresses are not LAN", []Iface{
			{Name: "eth0", Up: true, Addrs: addrs("203.0.113.7", "192.0.2.2", "100.64.0.1")},
		}, ""},
		{"docker bridge after the real LAN", []Iface{
			{Name: "docker0", Up: true, Addrs: addrs("172.17.0.1")},
			{Name: "enp3s0", Up: true, Addrs: addrs("10.10.4.21")},
		}, "10.10.4.21"},
		{"only a bridge", []Iface{{Name: "docker0", Up: true, Addrs: addrs("172.17.0.1")}}, "172.17.0.1"},
		{"v4-mapped", []Iface{{Name: "eth0", Up: true, Addrs: addrs("::ffff:192.168.0.3")}}, "192.168.0.3"},
	}
	for _, c := range cases {
		got := PickLAN(c.ifs)
		if (c.want == "" && got.IsValid()) || (c.want != "" && got.String() != c.want) {
			t.Errorf("%s: %v, want %q", c.name, got, c.want)
		}
	}
}

func TestDefaultPublicURL(t *testing.T) {
	lan := netip.MustParseAddr("192.168.1.20")
	cases := []struct {
		addr      string
		lan       netip.Addr
		want      string
		reachable bool
	}{
		{"0.0.0.0:8080", lan, "http://192.168.1.20:8080", true},
		{":9000", lan, "http://192.168.1.20:9000", true},
		{"[::]:8080", lan, "http://192.168.1.20:8080", true},
		{"0.0.0.0:8080", netip.Addr{}, "http://127.0.0.1:8080", false},
		{"127.0.0.1:8080", lan, "http://127.0.0.1:8080", false},
		{"localhost:8080", lan, "http://localhost:8080", false},
		{"10.1.2.3:80", lan, "http://10.1.2.3:80", true},
		{"[fd00::5]:8080", lan, "http://[fd00::5]:8080", true},
	}
	for _, c := range cases {
		got, ok := DefaultPublicURL(c.addr, c.lan)
		if got != c.want || ok != c.reachable {
			t.Errorf("%s: %s %v, want %s %v", c.addr, got, ok, c.want, c.reachable)
		}
	}
}

// TestParsePublicURL: the default is computed from the listen address and
// the LAN address; --public-url (or CIVIQ_PUBLIC_URL) overrides it.
func TestParsePublicURL(t *testing.T) {
	wifi := func() []Iface { return []Iface{{Name: "wlan0", Up: true, Addrs: addrs("192.168.1.20")}} }
	none := func(string) string { return "" }
	c, err := parse([]string{"--addr", "0.0.0.0:8080"}, none, io.Discard, wifi)
	if err != nil || c.PublicURL != "http://192.168.1.20:8080" || !c.PublicURLDefault || !c.PublicURLReachable {
		t.Fatalf("default: %+v %v", c, err)
	}
	c, err = parse([]string{"--addr", "0.0.0.0:8080", "--public-url", "https://hcc.example.gov.vn"}, none, io.Discard, wifi)
	if err != nil || c.PublicURL != "https://hcc.example.gov.vn" || c.PublicURLDefault || !c.PublicURLReachable {
		t.Fatalf("flag: %+v %v", c, err)
	}
	env := func(k string) string {
		if k == "CIVIQ_PUBLIC_URL" {
			return "http://queue.local:8080"
		}
		return ""
	}
	c, err = parse(nil, env, io.Discard, wifi)
	if err != nil || c.PublicURL != "http://queue.local:8080" || c.PublicURLDefault {
		t.Fatalf("env: %+v %v", c, err)
	}
	c, err = parse([]string{"--addr", "127.0.0.1:8080"}, none, io.Discard, wifi)
	if err != nil || c.PublicURL != "http://127.0.0.1:8080" || c.PublicURLReachable {
		t.Fatalf("loopback: %+v %v", c, err)
	}
	// This machine's own interfaces answer without error.
	_ = PickLAN(Interfaces())
}
