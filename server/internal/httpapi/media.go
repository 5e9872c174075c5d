package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civiq/civiq/assets"
)

// Media for the web hall display: the chime and voice clips it plays with Web
// Audio and the font with Vietnamese diacritics it draws the board in.
//
// The files are embedded and change only with a new server build, so they
// are cached for a day (a hall TV re-fetches nothing while it runs) and
// revalidated by ETag after that. Names are checked before any lookup: only
// plain relative paths of letters, digits, '_', '-' and '/' below the folder,
// ending in the folder's extension; everything else is a 404 like a missing
// file, so a probe learns nothing.

// mediaMaxAge is how long a browser may keep a clip or font without asking.
const mediaMaxAge = 24 * time.Hour

// mediaRoutes registers GET /sounds/ and GET /fonts/.
func (s *Server) mediaRoutes() {
	m := s.mux
	m.HandleFunc("GET /sounds/{$}", s.soundList)
	m.HandleFunc("GET /sounds/{path...}", s.media("sounds", ".wav", "audio/wav"))
	m.HandleFunc("GET /fonts/{path...}", s.media("fonts", ".ttf", "font/ttf"))
}

// mediaFS is the embedded assets, or nil when the server serves no web pages
// (API-only test servers).
func (s *Server) mediaFS() fs.FS {
	if s.opts.Web == nil {
		return nil
	}
	return assets.FS
}

// safeMediaName reports whether name is a plain relative path of safe
// characters with extension ext.
func safeMediaName(name, ext string) bool {
	if len(name) == 0 || len(name) > 128 || !strings.HasSuffix(name, ext) || len(name) == len(ext) {
		return false
	}
	for _, seg := range strings.Split(strings.TrimSuffix(name, ext), "/") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
			if !ok {
				return false
			}
		}
	}
	return true
}

func (s *Server) media(folder, ext, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fsys := s.mediaFS()
		name := r.PathValue("path")
		if fsys == nil || !safeMediaName(name, ext) {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(fsys, path.Join(folder, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		etag := contentETag(b)
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "public, max-age="+itoa64(int64(mediaMaxAge/time.Second)))
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}
}

// soundList answers GET /sounds/ with the names of every clip ("chime",
// "vi/muoi", …), so the web display can preload them all before its first
// call-out instead of fetching clips while the hall waits.
func (s *Server) soundList(w http.ResponseWriter, r *http.Request) {
	fsys := s.mediaFS()
	if fsys == nil {
		http.NotFound(w, r)
		return
	}
	names := []string{}
	err := fs.WalkDir(fsys, "sounds", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "sounds/")
		if !d.IsDir() && safeMediaName(rel, ".wav") {
			names = append(names, strings.TrimSuffix(rel, ".wav"))
		}
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	slices.Sort(names)
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, names)
}

// contentETag is a strong ETag from the content hash.
func contentETag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
