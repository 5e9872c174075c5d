package report

import (
	"testing"
	"time"
)

func TestUsualWaits(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	mon9 := time.Date(2026, 11, 30, 9, 10, 0, 0, loc) // a Monday
	var s []WaitSample
	for i, m := range []int{4, 10, 12, 30} { // median of 4: (10+12)/2 = 11 min
		s = append(s, WaitSample{ServiceID: "a", Issued: mon9.AddDate(0, 0, -7*i), Wait: time.Duration(m) * time.Minute})
	}
	// Tuesday 14h UTC+7 written in UTC: the zone decides the hour.
	tue := time.Date(2026, 12, 1, 7, 5, 0, 0, time.UTC)
	for _, m := range []int{1, 2, 3} {
		s = append(s, WaitSample{ServiceID: "a", Issued: tue, Wait: time.Duration(m) * time.Minute})
	}
	// Too few: two samples of b; never called (negative) is ignored.
	s = append(s, WaitSample{ServiceID: "b", Issued: mon9, Wait: time.Minute}, WaitSample{ServiceID: "b", Issued: mon9, Wait: time.Minute},
		WaitSample{ServiceID: "b", Issued: mon9, Wait: -1})
	u := UsualWaits(s, loc)
	if _, ok := u["b"]; ok {
		t.Errorf("b has %d samples only, got a profile", 2)
	}
	a := u["a"]
	if a == nil || a[0][9] == nil || *a[0][9] != 11*60 {
		t.Fatalf("Monday 9h = %v, want 660", a[0][9])
	}
	if a[1][14] == nil || *a[1][14] != 120 {
		t.Fatalf("Tuesday 14h = %v, want 120", a[1][14])
	}
	n := 0
	for _, d := range a {
		for _, h := range d {
			if h != nil {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("%d hours with a value, want 2", n)
	}
}
