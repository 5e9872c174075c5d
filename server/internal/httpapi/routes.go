package httpapi

import (
	"github.com/civiq/civiq/server/protocol"
)

var (
	anyone      []string
	adminOnly   = []string{protocol.RoleAdmin}
	staff       = []string{protocol.RoleAdmin, protocol.RoleClerk}
	boardRoles  = []string{protocol.RoleAdmin, protocol.RoleSupervisor, protocol.RoleClerk, protocol.RoleDisplay}
	issuers     = []string{protocol.RoleAdmin, protocol.RoleKiosk}
	devices     = []string{protocol.RoleKiosk, protocol.RoleDisplay}
	signedIn    = []string{protocol.RoleAdmin, protocol.RoleSupervisor, protocol.RoleClerk, protocol.RoleKiosk, protocol.RoleDisplay}
	dashboarder = []string{protocol.RoleAdmin, protocol.RoleSupervisor}
)

// routes registers every route; docs/API.md documents them.
func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.health)
	m.HandleFunc("GET /readyz", s.health)
	m.HandleFunc("GET /livez", s.live)
	m.Handle("GET /metrics", s.metricsHandler())
	m.Handle("GET /api/v1/version", s.api(anyone, s.version))

	m.Handle("POST /api/v1/login", s.api(anyone, s.login))
	m.Handle("POST /api/v1/logout", s.api(signedIn, s.logout))
	m.Handle("GET /api/v1/me", s.api(signedIn, s.me))
	m.Handle("POST /api/v1/province-session", s.api(signedIn, s.provinceSession))

	m.Handle("GET /api/v1/centre", s.api(anyone, s.getCentre))
	m.Handle("PUT /api/v1/centre", s.api(adminOnly, s.putCentre))

	m.Handle("GET /api/v1/services", s.api(anyone, s.listServices))
	m.Handle("PUT /api/v1/services/{id}", s.api(adminOnly, s.putService))

	m.Handle("GET /api/v1/counters", s.api(anyone, s.listCounters))
	m.Handle("GET /api/v1/counters/{id}", s.api(boardRoles, s.getCounter))
	m.Handle("PUT /api/v1/counters/{id}", s.api(adminOnly, s.putCounter))
	m.Handle("PUT /api/v1/counters/{id}/status", s.api(staff, s.counterStatus))
	m.Handle("GET /api/v1/counters/{id}/waiting", s.api(staff, s.counterWaiting))
	m.Handle("POST /api/v1/counters/{id}/next", s.api(staff, s.next))
	m.Handle("POST /api/v1/counters/{id}/recall", s.api(staff, s.recall))
	m.Handle("POST /api/v1/counters/{id}/done", s.api(staff, s.done))
	m.Handle("POST /api/v1/counters/{id}/no-show", s.api(staff, s.noShow))
	m.Handle("POST /api/v1/counters/{id}/transfer", s.api(staff, s.transfer))
	m.Handle("GET /api/v1/counters/{id}/visits", s.api(staff, s.counterVisits))

	m.Handle("POST /api/v1/tickets", s.api(issuers, s.issue))
	m.Handle("GET /api/v1/tickets/{token}", s.api(anyone, s.getTicket))
	m.Handle("GET /api/v1/waiting", s.api(dashboarder, s.allWaiting))

	m.Handle("GET /api/v1/board", s.api(boardRoles, s.board))
	m.HandleFunc("GET /ws", s.ws)

	m.Handle("POST /api/v1/devices", s.api(adminOnly, s.createDevice))
	m.Handle("GET /api/v1/devices", s.api(readers, s.listDevices))
	m.Handle("DELETE /api/v1/devices/{id}", s.api(adminOnly, s.revokeDevice))
	m.Handle("POST /api/v1/devices/heartbeat", s.api(devices, s.heartbeat))
	// One-time pairing codes (pairing.go).
	m.Handle("POST /api/v1/devices/pairing", s.api(adminOnly, s.createPairing))
	m.Handle("POST /api/v1/pair", s.api(anyone, s.pair))

	m.Handle("GET /api/v1/users", s.api(readers, s.listUsers))
	m.Handle("POST /api/v1/users", s.api(adminOnly, s.createUser))
	m.Handle("PATCH /api/v1/users/{id}", s.api(adminOnly, s.updateUser))
	m.Handle("GET /api/v1/audit", s.api(readers, s.audit))
	m.Handle("GET /api/v1/audit.csv", s.api(readers, s.auditCSV))
	m.Handle("POST /api/v1/qr", s.api(adminOnly, s.qr))

	// kiosk: offline issuing (leases of numbers, sync of offline tickets)
	kiosks := []string{protocol.RoleKiosk}
	m.Handle("POST /api/v1/leases", s.api(kiosks, s.lease))
	m.Handle("POST /api/v1/tickets/sync", s.api(kiosks, s.syncTickets))

	// Phone page, ratings and the rating tablet (phone.go; docs/API.md).
	m.Handle("GET /api/v1/tickets/{token}/view", s.api(anyone, s.getTicketView))
	m.HandleFunc("GET /ws/ticket/{token}", s.ticketWS)
	m.Handle("POST /api/v1/tickets/{token}/rating", s.api(anyone, s.rateTicket))
	m.Handle("GET /api/v1/counters/{id}/rating", s.api(staff, s.pendingRating))
	m.Handle("POST /api/v1/counters/{id}/rating", s.api(staff, s.rateAtCounter))
	m.Handle("GET /api/v1/ratings", s.api(readers, s.listRatings))

	// Visit records and disruptions (dataout.go; docs/API.md).
	m.Handle("POST /api/v1/disruptions", s.api(staff, s.startDisruption))
	m.Handle("POST /api/v1/disruptions/{id}/end", s.api(staff, s.endDisruption))
	m.Handle("GET /api/v1/disruptions", s.api(readers, s.listDisruptions))

	// Data out (shared/DATA-OUT.md; docs/API.md): reports, charts, webhooks.
	m.Handle("GET /api/v1/reports", s.api(readers, s.getReport))
	m.Handle("GET /api/v1/reports/charts/{name}", s.api(readers, s.getChart))
	m.Handle("GET /admin/summary", s.api(readers, s.summary))
	m.Handle("POST /api/v1/webhooks", s.api(adminOnly, s.createWebhook))
	m.Handle("GET /api/v1/webhooks", s.api(adminOnly, s.listWebhooks))
	m.Handle("DELETE /api/v1/webhooks/{id}", s.api(adminOnly, s.deleteWebhook))
	m.Handle("GET /api/v1/webhooks/{id}/deliveries", s.api(adminOnly, s.webhookDeliveries))
	m.Handle("POST /api/v1/webhooks/{id}/resend", s.api(adminOnly, s.resendWebhook))

	// Appointments (bookings.go).
	m.Handle("GET /api/v1/bookings/settings", s.api(anyone, s.listBookingSettings))
	m.Handle("PUT /api/v1/bookings/settings/{id}", s.api(adminOnly, s.putBookingSettings))
	m.Handle("GET /api/v1/holidays", s.api(anyone, s.listHolidays))
	m.Handle("PUT /api/v1/holidays", s.api(adminOnly, s.putHolidays))
	m.Handle("GET /api/v1/bookings/slots", s.api(anyone, s.bookingSlots))
	m.Handle("POST /api/v1/bookings", s.api(anyone, s.createBooking))
	m.Handle("POST /api/v1/bookings/cancel", s.api(anyone, s.cancelBooking))
	m.Handle("GET /api/v1/bookings/{code}/qr.png", s.api(anyone, s.bookingQR))
	m.Handle("POST /api/v1/bookings/checkin", s.api(issuers, s.checkInBooking))
	m.Handle("GET /api/v1/bookings", s.api(readers, s.listBookings))
	m.Handle("GET /api/v1/bookings/stats", s.api(readers, s.bookingStats))

	// Public live-waits page and its JSON (waits.go): cached
	// renderings, rate-limited per address, no credentials looked at.
	m.HandleFunc("GET /api/v1/waits", s.getWaits)
	m.HandleFunc("GET /waits", s.waitsPageHandler)

	m.Handle("/api/", s.api(anyone, s.notFound))

	// Hall display media (docs/API.md): clips and fonts for the web display.
	s.mediaRoutes()

	s.pages()
}
