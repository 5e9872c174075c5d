package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// pages serves the embedded web pages: one index.html per page folder, and
// shared files under /static/.
func (s *Server) pages() {
	m := s.mux
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { s.servePage(w, r, name) }
	}
	m.HandleFunc("GET /{$}", page("home"))
	m.HandleFunc("GET /counter", page("counter"))
	m.HandleFunc("GET /admin", page("admin"))
	m.HandleFunc("GET /display", page("display"))
	m.HandleFunc("GET /t/{token}", page("ticket"))
	m.HandleFunc("GET /rate/{counter}", page("rate"))
	m.HandleFunc("GET /book", page("book"))
	m.HandleFunc("GET /static/", s.static)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, name string) {
	if s.opts.Web == nil {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.opts.Web, name+"/index.html")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if s.opts.BasePath != "" {
		b = basePage(b, s.opts.BasePath)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	w.Write(b)
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	if s.opts.Web == nil {
		http.NotFound(w, r)
		return
	}
	// Only clean paths inside static/: "/static/..%2fadmin/index.html"
	// decodes to a path that leaves the folder, and is refused before any
	// lookup, as are dot segments, backslashes and NUL in any spelling.
	p := r.URL.Path
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name != strings.TrimPrefix(p, "/") || !strings.HasPrefix(name, "static/") ||
		strings.Contains(p, "..") || strings.ContainsAny(p, "\\\x00") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.opts.Web, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	// Revalidate every time against a content hash: after an upgrade no
	// browser mixes new pages with old scripts, and unchanged files cost a 304.
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}

// basePage adapts a page to a centre's path prefix: its links (not the
// shared /static/ files, so that every module is loaded once from one
// address) get the prefix, and static/base.js, loaded before the page's
// modules, prefixes the scripts' requests and websockets (web pages keep
// writing "/api/v1/…").
func basePage(b []byte, base string) []byte {
	out := string(b)
	for _, attr := range []string{`href="/`, `src="/`, `action="/`} {
		out = strings.ReplaceAll(out, attr, attr+strings.TrimPrefix(base, "/")+"/")
		// …but the shared files stay where they are, and a link that had
		// the prefix already keeps it once.
		b := strings.TrimPrefix(base, "/")
		out = strings.ReplaceAll(out, attr+b+"/static/", attr+"static/")
		out = strings.ReplaceAll(out, attr+b+base+"/", attr+b+"/")
	}
	inject := `<meta name="civiq-base" content="` + html.EscapeString(base) + `"><script src="/static/base.js"></script>`
	if i := strings.Index(out, "<head>"); i >= 0 {
		return []byte(out[:i+len("<head>")] + inject + out[i+len("<head>"):])
	}
	return []byte(inject + out)
}
