package httpapi

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// FuzzDecodeIssue: any body either decodes into a valid request shape or is
// refused with a 4xx code; nothing panics.
func FuzzDecodeIssue(f *testing.F) {
	for _, s := range []string{`{"service_id":"dat-dai","priority":true,"lang":"vi"}`, `{`, `[]`, `{"service_id":1}`, `{"a":1}`, `null`, `{"service_id":"x"} {}`, "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&protocol.IssueRequest{}, &protocol.LoginRequest{}, &protocol.DeviceStatus{}, &protocol.Service{}, &protocol.Centre{}} {
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			w := httptest.NewRecorder()
			err := decode(w, r, v)
			if err == nil {
				continue
			}
			var qe *queue.Error
			if !errors.As(err, &qe) {
				t.Fatalf("%q: non-domain error %v", body, err)
			}
			if st := statusOf(qe.Code); st < 400 || st >= 500 {
				t.Fatalf("%q: status %d for %v", body, st, err)
			}
		}
	})
}
