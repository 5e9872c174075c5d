package httpapi_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/civiq/civiq/server/protocol"
	"github.com/civiq/civiq/server/servertest"
)

// routeRoles says which roles pass the role check of each route in
// routes.go ("*": anyone, the anonymous included). TestEveryRouteEveryRole
// fails when a route is added without a line here.
var routeRoles = map[string][]string{
	"GET /api/v1/version": {"*"},
	"POST /api/v1/login":  {"*"},
	"POST /api/v1/logout": {"admin", "supervisor", "clerk", "kiosk", "display"},
	"GET /api/v1/me":      {"admin", "supervisor", "clerk", "kiosk", "display"},
	// Only a province token (server/province_accounts_test.go): every
	// centre role is refused.
	"POST /api/v1/province-session": {},

	"GET /api/v1/centre":        {"*"},
	"PUT /api/v1/centre":        {"admin"},
	"GET /api/v1/services":      {"*"},
	"PUT /api/v1/services/{id}": {"admin"},

	"GET /api/v1/counters":                 {"*"},
	"GET /api/v1/counters/{id}":            {"admin", "supervisor", "clerk", "display"},
	"PUT /api/v1/counters/{id}":            {"admin"},
	"PUT /api/v1/counters/{id}/status":     {"admin", "clerk"},
	"GET /api/v1/counters/{id}/waiting":    {"admin", "clerk"},
	"POST /api/v1/counters/{id}/next":      {"admin", "clerk"},
	"POST /api/v1/counters/{id}/recall":    {"admin", "clerk"},
	"POST /api/v1/counters/{id}/done":      {"admin", "clerk"},
	"POST /api/v1/counters/{id}/no-show":   {"admin", "clerk"},
	"POST /api/v1/counters/{id}/transfer":  {"admin", "clerk"},
	"GET /api/v1/counters/{id}/visits":     {"admin", "clerk"},
	"GET /api/v1/counters/{id}/rating":     {"admin", "clerk"},
	"POST /api/v1/counters/{id}/rating":    {"admin", "clerk"},
	"POST /api/v1/tickets":                 {"admin", "kiosk"},
	"GET /api/v1/tickets/{token}":          {"*"},
	"GET /api/v1/tickets/{token}/view":     {"*"},
	"POST /api/v1/tickets/{token}/rating":  {"*"},
	"GET /api/v1/waiting":                  {"admin", "supervisor"},
	"GET /api/v1/board":                    {"admin", "supervisor", "clerk", "display"},
	"GET /ws":                              {"admin", "supervisor", "clerk", "display"},
	"GET /ws/ticket/{token}":               {"*"},
	"POST /api/v1/devices":                 {"admin"},
	"GET /api/v1/devices":                  {"admin", "supervisor"},
	"DELETE /api/v1/devices/{id}":          {"admin"},
	"POST /api/v1/devices/heartbeat":       {"kiosk", "display"},
	"POST /api/v1/devices/pairing":         {"admin"},
	"POST /api/v1/pair":                    {"*"},
	"GET /api/v1/users":                    {"admin", "supervisor"},
	"POST /api/v1/users":                   {"admin"},
	"PATCH /api/v1/users/{id}":             {"admin"},
	"GET /api/v1/audit":                    {"admin", "supervisor"},
	"GET /api/v1/audit.csv":                {"admin", "supervisor"},
	"POST /api/v1/qr":                      {"admin"},
	"POST /api/v1/leases":                  {"kiosk"},
	"POST /api/v1/tickets/sync":            {"kiosk"},
	"GET /api/v1/ratings":                  {"admin", "supervisor"},
	"POST /api/v1/disruptions":             {"admin", "clerk"},
	"POST /api/v1/disruptions/{id}/end":    {"admin", "clerk"},
	"GET /api/v1/disruptions":              {"admin", "supervisor"},
	"GET /api/v1/reports":                  {"admin", "supervisor"},
	"GET /api/v1/reports/charts/{name}":    {"admin", "supervisor"},
	"GET /admin/summary":                   {"admin", "supervisor"},
	"POST /api/v1/webhooks":                {"admin"},
	"GET /api/v1/webhooks":                 {"admin"},
	"DELETE /api/v1/webhooks/{id}":         {"admin"},
	"GET /api/v1/webhooks/{id}/deliveries": {"admin"},
	"POST /api/v1/webhooks/{id}/resend":    {"admin"},
	"GET /api/v1/waits":                    {"*"},
	"GET /waits":                           {"*"},

	"GET /api/v1/bookings/settings":      {"*"},
	"PUT /api/v1/bookings/settings/{id}": {"admin"},
	"GET /api/v1/holidays":               {"*"},
	"PUT /api/v1/holidays":               {"admin"},
	"GET /api/v1/bookings/slots":         {"*"},
	"POST /api/v1/bookings":              {"*"},
	"POST /api/v1/bookings/cancel":       {"*"},
	"GET /api/v1/bookings/{code}/qr.png": {"*"},
	"POST /api/v1/bookings/checkin":      {"admin", "kiosk"},
	"GET /api/v1/bookings":               {"admin", "supervisor"},
	"GET /api/v1/bookings/stats":         {"admin", "supervisor"},
}

