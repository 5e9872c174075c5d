package enginetest

import (
	"fmt"
	"sync"
	"testing"
)

// IDCapRaces checks the citizen-ID daily caps when two issuers of one
// centre (two kiosks, two instances) issue for the same card at the same
// moment. setCaps sets the centre's caps (total a day, per field; 0 is
// none) so that both issuers apply them. issue(i, field, card) issues one
// ticket from issuer i (0 or 1) in field for the ID card number card and
// tells whether it was issued: a refusal with id_daily_cap is (false, nil),
// anything else an error. fields are three fields of the centre that
// nothing was issued to yet. Each round races n new cards, one ticket from
// each issuer at once.
//
// With a cap of 1 a day exactly one of the two is issued, for one field
// and for two; with 1 per field and none overall two fields both succeed
// and one field still issues once.
func IDCapRaces(t testing.TB, n int, fields [3]string, setCaps func(total, perField int), issue func(i int, field, card string) (bool, error)) {
	t.Helper()
	card := 0
	// race issues, for each of n new cards, one ticket from each issuer at
	// the same moment (pair[0] from the first, pair[1] from the second)
	// and returns how many were issued and how many refused.
	race := func(pair [2]string) (issued, capped int) {
		var mu sync.Mutex
		for range n {
			card++
			number := fmt.Sprintf("0793%08d", card)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, field := range pair {
				wg.Go(func() {
					<-start
					ok, err := issue(i, field, number)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Errorf("issue from issuer %d in %s: %v", i+1, field, err)
					case ok:
						issued++
					default:
						capped++
					}
				})
			}
			close(start)
			wg.Wait()
		}
		return issued, capped
	}
	setCaps(1, 0)
	if issued, capped := race([2]string{fields[0], fields[0]}); issued != n || capped != n {
		t.Errorf("cap 1, same field: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
	if issued, capped := race([2]string{fields[0], fields[1]}); issued != n || capped != n {
		t.Errorf("cap 1, two fields: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
	setCaps(0, 1)
	if issued, capped := race([2]string{fields[0], fields[1]}); issued != 2*n || capped != 0 {
		t.Errorf("1 per field, two fields: %d issued, %d refused for %d cards; want %d and 0", issued, capped, n, 2*n)
	}
	if issued, capped := race([2]string{fields[2], fields[2]}); issued != n || capped != n {
		t.Errorf("1 per field, same field: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
}
