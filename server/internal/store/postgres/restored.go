package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/civiq/civiq/server/internal/province"
	"github.com/civiq/civiq/server/internal/store"
)

// NewEpoch gives the CiviQ database at url a new event epoch, for after a
// restore PostgreSQL's catalog does not show (checkOrigin): point-in-time
// recovery, pg_basebackup, a disk snapshot. Stop every server first;
// clients reload their state when they reconnect. centre names one
// centre of a province (its id; province.DefaultID: the public schema);
// "" gives every centre of the database its own new epoch, the default
// one and each centre_* schema, in one transaction. It returns the new
// epochs by centre id.
func NewEpoch(ctx context.Context, url, centre string) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer tx.Rollback(ctx)
	var schemas []string
	if centre != "" {
		if centre != province.DefaultID {
			if err := province.ValidID(centre); err != nil {
				return nil, err
			}
		}
		schemas = []string{cmp.Or(province.SchemaOf(centre), "public")}
	} else {
		rows, err := tx.Query(ctx, `SELECT table_schema FROM information_schema.tables
			WHERE table_name = 'meta' AND (table_schema = 'public' OR table_schema LIKE 'centre\_%') ORDER BY table_schema`)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		schemas, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	out := map[string]string{}
	for _, sc := range schemas {
		id := province.DefaultID
		if sc != "public" {
			id = strings.ReplaceAll(strings.TrimPrefix(sc, "centre_"), "_", "-")
		}
		epoch := store.NewEpoch()
		tag, err := tx.Exec(ctx, `UPDATE `+pgx.Identifier{sc, "meta"}.Sanitize()+` SET value = $1 WHERE key = 'epoch'`, epoch)
		if err != nil {
			return nil, fmt.Errorf("postgres: new epoch of centre %s (is this a CiviQ database?): %w", id, err)
		}
		if tag.RowsAffected() != 1 {
			return nil, fmt.Errorf("postgres: new epoch: no epoch for centre %s (no server has started on it)", id)
		}
		out[id] = epoch
	}
	if len(out) == 0 {
		return nil, errors.New("postgres: new epoch: no CiviQ centre in this database (no server has started on it)")
	}
	return out, tx.Commit(ctx)
}
