package httpapi_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/civiq/civiq/server/servertest"
)

// decodeQR reads the text of a QR code image.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the image: %v", err)
	}
	return res.GetText()
}

func TestQR(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	admin := srv.AdminToken()
	text := "http://192.168.1.10:8080/display?token=abcDEF123_-"

	status, body := call(t, "POST", srv.URL+"/api/v1/qr", admin, `{"text":"`+text+`","size":300}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 300 {
		t.Errorf("size %v, want 300×300", b)
	}
	if got := decodeQR(t, img); got != text {
		t.Errorf("QR code holds %q, want %q", got, text)
	}

	for _, tc := range []struct {
		name, token, body string
		status            int
	}{
		{"clerk", srv.ClerkToken("canbo1"), `{"text":"x"}`, http.StatusForbidden},
		{"display", srv.DeviceToken("display", "TV"), `{"text":"x"}`, http.StatusForbidden},
		{"nobody", "", `{"text":"x"}`, http.StatusUnauthorized},
		{"empty", admin, `{"text":""}`, http.StatusBadRequest},
		{"too long", admin, `{"text":"` + strings.Repeat("x", 1025) + `"}`, http.StatusBadRequest},
		{"tiny", admin, `{"text":"x","size":10}`, http.StatusBadRequest},
		{"huge", admin, `{"text":"x","size":5000}`, http.StatusBadRequest},
		{"unknown field", admin, `{"text":"x","color":"red"}`, http.StatusBadRequest},
		{"not JSON", admin, `text=x`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, "POST", srv.URL+"/api/v1/qr", tc.token, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var e struct{ Error struct{ Code string } }
			if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
				t.Errorf("not a JSON error: %s", body)
			}
		})
	}
}

// TestWebsocketCookieOrigin: the session cookie opens /ws only from the
// server's own pages; tokens (devices, the Go client) work from anywhere.
func TestWebsocketCookieOrigin(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	srv.ClerkToken("canbo1") // sets the known password
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Post(srv.URL+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"canbo1","password":"`+servertest.ClerkPassword("canbo1")+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	host := strings.TrimPrefix(srv.URL, "http://")

	dial := func(h http.Header) int {
		t.Helper()
		d := websocket.Dialer{Jar: jar}
		c, resp, err := d.Dial(wsURL, h)
		if err == nil {
			c.Close()
		}
		if resp == nil {
			t.Fatalf("no answer: %v", err)
		}
		return resp.StatusCode
	}
	if got := dial(http.Header{"Origin": {"http://" + host}}); got != http.StatusSwitchingProtocols {
		t.Errorf("cookie from the own origin: status %d, want 101", got)
	}
	for _, o := range []string{"http://evil.example", "http://127.0.0.1:1", "null"} {
		if got := dial(http.Header{"Origin": {o}}); got != http.StatusForbidden {
			t.Errorf("cookie from origin %s: status %d, want 403", o, got)
		}
	}
	if got := dial(http.Header{"Origin": {"http://evil.example"}, "Authorization": {"Bearer " + srv.DeviceToken("display", "TV")}}); got != http.StatusSwitchingProtocols {
		t.Errorf("device token from another origin: status %d, want 101", got)
	}
}
