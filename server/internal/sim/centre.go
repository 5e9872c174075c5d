package sim

import (
	"time"

	"github.com/civiq/civiq/server/internal/config"
)

// MorningPeak is the shape of a day at a one-stop centre: a rush from
// opening to mid-morning, a quiet end of the morning, a smaller afternoon
// wave. Its mean over the opening hours is about 1, so a field's average
// hourly rate times the shape gives the hour's rate.
var MorningPeak = [24]float64{7: 0.9, 8: 1.6, 9: 1.5, 10: 1.1, 11: 0.6, 13: 0.7, 14: 1.0, 15: 0.9, 16: 0.6}

// DemoLoad are average arrivals per hour and mean service times for the
// demo centre's fields: a busy provincial centre where land and civil
// status dominate.
var DemoLoad = map[string]struct {
	PerHour float64
	Service time.Duration
}{
	"dat-dai":               {7, 12 * time.Minute},
	"tu-phap-ho-tich":       {10, 8 * time.Minute},
	"dang-ky-kinh-doanh":    {4.5, 10 * time.Minute},
	"xay-dung":              {3, 14 * time.Minute},
	"lao-dong-tbxh":         {4, 9 * time.Minute},
	"tai-nguyen-moi-truong": {2, 12 * time.Minute},
	"giao-thong-van-tai":    {3, 7 * time.Minute},
	"tra-ket-qua":           {14, 3 * time.Minute},
}

// FromCentre builds the fields and counters of a centre file. perHour and
// service give each field's average arrivals per hour (shaped by
// MorningPeak) and mean service time; fields missing from them get 3 an
// hour and forecast.DefaultServiceTime.
func FromCentre(c *config.Centre, perHour map[string]float64, service map[string]time.Duration) ([]Field, []Counter) {
	var fields []Field
	for _, s := range c.Services {
		if s.Enabled != nil && !*s.Enabled {
			continue
		}
		f := Field{ID: s.ID, Prefix: s.Prefix, Name: s.Name, TargetMinutes: s.TargetMinutes, MeanService: service[s.ID], Sigma: 0.5}
		rate, ok := perHour[s.ID]
		if !ok {
			rate = 3
		}
		for h, k := range MorningPeak {
			f.Rate[h] = rate * k
		}
		fields = append(fields, f)
	}
	var counters []Counter
	for _, k := range c.Counters {
		counters = append(counters, Counter{ID: k.ID, Number: k.Number, ServiceIDs: k.ServiceIDs})
	}
	return fields, counters
}

// Demo is the demo centre under DemoLoad.
func Demo(c *config.Centre) ([]Field, []Counter) {
	rates := map[string]float64{}
	service := map[string]time.Duration{}
	for id, l := range DemoLoad {
		rates[id], service[id] = l.PerHour, l.Service
	}
	return FromCentre(c, rates, service)
}
