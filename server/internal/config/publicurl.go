package config

import (
	"net"
	"net/netip"
	"strings"
)

// Iface is what the public URL default needs to know of a network
// interface.
type Iface struct {
	Name     string
	Up       bool
	Loopback bool
	Addrs    []netip.Addr
}

// virtual interfaces (containers, VMs) rarely are what phones can reach.
var virtualPrefixes = []string{"docker", "br-", "virbr", "veth", "cni", "flannel", "podman", "lxc", "vmnet", "vboxnet"}

func virtual(name string) bool {
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// PickLAN returns the machine's LAN address: the first private IPv4
// (10/8, 172.16/12, 192.168/16) of an interface that is up and not the
// loopback, preferring real interfaces over container and VM bridges. It
// returns the zero Addr when there is none.
func PickLAN(ifs []Iface) netip.Addr {
	var bridge netip.Addr
	for _, i := range ifs {
		if !i.Up || i.Loopback {
			continue
		}
		for _, a := range i.Addrs {
			a = a.Unmap()
			if !a.Is4() || !a.IsPrivate() {
				continue
			}
			if !virtual(i.Name) {
				return a
			}
			if !bridge.IsValid() {
				bridge = a
			}
		}
	}
	return bridge
}

// Interfaces lists this machine's network interfaces for PickLAN.
func Interfaces() []Iface {
	nifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	out := make([]Iface, 0, len(nifs))
	for _, n := range nifs {
		i := Iface{Name: n.Name, Up: n.Flags&net.FlagUp != 0, Loopback: n.Flags&net.FlagLoopback != 0}
		addrs, err := n.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				i.Addrs = append(i.Addrs, p.Addr())
			}
		}
		out = append(out, i)
	}
	return out
}

// DefaultPublicURL is the base of the QR-code links when --public-url is
// not set, from the listen address: a server listening on every interface
// (":8080", "0.0.0.0:8080") is reached by phones at the machine's LAN
// address lan (127.0.0.1 when it has none); one listening on a given host
// is reached there. The second result tells whether phones can open the
// links at all (not when the URL is a loopback address).
func DefaultPublicURL(addr string, lan netip.Addr) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", "8080"
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
		if lan.IsValid() {
			host = lan.String()
		}
	}
	reachable := host != "localhost"
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() {
		reachable = false
	}
	return "http://" + net.JoinHostPort(host, port), reachable
}
