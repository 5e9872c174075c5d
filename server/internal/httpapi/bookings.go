package httpapi

import (
	"net/http"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"

	qrcode "github.com/skip2/go-qrcode"
)

// Appointments (issue 17, docs/API.md "Appointments"): the public booking
// API of /book, the integration API, the kiosk check-in and the admin's
// settings, holidays and lists.

// privileged tells whether p books for citizens (admin or integration):
// no per-address limit and no phone number check on cancel.
func privileged(p auth.Principal) bool {
	return p.Role == protocol.RoleAdmin || p.Role == protocol.RoleIntegration
}

// bookLimit applies the per-address limit of booking writes to the
// anonymous (the integration and the admin are not limited here).
func (s *Server) bookLimit(r *http.Request, p auth.Principal) error {
	if privileged(p) {
		return nil
	}
	if ok, wait := s.bookLim.take(clientIP(r, s.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many bookings from this address; try again later")
	}
	return nil
}

func (s *Server) listBookingSettings(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	out, err := s.engine.BookingSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) putBookingSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.BookingSettings
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ServiceID != "" && req.ServiceID != r.PathValue("id") {
		return errf(protocol.CodeBadRequest, "service_id does not match the path")
	}
	req.ServiceID = r.PathValue("id")
	out, err := s.engine.PutBookingSettings(r.Context(), req)
	if err != nil {
		return err
	}
	s.recordChange(r.Context(), p, "booking.settings", out.ServiceID, nil, out, "")
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listHolidays(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	out, err := s.engine.Holidays(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) putHolidays(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req []protocol.Holiday
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req == nil {
		req = []protocol.Holiday{}
	}
	out, err := s.engine.PutHolidays(r.Context(), req)
	if err != nil {
		return err
	}
	s.record(r.Context(), p, "holidays.put", "%d holidays", len(out))
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) bookingSlots(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	out, err := s.engine.Slots(r.Context(), q.Get("service_id"), q.Get("day"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createBooking(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.bookLimit(r, p); err != nil {
		return err
	}
	var req protocol.BookingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	by := "public"
	if p.Role != "" {
		by = p.Kind + ":" + p.Name
	}
	b, err := s.engine.Book(r.Context(), by, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/bookings/"+b.Code+"/qr.png")
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.bookLimit(r, p); err != nil {
		return err
	}
	var req protocol.CancelBookingRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	b, err := s.engine.CancelBooking(r.Context(), req.Code, req.Phone, privileged(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) checkInBooking(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req protocol.CheckInRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	out, tok, err := s.engine.CheckIn(r.Context(), p.Kind+":"+p.ID, req.Code, req.Lang)
	if err != nil {
		return err
	}
	if !out.Replayed {
		s.m.issued.WithLabelValues(out.Ticket.ServiceID).Inc()
	}
	out.Ticket.Token = tok
	out.Ticket.TrackURL = s.trackURL(r, tok)
	status := http.StatusCreated
	if out.Replayed {
		status = http.StatusOK
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	day := r.URL.Query().Get("day")
	if day == "" {
		day = s.engine.Today()
	}
	out, err := s.engine.Bookings(r.Context(), day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) bookingStats(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" {
		from = s.engine.Today()
	}
	if to == "" {
		to = from
	}
	out, err := s.engine.BookingStats(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// bookingQR is the QR code of a booking code: what the kiosk's barcode
// scanner reads (it types the code and Enter). Anyone may ask: the image
// holds only the code in the path.
func (s *Server) bookingQR(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	code := queue.NormalizeBookingCode(r.PathValue("code"))
	if code == "" {
		return errf(protocol.CodeNotFound, "unknown booking code")
	}
	png, err := qrcode.Encode(code, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Has("download") {
		w.Header().Set("Content-Disposition", `attachment; filename="civiq-booking-`+code+`.png"`)
	}
	w.Write(png)
	return nil
}
