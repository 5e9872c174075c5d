package report

import (
	"slices"
	"time"
)

// WaitSample is one called ticket as the usual-wait profile sees it.
type WaitSample struct {
	// ServiceID is the field the ticket was issued for.
	ServiceID string
	// Issued is when it was issued; Wait how long until its first call.
	Issued time.Time
	Wait   time.Duration
}

// UsualMinSamples is how many tickets an hour of a weekday needs in the
// history before its median counts as the usual wait.
const UsualMinSamples = 3

// UsualWait is a field's usual wait by weekday (0 = Monday) and hour of
// issue in the centre's time zone: the median wait in seconds of the
// tickets issued then, nil where the history has too few.
type UsualWait [7][24]*int

// UsualWaits folds samples into each field's usual wait: the median, so a
// single bad morning does not paint a whole hour red.
func UsualWaits(samples []WaitSample, loc *time.Location) map[string]*UsualWait {
	type key struct {
		svc    string
		wd, hr int
	}
	waits := map[key][]int{}
	for _, s := range samples {
		if s.Wait < 0 {
			continue
		}
		at := s.Issued.In(loc)
		k := key{s.ServiceID, weekdayIndex(at), at.Hour()}
		waits[k] = append(waits[k], int(s.Wait/time.Second))
	}
	out := map[string]*UsualWait{}
	for k, v := range waits {
		if len(v) < UsualMinSamples {
			continue
		}
		slices.Sort(v)
		m := v[len(v)/2]
		if len(v)%2 == 0 {
			m = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		u := out[k.svc]
		if u == nil {
			u = &UsualWait{}
			out[k.svc] = u
		}
		u[k.wd][k.hr] = &m
	}
	return out
}
