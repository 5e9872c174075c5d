package servertest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/civiq/civiq/server/protocol"
)

// StorageFault is a reverse proxy in front of a test server that can make
// the server look as if its storage failed while it still serves: GET
// /healthz answers 503 with the server's error body, every other request
// (websockets too) passes through. Displays use it to test their "the
// server cannot save" banner.
type StorageFault struct {
	// URL is the address clients use instead of the server's.
	URL string

	down atomic.Bool
}

// NewStorageFault starts a proxy to target (a Server's URL) and stops it
// when the test ends.
func NewStorageFault(t testing.TB, target string) *StorageFault {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &StorageFault{}
	rp := httputil.NewSingleHostReverseProxy(u)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && f.down.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable","error":{"code":"` + protocol.CodeUnavailable + `","message":"storage is unavailable"}}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	f.URL = hs.URL
	return f
}

// SetDown makes /healthz answer 503 (true) or pass through (false).
func (f *StorageFault) SetDown(down bool) { f.down.Store(down) }
