package httpapi

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/internal/report"
	"github.com/civiq/civiq/server/protocol"
)

// ProvinceCentre is a centre the province API sees: its registry entry
// and its running API.
type ProvinceCentre struct {
	province.Centre
	API *Server
}

// ProvinceHost runs the centres of a province (wiring.Province).
type ProvinceHost interface {
	// Centres lists the centres, the default one first: those served
	// now, then those out of service (API nil).
	Centres() []ProvinceCentre
	// CreateCentre creates a centre (its schema, migrated, and its first
	// admin) and starts serving it; it returns the admin's password.
	CreateCentre(ctx context.Context, c province.Centre) (adminPassword string, err error)
	// UpdateCentre renames a centre (name non-nil; its id stays) or takes
	// it out of service or back (disabled non-nil; its data is kept).
	UpdateCentre(ctx context.Context, id string, name *string, disabled *bool) (province.Centre, error)
	// DeleteCentre deletes a centre out of service with all its data and
	// frees its id; by (the province account asking) is logged.
	DeleteCentre(ctx context.Context, id, by string) error
}

// ProvinceOptions configure the province API.
type ProvinceOptions struct {
	TrustProxy     bool
	LoginPerMinute float64
	// Web holds the embedded pages (the province page); nil: none.
	Web fs.FS
	// StorageError maps storage failures to 503 (Options.StorageError).
	StorageError func(error) error
	// SharedLimits holds the login limit's buckets for every instance
	// (the province schema; Options.SharedLimits); nil: this instance's.
	SharedLimits SharedLimiter
}

// Province serves the province's API (/api/v1/province/…) and page
// (/province): docs/API.md, "Centres and the province".
type Province struct {
	svc   *province.Service
	host  ProvinceHost
	clock queue.Clock
	log   *slog.Logger
	opts  ProvinceOptions
	lim   *limiter
	mux   *http.ServeMux
}

// NewProvince returns the province API.
func NewProvince(svc *province.Service, host ProvinceHost, clock queue.Clock, log *slog.Logger, opts ProvinceOptions) *Province {
	if opts.LoginPerMinute == 0 {
		opts.LoginPerMinute = 10
	}
	p := &Province{svc: svc, host: host, clock: clock, log: log, opts: opts, lim: newLimiter(opts.LoginPerMinute/60, 5).sharedBy(opts.SharedLimits, "province-login", log), mux: http.NewServeMux()}
	readers := []string{province.RoleAdmin, province.RoleSupervisor}
	admins := []string{province.RoleAdmin}
	m := p.mux
	m.Handle("POST /api/v1/province/login", p.api(nil, p.login))
	m.Handle("POST /api/v1/province/logout", p.api(readers, p.logout))
	m.Handle("GET /api/v1/province/me", p.api(readers, p.me))
	m.Handle("GET /api/v1/province/centres", p.api(readers, p.centres))
	m.Handle("POST /api/v1/province/centres", p.api(admins, p.createCentre))
	m.Handle("PATCH /api/v1/province/centres/{id}", p.api(admins, p.updateCentre))
	m.Handle("DELETE /api/v1/province/centres/{id}", p.api(admins, p.deleteCentre))
	m.Handle("POST /api/v1/province/users", p.api(admins, p.createUser))
	m.Handle("GET /api/v1/province/users", p.api(admins, p.users))
	m.Handle("PATCH /api/v1/province/users/{id}", p.api(admins, p.updateUser))
	m.Handle("POST /api/v1/province/password", p.api(readers, p.changePassword))
	m.Handle("GET /api/v1/province/reports/summary", p.api(readers, p.summary))
	m.Handle("GET /api/v1/province/audit", p.api(readers, p.audit))
	m.Handle("GET /api/v1/province/audit.csv", p.api(readers, p.auditCSV))
	m.HandleFunc("GET /province", p.page)
	m.Handle("/api/v1/province/", p.api(nil, func(http.ResponseWriter, *http.Request, province.Principal) error {
		return errf(protocol.CodeNotFound, "no such province route")
	}))
	return p
}

// Handler serves the province's routes.
func (p *Province) Handler() http.Handler { return p.mux }

type provinceHandler func(w http.ResponseWriter, r *http.Request, pr province.Principal) error

