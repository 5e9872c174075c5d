// Command eta-floor estimates the smallest mean absolute error any wait
// estimate can reach on a stylised hall, to put the simulator's accuracy
// figures (docs/PERFORMANCE.md) in perspective.
//
// c counters serve one FIFO queue with lognormal service times (mean 5 min,
// σ = 0.5, as the simulator's main scenario); a citizen arrives with n
// tickets ahead (geometric, mean 2.5 per counter: a busy hall) while every
// counter is part-way through a service. The "oracle" estimate knows the
// true mean, σ and each current service's elapsed time, and answers the
// median of the exact conditional wait distribution (by Monte Carlo), which
// minimises the absolute error. No pauses, no-shows or priority arrivals:
// the real model faces those too. Run: go run ./server/cmd/eta-floor
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

const sigma = 0.5
const mean = 5.0

func svc(r *rand.Rand) float64 {
	mu := math.Log(mean) - sigma*sigma/2
	return math.Exp(mu + sigma*r.NormFloat64())
}

// residual samples S-e given S>e.
func residual(r *rand.Rand, e float64) float64 {
	for {
		s := svc(r)
		if s > e {
			return s - e
		}
	}
}

// wait: c busy counters with elapsed el; n tickets ahead (FIFO); time until
// this ticket starts.
func wait(r *rand.Rand, el []float64, n int) float64 {
	free := make([]float64, len(el))
	for i, e := range el {
		free[i] = residual(r, e)
	}
	for k := 0; ; k++ {
		// earliest free counter
		j := 0
		for i := range free {
			if free[i] < free[j] {
				j = i
			}
		}
		if k == n {
			return free[j]
		}
		free[j] += svc(r)
	}
}

func main() {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []int{1, 2, 3} {
		var absErr, sumW float64
		var cnt int
		for o := 0; o < 6000; o++ {
			{
				// n ahead: geometric with mean 2.5*c (a queue in a busy hall)
				n := 0
				for r.Float64() < 2.5*float64(c)/(1+2.5*float64(c)) {
					n++
				}
				el := make([]float64, c)
				for i := range el {
					el[i] = r.Float64() * svc(r) // age of a service in progress (rough)
				}
				inner := make([]float64, 400)
				for i := range inner {
					inner[i] = wait(r, el, n)
				}
				sort.Float64s(inner)
				med := inner[len(inner)/2]
				actual := wait(r, el, n)
				absErr += math.Abs(actual - med)
				sumW += actual
				cnt++
			}
		}
		fmt.Printf("c=%d: oracle-median MAE %.2f min, mean wait %.1f min, MAE/mean %.1f%%\n", c, absErr/float64(cnt), sumW/float64(cnt), 100*absErr/sumW)
	}
}
