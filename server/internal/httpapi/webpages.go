package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

// Support for the staff web pages (clerk console, admin).

// qrRequest is the body of POST /api/v1/qr.
type qrRequest struct {
	Text string `json:"text"`
	// Size is the image width and height in pixels (default 320).
	Size int `json:"size"`
}

const maxQRText = 1024

// qr renders a QR code PNG of a short text: the admin page shows the pairing
// address of a new device with its token. It is a POST with a JSON body, not
// an image URL, so the token never lands in a URL, the browser history or an
// access log; the page shows the PNG as a data: URL. Admins only, so the
// server is nobody's free QR service.
func (s *Server) qr(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req qrRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Text == "" || len(req.Text) > maxQRText || !utf8.ValidString(req.Text) {
		return errf(protocol.CodeBadRequest, "text is required: UTF-8, at most %d bytes", maxQRText)
	}
	switch {
	case req.Size == 0:
		req.Size = 320
	case req.Size < 64 || req.Size > 1024:
		return errf(protocol.CodeBadRequest, "size must be between 64 and 1024 pixels")
	}
	png, err := qrcode.Encode(req.Text, qrcode.Medium, req.Size)
	if err != nil {
		return errf(protocol.CodeUnprocessable, "cannot encode this text as a QR code: %v", err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
	return nil
}

// crossOriginCookie reports whether r signs in with the session cookie from a
// page of another origin. A browser attaches cookies to a websocket
// handshake whichever page opens it, and SameSite=Strict only keeps out
// other sites, not another port or host name of the same site; the hub
// accepts any Origin because devices sign in with tokens. So /ws refuses a
// cookie that comes with a foreign Origin (cross-site websocket hijacking).
func (s *Server) crossOriginCookie(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	if c, err := r.Cookie(sessionCookie); err != nil || c.Value == "" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false // not a browser: no page to be confused
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true
	}
	if strings.EqualFold(u.Host, r.Host) {
		return false
	}
	if s.opts.TrustProxy {
		if fh := r.Header.Get("X-Forwarded-Host"); fh != "" && strings.EqualFold(u.Host, strings.TrimSpace(strings.Split(fh, ",")[0])) {
			return false
		}
	}
	return true
}