// TestEveryRouteEveryRole: every route of routes.go, called by every role,
// passes or fails the role check as routeRoles says: 401 for the anonymous
// and 403 for a signed-in role it refuses. In particular a supervisor
// reads the dashboard, ratings and audit log and changes nothing.
func TestEveryRouteEveryRole(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`m\.Handle(?:Func)?\("((?:GET|POST|PUT|PATCH|DELETE) [^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		if m[1] == "GET /healthz" || m[1] == "GET /readyz" || m[1] == "GET /livez" || m[1] == "GET /metrics" {
			continue // probes and metrics: no roles (metrics by address, TestMetricsAccess)
		}
		routes = append(routes, m[1])
	}
	for _, r := range routes {
		if _, ok := routeRoles[r]; !ok {
			t.Errorf("route %q is not in routeRoles: say which roles may call it", r)
		}
	}
	if len(routes) < len(routeRoles) {
		t.Errorf("routes.go has %d routes, routeRoles %d: a route was renamed or removed", len(routes), len(routeRoles))
	}

	srv := servertest.Start(t, servertest.Options{NoRateLimits: true})
	ctx := context.Background()
	admin := srv.AdminToken()
	var u map[string]any
	if _, err := srv.Client(admin).Do(ctx, "POST", "/api/v1/users", map[string]any{"username": "giamdoc", "name": "Giám đốc", "role": "supervisor", "password": "giam-doc-2026"}, &u, nil); err != nil {
		t.Fatalf("create supervisor: %v", err)
	}
	login, err := srv.Client("").Login(ctx, "giamdoc", "giam-doc-2026")
	if err != nil || login.Role != protocol.RoleSupervisor {
		t.Fatalf("supervisor login: %+v %v", login, err)
	}
	tokens := map[string]string{
		"admin":      admin,
		"supervisor": login.Token,
		"clerk":      srv.ClerkToken("canbo1"), // serves q1
		"kiosk":      srv.DeviceToken("kiosk", "Kiosk 1"),
		"display":    srv.DeviceToken("display", "Màn hình 1"),
		// An integration token (one-stop software) passes only the routes
		// open to anyone: it books and cancels for citizens.
		"integration": srv.DeviceToken("integration", "Một cửa điện tử"),
		"":            "",
	}
	path := strings.NewReplacer("{id}", "q1", "{token}", "AAAAAAAAAAAAAAAAAAAAAAAA", "{code}", "ACDEFH").Replace
	for _, role := range []string{"", "kiosk", "display", "integration", "clerk", "supervisor", "admin"} {
		for _, r := range routes {
			method, p, _ := strings.Cut(r, " ")
			if r == "POST /api/v1/logout" && role != "" {
				continue // would end the session the rest of the table uses; below
			}
			body := ""
			if method != "GET" && method != "DELETE" {
				body = "{}"
			}
			st, b := call(t, method, srv.URL+path(p), tokens[role], body)
			allowed := slices.Contains(routeRoles[r], "*") || slices.Contains(routeRoles[r], role)
			name := role
			if name == "" {
				name = "anonymous"
			}
			switch {
			case allowed && (st == 401 || st == 403):
				t.Errorf("%s %s: %d %s, want the role allowed", name, r, st, b)
			case !allowed && role == "" && st != 401:
				t.Errorf("%s %s: %d %s, want 401", name, r, st, b)
			case !allowed && role != "" && st != 403:
				t.Errorf("%s %s: %d %s, want 403", name, r, st, b)
			}
		}
	}
	// Logout, last: allowed for every signed-in role.
	for _, role := range []string{"kiosk", "display", "clerk", "supervisor", "admin"} {
		if st, b := call(t, "POST", srv.URL+"/api/v1/logout", tokens[role], ""); st == 401 || st == 403 {
			t.Errorf("%s logout: %d %s", role, st, b)
		}
	}
}