// api authenticates a province token (Authorization: Bearer pv.…; no
// cookie, so no CSRF) and checks the role; nil roles: anyone.
func (p *Province) api(roles []string, fn provinceHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pr province.Principal
		var err error
		if len(roles) > 0 {
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			tok = strings.TrimSpace(tok)
			if tok == "" {
				err = errf(protocol.CodeUnauthorized, "this request needs a province token: Authorization: Bearer TOKEN")
			} else if pr, err = p.svc.Authenticate(r.Context(), tok); err == nil && !hasRole(pr.Role, roles) {
				err = errf(protocol.CodeForbidden, "a %s may not do this", pr.Role)
			}
		}
		if err == nil {
			if pr.Username != "" {
				// Who acts and from where, for the audit log.
				r = r.WithContext(province.WithActor(r.Context(), pr.Username, clientIP(r, p.opts.TrustProxy)))
			}
			err = fn(w, r, pr)
		}
		if err != nil && p.opts.StorageError != nil {
			err = p.opts.StorageError(err)
		}
		if err != nil {
			if status := writeError(w, err); status >= 500 {
				p.log.Error("province request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
		}
	})
}

func hasRole(role string, roles []string) bool {
	for _, x := range roles {
		if x == role {
			return true
		}
	}
	return false
}

func (p *Province) login(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	r = withClientIP(r, p.opts.TrustProxy)
	if ok, wait := p.lim.takeShared(r.Context(), clientIP(r, p.opts.TrustProxy)); !ok {
		return tooMany(wait, "too many login attempts; wait a minute")
	}
	var req protocol.LoginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tok, u, exp, err := p.svc.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "role": u.Role, "user": u.Username, "name": u.Name, "expires_at": exp})
	return nil
}

func (p *Province) logout(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := p.svc.Logout(r.Context(), strings.TrimSpace(tok)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (p *Province) me(w http.ResponseWriter, _ *http.Request, pr province.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"id": pr.UserID, "user": pr.Username, "role": pr.Role, "expires_at": pr.Expires})
	return nil
}

// ProvinceCentreView is one centre in GET /api/v1/province/centres.
type ProvinceCentreView struct {
	province.Centre
	// Path is the centre's prefix ("/c/{id}"; "" for the default centre).
	Path string `json:"path"`
	// Live figures, from the centre's board now.
	Waiting      int   `json:"waiting"`
	Serving      int   `json:"serving"`
	OpenCounters int   `json:"open_counters"`
	Counters     int   `json:"counters"`
	Seq          int64 `json:"seq"`
}

