package ui

import (
	"context"
	"sort"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/civiq/civiq/kiosk/internal/issuer"
	"github.com/civiq/civiq/kiosk/internal/printer"
	"github.com/civiq/civiq/kiosk/internal/printer/escpostest"
	"github.com/civiq/civiq/kiosk/internal/spool"
	"github.com/civiq/civiq/kiosk/internal/ticket"
	"github.com/civiq/civiq/server/servertest"
)

// BenchmarkTapToLastByte measures a citizen's tap on a field tile until
// the last byte of the ticket reaches the (fake, loopback TCP) ESC/POS
// printer: the online issue on a real server, the rendering, the status
// queries and the raster job. Target: 300 ms. "offline" is the same with
// the server stopped (a ticket from the lease). Reported: p50, p95, max.
func BenchmarkTapToLastByte(b *testing.B) {
	for _, mode := range []string{"online", "offline"} {
		b.Run(mode, func(b *testing.B) {
			srv := servertest.Start(b, servertest.Options{NoRateLimits: true})
			fp := escpostest.NewPrinter(b)
			pr, err := printer.Open(fp.Spec())
			if err != nil {
				b.Fatal(err)
			}
			defer pr.Close()
			sp, err := spool.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			k, err := issuer.New(issuer.Options{Client: srv.Client(srv.DeviceToken("kiosk", "bench")), Printer: pr, Spool: sp,
				Width: ticket.Width80mm, LeaseSize: 200})
			if err != nil {
				b.Fatal(err)
			}
			if err := k.Step(context.Background()); err != nil {
				b.Fatal(err)
			}
			if mode == "offline" {
				srv.Stop()
				_ = k.Step(context.Background()) // notices the server is gone
			}
			a := test.NewTempApp(b)
			u, err := New(a, k, Options{Idle: time.Hour, Confirm: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			w := test.NewTempWindow(b, u.Content())
			w.Resize(fyne.NewSize(1080, 1920))
			var lat []time.Duration
			b.ResetTimer()
			for i := range b.N {
				u.mu.Lock()
				tl := u.tiles["dat-dai"]
				u.mu.Unlock()
				start := time.Now()
				test.Tap(tl)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := fp.WaitJobs(ctx, i+1)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				b.StopTimer()
				for u.Screen() != ScreenConfirm {
					time.Sleep(time.Millisecond)
				}
				u.mu.Lock()
				done := u.buttons["done"]
				u.mu.Unlock()
				test.Tap(done)
				b.StartTimer()
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(1), "max-ms")
		})
	}
}
