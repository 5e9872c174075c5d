package province

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/civiq/civiq/server/internal/queue"
	"github.com/civiq/civiq/server/protocol"
)

// The province's audit log: who created, renamed, took out of service,
// brought back or deleted a centre, and every change to a province
// account. The store writes an entry in the transaction of the change
// it records where it has one. Never a password or a token in it.

// Audit actions.
const (
	ActionCentreCreate  = "centre.create"
	ActionCentreRename  = "centre.rename"
	ActionCentreDisable = "centre.disable"
	ActionCentreEnable  = "centre.enable"
	ActionCentreDelete  = "centre.delete"
	ActionAccountCreate = "account.create"
	ActionAccountRename = "account.rename"
	ActionAccountRole   = "account.role"
	ActionAccountReset  = "account.reset_password"
	ActionAccountOff    = "account.disable"
	ActionAccountOn     = "account.enable"
	ActionOwnPassword   = "account.password"
)

// AuditActions are the actions of the province's audit log.
var AuditActions = []string{ActionCentreCreate, ActionCentreRename, ActionCentreDisable, ActionCentreEnable,
	ActionCentreDelete, ActionAccountCreate, ActionAccountRename, ActionAccountRole, ActionAccountReset,
	ActionAccountOff, ActionAccountOn, ActionOwnPassword}

// AuditEntry is an entry of the province's audit log.
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"` // the province username
	Action  string    `json:"action"`
	Subject string    `json:"subject"` // centre id or username
	Detail  string    `json:"detail"`
	IP      string    `json:"ip"`
}

// AuditFilter selects entries, newest first: Limit of them, by Actor
// (a username) and Kind ("centre", "account" or a full action) when set.
type AuditFilter struct {
	Limit int
	Actor string
	Kind  string
}

// ParseAuditFilter checks a filter from outside: limit 0 is 200, at most
// max.
func ParseAuditFilter(limit int, actor, kind string, max int) (AuditFilter, error) {
	f := AuditFilter{Limit: limit, Actor: actor, Kind: kind}
	if f.Limit == 0 {
		f.Limit = 200
	}
	if f.Limit < 1 || f.Limit > max {
		return f, queue.Errorf(protocol.CodeBadRequest, "limit must be 1..%d", max)
	}
	if len(actor) > 100 {
		return f, queue.Errorf(protocol.CodeBadRequest, "actor is too long")
	}
	if kind != "" && kind != "centre" && kind != "account" && !slices.Contains(AuditActions, kind) {
		return f, queue.Errorf(protocol.CodeBadRequest, "kind must be centre, account or one of %s", strings.Join(AuditActions, ", "))
	}
	return f, nil
}

type actorKey struct{}

type actor struct{ username, ip string }

// WithActor names the province account acting and its address in ctx,
// for the audit entries of what it changes.
func WithActor(ctx context.Context, username, ip string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{username, ip})
}

// Audit is an entry of action on subject at now by the account ctx
// names (WithActor; "system" when none).
func Audit(ctx context.Context, now time.Time, action, subject, detail string) AuditEntry {
	a, _ := ctx.Value(actorKey{}).(actor)
	if a.username == "" {
		a.username = "system"
	}
	return AuditEntry{At: now, Actor: a.username, Action: action, Subject: subject, Detail: detail, IP: a.ip}
}

// Audit lists the audit log's entries.
func (s *Service) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	return s.store.Audit(ctx, f)
}