func (p *Province) centres(w http.ResponseWriter, _ *http.Request, _ province.Principal) error {
	out := []ProvinceCentreView{}
	for _, c := range p.host.Centres() {
		if c.API == nil { // out of service
			out = append(out, ProvinceCentreView{Centre: c.Centre, Path: "/c/" + c.ID})
			continue
		}
		v := ProvinceCentreView{Centre: c.Centre, Path: c.API.opts.BasePath}
		if n := c.API.engine.Centre().Name.Vi; n != "" {
			v.Name = n // as the centre's admin last named it
		}
		b := c.API.engine.Board()
		v.Seq, v.Counters = b.Seq, len(b.Counters)
		for _, n := range b.Waiting {
			v.Waiting += n
		}
		for _, k := range b.Counters {
			if k.Counter.Status == protocol.CounterOpen {
				v.OpenCounters++
			}
			if k.Current != nil {
				v.Serving++
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type provinceUserRequest struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (p *Province) createUser(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var req provinceUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := p.svc.CreateUser(r.Context(), req.Username, req.Name, req.Role, req.Password)
	if err != nil {
		return err
	}
	p.log.Info("province user created", "user", u.Username, "role", u.Role, "by", pr.Username)
	writeJSON(w, http.StatusCreated, map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "role": u.Role, "created_at": u.Created})
	return nil
}

// provinceUserView is a province account as the API shows it (never its
// password hash).
type provinceUserView struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created_at"`
}

func viewProvinceUser(u province.User) provinceUserView {
	return provinceUserView{ID: u.ID, Username: u.Username, Name: u.Name, Role: u.Role, Disabled: u.Disabled, Created: u.Created}
}

func (p *Province) users(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	us, err := p.svc.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]provinceUserView, 0, len(us))
	for _, u := range us {
		out = append(out, viewProvinceUser(u))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (p *Province) updateUser(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var in province.UserPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := p.svc.UpdateUser(r.Context(), pr, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	p.log.Info("province user updated", "user", u.Username, "role", u.Role, "disabled", u.Disabled,
		"password_reset", in.Password != nil, "by", pr.Username)
	writeJSON(w, http.StatusOK, viewProvinceUser(u))
	return nil
}

type changePasswordRequest struct {
	OldPassword string `json:"old_password"`
	Password    string `json:"password"`
}

func (p *Province) changePassword(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var in changePasswordRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := p.svc.ChangeOwnPassword(r.Context(), pr, strings.TrimSpace(tok), in.OldPassword, in.Password); err != nil {
		return err
	}
	p.log.Info("province user changed their password", "user", pr.Username)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type updateCentreRequest struct {
	Name     *string `json:"name"`
	Disabled *bool   `json:"disabled"`
}

func (p *Province) updateCentre(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var in updateCentreRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if id != province.DefaultID {
		if err := province.ValidID(id); err != nil {
			return errf(protocol.CodeNotFound, "no such centre")
		}
	}
	if in.Name == nil && in.Disabled == nil {
		return errf(protocol.CodeBadRequest, "nothing to change: give name or disabled")
	}
	if in.Name != nil {
		n, err := queue.AdminText("name", *in.Name, 120, true)
		if err != nil {
			return err
		}
		in.Name = &n
	}
	c, err := p.host.UpdateCentre(r.Context(), id, in.Name, in.Disabled)
	if err != nil {
		return err
	}
	p.log.Info("centre updated", "centre", id, "name", c.Name, "disabled", c.Disabled, "by", pr.Username)
	writeJSON(w, http.StatusOK, c)
	return nil
}

type deleteCentreRequest struct {
	// Confirm must repeat the centre's id: a deletion cannot be undone.
	Confirm *string `json:"confirm"`
}

// deleteCentre serves DELETE /api/v1/province/centres/{id} with
// {"confirm":"{id}"}: a centre out of service is deleted with all its
// data (204).
func (p *Province) deleteCentre(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var in deleteCentreRequest
	if err := decode(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if id == province.DefaultID {
		return errf(protocol.CodeUnprocessable, "the default centre cannot be deleted")
	}
	if province.ValidID(id) != nil {
		return errf(protocol.CodeNotFound, "no such centre")
	}
	if in.Confirm == nil || *in.Confirm != id {
		return errf(protocol.CodeBadRequest, "deleting a centre's data cannot be undone: confirm it with {\"confirm\":%q}", id)
	}
	if err := p.host.DeleteCentre(r.Context(), id, pr.Username); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type createCentreRequest struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
}

func (p *Province) createCentre(w http.ResponseWriter, r *http.Request, pr province.Principal) error {
	var req createCentreRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := province.ValidID(req.ID); err != nil {
		return err
	}
	name, err := queue.AdminText("name", req.Name, 120, true)
	if err != nil {
		return err
	}
	if req.TimeZone == "" {
		req.TimeZone = "Asia/Ho_Chi_Minh"
	}
	if _, err := time.LoadLocation(req.TimeZone); err != nil || len(req.TimeZone) > 64 {
		return errf(protocol.CodeBadRequest, "time_zone must be an IANA time zone such as Asia/Ho_Chi_Minh")
	}
	c := province.Centre{ID: req.ID, Name: name, TimeZone: req.TimeZone, Created: p.clock.Now()}
	pw, err := p.host.CreateCentre(r.Context(), c)
	if err != nil {
		return err
	}
	p.log.Info("centre created", "centre", c.ID, "by", pr.Username)
	writeJSON(w, http.StatusCreated, map[string]any{
		"centre": c, "path": "/c/" + c.ID,
		"admin": map[string]string{"username": "admin", "password": pw},
	})
	return nil
}

// ProvinceSummary is the answer of GET /api/v1/province/reports/summary:
// one row per centre (key: the centre id) and the province's total.
type ProvinceSummary = report.Report

// summary serves GET /api/v1/province/reports/summary?from&to&format: each
// centre's total over the range (the same figures as its own report's
// total) and the sum over the centres, whose waits and service times are
// computed from the centres' samples together (so its median and 90th
// percentile are the province's, not an average of the centres').
func (p *Province) summary(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	v := r.URL.Query()
	q, err := report.ParseQuery(v.Get("from"), v.Get("to"), report.ByDay, v.Get("format"))
	if err != nil {
		return errf(protocol.CodeBadRequest, "%v", err)
	}
	rep := report.Report{From: q.From, To: q.To, GroupBy: "centre", Rows: []report.Row{}}
	var total report.Acc
	var minutes float64
	for _, c := range p.host.Centres() {
		if c.API == nil {
			continue // out of service: its figures come back with it
		}
		row, acc, err := c.API.rangeTotal(r.Context(), q)
		if err != nil {
			return fmt.Errorf("centre %s: %w", c.ID, err)
		}
		row.Key, row.Label = c.ID, cmp.Or(c.API.engine.Centre().Name.Vi, c.Name)
		rep.Rows = append(rep.Rows, row)
		total.Merge(&acc)
		minutes += row.DisruptionMinutes
	}
	rep.Total = total.Row("total", "Tổng cộng")
	// Disruption minutes add up over centres (each centre's own periods).
	rep.Total.DisruptionMinutes = minutes
	return writeReport(w, rep, q.Format, fmt.Sprintf("civiq-province-%s-%s", q.From, q.To))
}

// rangeTotal is the centre's report total over q's range and the sums
// behind it (for a province's total).
func (s *Server) rangeTotal(ctx context.Context, q report.Query) (report.Row, report.Acc, error) {
	rep, _, err := s.buildReport(ctx, q.From, q.To, report.ByDay, report.FormatJSON)
	if err != nil {
		return report.Row{}, report.Acc{}, err
	}
	loc := s.engine.Location()
	days, err := s.reports.ReportSource(loc, queue.Day(s.clock.Now(), loc)).ReportDays(ctx, q.From, q.To, report.DimAll)
	if err != nil {
		return report.Row{}, report.Acc{}, err
	}
	var acc report.Acc
	for _, d := range days {
		if a := d[""]; a != nil {
			acc.Merge(a)
		}
	}
	return rep.Total, acc, nil
}

func (p *Province) page(w http.ResponseWriter, r *http.Request) {
	if p.opts.Web == nil {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(p.opts.Web, "province/index.html")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	w.Write(b)
}

// ProvincePrincipal is how a province account acts inside a centre: a
// province admin as the centre's admin, a province supervisor as its
// supervisor (auth.Authority.SetOutside).
func ProvincePrincipal(pr province.Principal, tok string) auth.Principal {
	return auth.Principal{Kind: auth.KindProvince, ID: pr.UserID, Name: pr.Username, Role: province.CentreRole(pr.Role),
		TokenHash: province.TokenHash(tok), Expires: pr.Expires, CSRF: province.CSRF(tok)}
}

// provinceAuditFilter reads ?limit=, ?actor= and ?kind= of the province's
// audit endpoints.
func provinceAuditFilter(r *http.Request, maxLimit int) (province.AuditFilter, error) {
	q := r.URL.Query()
	n := 0
	if v := q.Get("limit"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return province.AuditFilter{}, errf(protocol.CodeBadRequest, "limit must be 1..%d", maxLimit)
		}
	}
	return province.ParseAuditFilter(n, q.Get("actor"), q.Get("kind"), maxLimit)
}

// audit answers GET /api/v1/province/audit: the province's audit log,
// newest first, filtered by ?actor=USERNAME and ?kind=centre, account or
// a full action (centre.delete).
func (p *Province) audit(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	f, err := provinceAuditFilter(r, 1000)
	if err != nil {
		return err
	}
	entries, err := p.svc.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []province.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
	return nil
}

// auditCSV answers GET /api/v1/province/audit.csv: the same entries
// (default and maximum 100,000) as CSV for a spreadsheet, UTF-8 with a
// byte order mark, times in UTC.
func (p *Province) auditCSV(w http.ResponseWriter, r *http.Request, _ province.Principal) error {
	f, err := provinceAuditFilter(r, 100000)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("limit") == "" {
		f.Limit = 100000
	}
	entries, err := p.svc.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="civiq-province-audit-`+p.clock.Now().UTC().Format("2006-01-02")+`.csv"`)
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "user", "ip", "action", "subject", "detail"})
	for _, e := range entries {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), csvSafe(e.Actor), e.IP, e.Action, csvSafe(e.Subject), csvSafe(e.Detail)})
	}
	cw.Flush()
	return nil
}
