package enginetest

import "testing"

// IDCapRaces checks the citizen-ID daily caps when two issuers of one
// centre (two kiosks, two instances) issue for the same card at the same
// moment. setCaps sets the centre's caps (total a day, per field; 0 is
// none) so that both issuers apply them. race(n, pair) issues, for each of
// n new cards, one ticket from each issuer at once (pair[0] on the first,
// pair[1] on the second) and returns how many were issued and how many
// refused with id_daily_cap. fields are three fields of the centre that
// nothing was issued to yet.
//
// With a cap of 1 a day exactly one of the two is issued, for one field
// and for two; with 1 per field and none overall two fields both succeed
// and one field still issues once.
func IDCapRaces(t testing.TB, n int, fields [3]string, setCaps func(total, perField int), race func(n int, pair [2]string) (issued, capped int)) {
	t.Helper()
	setCaps(1, 0)
	if issued, capped := race(n, [2]string{fields[0], fields[0]}); issued != n || capped != n {
		t.Errorf("cap 1, same field: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
	if issued, capped := race(n, [2]string{fields[0], fields[1]}); issued != n || capped != n {
		t.Errorf("cap 1, two fields: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
	setCaps(0, 1)
	if issued, capped := race(n, [2]string{fields[0], fields[1]}); issued != 2*n || capped != 0 {
		t.Errorf("1 per field, two fields: %d issued, %d refused for %d cards; want %d and 0", issued, capped, n, 2*n)
	}
	if issued, capped := race(n, [2]string{fields[2], fields[2]}); issued != n || capped != n {
		t.Errorf("1 per field, same field: %d issued, %d refused for %d cards; want %d and %d", issued, capped, n, n, n)
	}
}
