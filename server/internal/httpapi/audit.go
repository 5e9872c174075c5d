package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/auth"
	"github.com/civiq/civiq/server/protocol"
)

// The audit log: every administrative change with who made it, when, from
// which address, and each changed field's value before and after.

type ctxKey int

const clientIPKey ctxKey = iota

// withClientIP remembers the client's address in the request context, for
// the audit log.
func withClientIP(r *http.Request, trustProxy bool) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientIPKey, clientIP(r, trustProxy)))
}

func ipFrom(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey).(string)
	return ip
}

// record writes an audit entry without field changes (a free-text detail
// only; the handlers of this branch all use recordChange); failures are
// logged, never hidden.
func (s *Server) record(ctx context.Context, p auth.Principal, action, format string, args ...any) {
	s.recordChange(ctx, p, action, "", nil, nil, fmt.Sprintf(format, args...))
}

// recordChange writes an audit entry with the changed fields of subject:
// before and after are the thing's JSON views (nil before: created; nil
// after: removed).
func (s *Server) recordChange(ctx context.Context, p auth.Principal, action, subject string, before, after any, detail string) {
	e := auth.AuditEntry{At: s.clock.Now(), Actor: p.Name, Action: action, Detail: detail, IP: ipFrom(ctx),
		Subject: subject, Changes: diffFields(before, after)}
	if e.Actor == "" {
		e.Actor = p.Kind + ":" + p.ID
	}
	if err := s.users.AddAudit(ctx, e); err != nil {
		s.log.Error("audit log write failed", "action", action, "err", err)
	}
}

// computedFields are figures the server computes, not settings an admin
// changes: they are left out of the audit's changes.
var computedFields = []string{"waiting", "open", "closed_reason", "issued_today", "avg_service_seconds",
	"eta_new_seconds", "served_today", "created_at", "id"}

// diffFields lists the fields whose value differs between two JSON views,
// nested objects flattened with dots ("name.vi"), sorted by field.
func diffFields(before, after any) []auth.Change {
	b, a := flatten(before), flatten(after)
	var out []auth.Change
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !jsonEqual(av, bv) {
			out = append(out, auth.Change{Field: k, Before: bv, After: av})
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out = append(out, auth.Change{Field: k, Before: bv, After: nil})
		}
	}
	slices.SortFunc(out, func(x, y auth.Change) int { return strings.Compare(x.Field, y.Field) })
	if out == nil {
		out = []auth.Change{}
	}
	return out
}

func flatten(v any) map[string]any {
	out := map[string]any{}
	if v == nil {
		return out
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return out
	}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, x := range m {
			if prefix == "" && slices.Contains(computedFields, k) {
				continue
			}
			if sub, ok := x.(map[string]any); ok && len(sub) > 0 && k != "hours" {
				walk(prefix+k+".", sub)
				continue
			}
			out[prefix+k] = x
		}
	}
	walk("", m)
	return out
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// auditFilter reads ?limit=, ?actor= and ?kind= of the audit endpoints.
func auditFilter(r *http.Request, maxLimit int) (auth.AuditFilter, error) {
	q := r.URL.Query()
	f := auth.AuditFilter{Limit: 200, Actor: q.Get("actor"), Kind: q.Get("kind")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return f, errf(protocol.CodeBadRequest, "limit must be 1..%d", maxLimit)
		}
		f.Limit = n
	}
	if len(f.Actor) > 100 || len(f.Kind) > 40 {
		return f, errf(protocol.CodeBadRequest, "actor or kind is too long")
	}
	return f, nil
}

// audit answers GET /api/v1/audit: entries newest first, filtered by
// ?actor=USERNAME and ?kind=counter (or counter.put).
func (s *Server) audit(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	f, err := auditFilter(r, 5000)
	if err != nil {
		return err
	}
	entries, err := s.users.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []auth.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
	return nil
}

// auditCSV answers GET /api/v1/audit.csv: the same entries (default and
// maximum 100,000) as CSV for a spreadsheet: UTF-8 with a byte order mark
// (so Excel reads the Vietnamese right), one row per changed field.
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	f, err := auditFilter(r, 100000)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("limit") == "" {
		f.Limit = 100000
	}
	entries, err := s.users.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	loc := s.engine.Location()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="civiq-audit-`+s.clock.Now().In(loc).Format("2006-01-02")+`.csv"`)
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "user", "ip", "action", "subject", "field", "before", "after", "detail"})
	for _, e := range entries {
		row := []string{strconv.FormatInt(e.ID, 10), e.At.In(loc).Format(time.RFC3339), csvSafe(e.Actor), e.IP, e.Action, csvSafe(e.Subject)}
		if len(e.Changes) == 0 {
			cw.Write(append(row, "", "", "", csvSafe(e.Detail)))
			continue
		}
		for _, c := range e.Changes {
			cw.Write(append(row, c.Field, csvSafe(csvValue(c.Before)), csvSafe(csvValue(c.After)), csvSafe(e.Detail)))
		}
	}
	cw.Flush()
	return nil
}

// csvValue writes a changed value: text as is, anything else as JSON,
// absent as empty.
func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// csvSafe keeps a spreadsheet from running a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
