package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series the server exports on /metrics.
type metrics struct {
	issued   *prometheus.CounterVec
	called   *prometheus.CounterVec
	requests *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, waiting func() map[string]int, clients func() int, kicked func() int64) *metrics {
	m := &metrics{
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civiq_tickets_issued_total", Help: "Tickets issued, per field.",
		}, []string{"service"}),
		called: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "civiq_tickets_called_total", Help: "Tickets called to a counter (recalls excluded), per field.",
		}, []string{"service"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "civiq_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.issued, m.called, m.requests)
	reg.MustRegister(&waitingCollector{desc: prometheus.NewDesc("civiq_waiting", "Tickets waiting, per field.", []string{"service"}, nil), waiting: waiting})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "civiq_ws_clients", Help: "Connected websocket subscribers."},
		func() float64 { return float64(clients()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "civiq_ws_kicked_total", Help: "Websocket subscribers disconnected for being too slow."},
		func() float64 { return float64(kicked()) }))
	return m
}

type waitingCollector struct {
	desc    *prometheus.Desc
	waiting func() map[string]int
}

func (c *waitingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *waitingCollector) Collect(ch chan<- prometheus.Metric) {
	for svc, n := range c.waiting() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), svc)
	}
}
