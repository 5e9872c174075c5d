package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestTakeTokenRefills: a bucket gives its burst, then refuses with the
// wait until its next token; after that wait it gives one again. A bucket
// full again is swept by the next instance that sweeps; one still
// counting is kept.
func TestTakeTokenRefills(t *testing.T) {
	ctx := context.Background()
	url := srv.Database(t)
	s := open(t, url)
	defer s.Close()
	const rate, burst = 20.0, 2 // a token every 50 ms
	for i := range burst {
		if ok, _, err := s.TakeToken(ctx, "k", rate, burst); err != nil || !ok {
			t.Fatalf("take %d: %v %v", i+1, ok, err)
		}
	}
	ok, wait, err := s.TakeToken(ctx, "k", rate, burst)
	if err != nil || ok || wait <= 0 || wait > 50*time.Millisecond {
		t.Fatalf("take past the burst: %v, wait %v, %v; want refused with a wait up to 50 ms", ok, wait, err)
	}
	time.Sleep(wait + 5*time.Millisecond)
	if ok, _, err := s.TakeToken(ctx, "k", rate, burst); err != nil || !ok {
		t.Fatalf("take after the wait: %v %v", ok, err)
	}
	if _, _, err := s.TakeToken(ctx, "slow", 1.0/3600, 5); err != nil { // full again in an hour
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // "k" is full again
	// A new instance sweeps at its first take.
	s2 := open(t, url)
	defer s2.Close()
	if _, _, err := s2.TakeToken(ctx, "other", rate, burst); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT key FROM rate_buckets ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != "other" || keys[1] != "slow" {
		t.Fatalf("buckets after the sweep %v, want [other slow] (k was full again)", keys)
	}
}
