package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/internal/queue/enginetest"
	"github.com/civiq/civiq/server/servertest"
)

// TestIDDailyCapRace: two kiosks (two device tokens) issue at the same
// moment for the same citizen ID card, on a real server with its SQLite
// store. With the centre's cap of 1 a day, exactly one gets a ticket and
// the other 422 id_daily_cap, for the same field and for two fields; with
// 1 per field and no overall cap, two fields both get one.
func TestIDDailyCapRace(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	admin := srv.AdminToken()
	kiosks := [2]string{srv.DeviceToken("kiosk", "Ki-ốt 1"), srv.DeviceToken("kiosk", "Ki-ốt 2")}
	setCaps := func(total, perField int) {
		t.Helper()
		body := fmt.Sprintf(`{"name":{"vi":"Trung tâm"},"timezone":"Asia/Ho_Chi_Minh","read_numbers":"number","id_daily_cap":%d,"id_daily_cap_per_field":%d,"hours":%s}`, total, perField, allDayHours)
		if st, b := call(t, "PUT", srv.URL+"/api/v1/centre", admin, body); st != 200 {
			t.Fatalf("put centre: %d %s", st, b)
		}
	}
	// issue issues one ticket from kiosk i.
	issue := func(i int, field, card string) (bool, error) {
		body := fmt.Sprintf(`{"service_id":%q,"id_card":{"number":%q,"birth_year":1958}}`, field, card)
		req, err := http.NewRequest("POST", srv.URL+"/api/v1/tickets", strings.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Authorization", "Bearer "+kiosks[i])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode == http.StatusCreated:
			return true, nil
		case resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(string(b), `"id_daily_cap"`):
			return false, nil
		}
		return false, fmt.Errorf("%d %s", resp.StatusCode, b)
	}

	const n = 20
	enginetest.IDCapRaces(t, n, [3]string{"dat-dai", "tu-phap-ho-tich", "xay-dung"}, setCaps, issue)
	// The server holds exactly the tickets it answered 201 for.
	st, b := call(t, "GET", srv.URL+"/api/v1/board", admin, "")
	var board struct {
		Waiting map[string]int `json:"waiting"`
	}
	if st != 200 {
		t.Fatalf("board: %d %s", st, b)
	}
	mustJSON(t, b, &board)
	total := 0
	for _, n := range board.Waiting {
		total += n
	}
	if total != 5*n {
		t.Errorf("%d tickets waiting, want %d", total, 5*n)
	}
}
