package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/servertest"
)

func TestMediaSoundsAndFonts(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})

	resp, err := http.Get(srv.URL + "/sounds/vi/muoi.wav")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") || resp.ContentLength < 1000 {
		t.Fatalf("clip: %d %q %q %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), resp.ContentLength)
	}
	status, _ := call(t, "GET", srv.URL+"/sounds/vi/muoi.wav", "", "", "If-None-Match", resp.Header.Get("ETag"))
	if status != http.StatusNotModified {
		t.Fatalf("revalidation: %d, want 304", status)
	}

	status, body := call(t, "GET", srv.URL+"/sounds/", "", "")
	var names []string
	if status != http.StatusOK || json.Unmarshal(body, &names) != nil {
		t.Fatalf("list: %d %s", status, body)
	}
	for _, want := range []string{"chime", "pause", "vi/moi_cong_dan_co_so", "vi/letter_dd", "en/twelve"} {
		if !slices.Contains(names, want) {
			t.Errorf("list lacks %q", want)
		}
	}

	status, body = call(t, "GET", srv.URL+"/fonts/DejaVuSans-Bold.ttf", "", "")
	if status != http.StatusOK || len(body) < 100000 {
		t.Fatalf("font: %d, %d bytes", status, len(body))
	}

	// (Unclean paths such as /sounds/vi/../chime.wav never get here: the
	// mux redirects them to their clean form.)
	for _, bad := range []string{
		"/sounds/..%2fassets.go", "/sounds/generate.sh", "/sounds/README.md", "/sounds/vi/muoi", "/sounds/nope.wav", "/sounds/.wav",
		"/fonts/README.md", "/fonts/%2e%2e/assets.go", "/fonts/x.wav",
	} {
		if status, _ := call(t, "GET", srv.URL+bad, "", ""); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, status)
		}
	}
}
