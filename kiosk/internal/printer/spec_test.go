package printer

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenSpecs(t *testing.T) {
	dir := t.TempDir()
	defaults := options{timeout: DefaultTimeout, status: true, job: JobOptions{BandRows: DefaultBandRows, Cut: true}}
	tests := []struct {
		spec string
		addr string // for tcp
		path string // for file
		o    options
	}{
		{spec: "tcp://192.168.1.50:9100", addr: "192.168.1.50:9100", o: defaults},
		{spec: "tcp://printer.local", addr: "printer.local:9100", o: defaults},
		{spec: "TCP://printer.local/", addr: "printer.local:9100", o: defaults},
		{spec: "tcp://[fe80::1]:9101", addr: "[fe80::1]:9101", o: defaults},
		{spec: "tcp://10.0.0.9:9100?timeout=500ms&status=off&cut=off&band=64", addr: "10.0.0.9:9100",
			o: options{timeout: 500 * time.Millisecond, job: JobOptions{BandRows: 64, FeedLines: 5}}},
		{spec: "tcp://10.0.0.9?cut=off&feed=0", addr: "10.0.0.9:9100",
			o: options{timeout: DefaultTimeout, status: true, job: JobOptions{BandRows: DefaultBandRows}}},
		{spec: "file:/dev/usb/lp0", path: "/dev/usb/lp0", o: defaults},
		{spec: "file:///dev/usb/lp0?feed=2", path: "/dev/usb/lp0",
			o: options{timeout: DefaultTimeout, status: true, job: JobOptions{BandRows: DefaultBandRows, Cut: true, FeedLines: 2}}},
		{spec: "file:lp0", path: "lp0", o: defaults},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			p, err := Open(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			switch p := p.(type) {
			case *tcpPrinter:
				if p.addr != tt.addr || p.o != tt.o {
					t.Errorf("tcp %s %+v, want %s %+v", p.addr, p.o, tt.addr, tt.o)
				}
			case *filePrinter:
				if p.path != tt.path || p.o != tt.o {
					t.Errorf("file %s %+v, want %s %+v", p.path, p.o, tt.path, tt.o)
				}
			default:
				t.Errorf("got %T", p)
			}
		})
	}

	sub := filepath.Join(dir, "tickets", "today")
	p, err := Open("dir:" + sub)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := p.(*dirPrinter); !ok || d.dir != sub {
		t.Errorf("dir spec gave %#v", p)
	}
}

func TestOpenBadSpecs(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "want tcp://host:port"},
		{"lp0", "want tcp://host:port"},
		{"usb:lp0", `unknown printer kind "usb"`},
		{"tcp:", "want tcp://host:port"},
		{"tcp://", "no host"},
		{"tcp://:9100", "no host"},
		{"tcp://host:", "empty port"},
		{"tcp://host:0", "port"},
		{"tcp://host:70000", "port"},
		{"tcp://host:port", "port"},
		{"tcp://host:9100/queue", "only tcp://host:port"},
		{"tcp://user@host:9100", "only tcp://host:port"},
		{"tcp://host?timeout=fast", "timeout=fast"},
		{"tcp://host?timeout=-1s", "timeout=-1s"},
		{"tcp://host?status=maybe", "status=maybe: want on or off"},
		{"tcp://host?cut=2", "cut=2"},
		{"tcp://host?feed=300", "feed=300"},
		{"tcp://host?band=0", "band=0"},
		{"tcp://host?speed=9600", `unknown option "speed"`},
		{"tcp://host?cut=on&cut=off", "given 2 times"},
		{"tcp://host?%zz", "options"},
		{"file:", "want tcp://host:port"},
		{"file://host/dev/lp0", "empty host"},
		{"file:/dev/lp0?colour=red", `unknown option "colour"`},
		{"dir:", "want tcp://host:port"},
		{"dir:/tmp/x?cut=off", "dir: takes no options"},
		{"dir:   ", "no folder"},
	}
	for _, tt := range tests {
		p, err := Open(tt.spec)
		if err == nil {
			p.Close()
			t.Errorf("Open(%q) succeeded", tt.spec)
			continue
		}
		if ReasonOf(err) != ReasonBadSpec || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v; want a bad_spec error containing %q", tt.spec, err, tt.want)
		}
	}
}

func TestReasonText(t *testing.T) {
	for _, r := range []Reason{
		ReasonPaperOut, ReasonCoverOpen, ReasonOffline, ReasonError, ReasonTimeout, ReasonUnreachable,
		ReasonIO, ReasonBadReply, ReasonBadImage, ReasonBadSpec, ReasonCanceled, ReasonClosed,
	} {
		vi, en := r.Text("vi"), r.Text("en")
		if vi == "" || en == "" || vi == en || vi == Reason("?").Text("vi") {
			t.Errorf("%s: vi %q, en %q", r, vi, en)
		}
	}
	if got := ReasonPaperOut.Text(""); got != "hết giấy" {
		t.Errorf("default language gives %q, want Vietnamese", got)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Op: "print", Reason: ReasonPaperOut}
	if got := e.Error(); got != "printer: print: paper_out" {
		t.Errorf("Error() = %q", got)
	}
	if ReasonOf(nil) != "" || ReasonOf(errString("x")) != "" {
		t.Error("ReasonOf of a non-printer error is not empty")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
