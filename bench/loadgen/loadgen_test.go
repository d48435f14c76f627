package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestScheduleAt(t *testing.T) {
	s := Schedule{Rate: 1000}
	for i, want := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond} {
		if got := s.At(i); got != want {
			t.Errorf("At(%d) = %v, want %v", i, got, want)
		}
	}
	if got, want := (Schedule{Rate: 3}).At(1), 333333333*time.Nanosecond; got != want {
		t.Errorf("At(1) at 3/s = %v, want %v", got, want)
	}
}

func TestScheduleCount(t *testing.T) {
	tests := []struct {
		rate float64
		d    time.Duration
		want int
	}{
		{1000, time.Second, 1000},
		{1000, 0, 0},
		{1000, time.Nanosecond, 1},
		{1000, time.Millisecond, 1},
		{1000, time.Millisecond + 1, 2},
		{3, time.Second, 3},
		{0.5, 5 * time.Second, 3},
		{8000, 1500 * time.Millisecond, 12000},
	}
	for _, tt := range tests {
		s := Schedule{Rate: tt.rate}
		if got := s.Count(tt.d); got != tt.want {
			t.Errorf("Count(%v) at %v/s = %d, want %d", tt.d, tt.rate, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 100, 7 * time.Millisecond},
		{ms(1, 2), 50, time.Millisecond},
		{ms(1, 2), 51, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 75, 3 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 99.9, 100 * time.Millisecond},
		{hundred, 0.1, time.Millisecond},
	}
	for _, tt := range tests {
		if got := Percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	got := Summarize([]time.Duration{4, 1, 3, 2})
	want := Summary{N: 4, Mean: 2, P50: 2, P90: 4, P99: 4, P999: 4, Max: 4}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if got := Summarize(nil); got != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
}

func TestSustained(t *testing.T) {
	c := Criteria{MinThroughput: 0.95, MaxP99: 50 * time.Millisecond}
	good := Result{Rate: 1000, Sent: 1000, OK: 1000, Elapsed: time.Second,
		Latency: Summary{P99: time.Millisecond}}
	if !c.Sustained(good) {
		t.Errorf("Sustained(%+v) = false, want true", good)
	}
	for name, mutate := range map[string]func(*Result){
		"errors":  func(r *Result) { r.Errors = 1 },
		"non-2xx": func(r *Result) { r.BadCode = 1 },
		"dropped": func(r *Result) { r.Dropped = 1 },
		"slow":    func(r *Result) { r.Elapsed = 2 * time.Second },
		"p99":     func(r *Result) { r.Latency.P99 = 51 * time.Millisecond },
		"empty":   func(r *Result) { *r = Result{Rate: 1000} },
	} {
		r := good
		mutate(&r)
		if c.Sustained(r) {
			t.Errorf("%s: Sustained(%+v) = true, want false", name, r)
		}
	}
}

func TestSearch(t *testing.T) {
	tests := []struct {
		capacity float64
		want     float64
		atLimit  bool
	}{
		{capacity: 5000, want: 5000},
		{capacity: 4999, want: 4500},
		{capacity: 1000, want: 1000},
		{capacity: 999, want: 940},
		{capacity: 100000, want: 64000, atLimit: true},
	}
	for _, tt := range tests {
		var probes []float64
		got, atLimit := Search(1000, 64000, 0.1, func(rate float64) bool {
			probes = append(probes, rate)
			return rate <= tt.capacity
		})
		if got != tt.want || atLimit != tt.atLimit {
			t.Errorf("capacity %v: Search = %v, %v (probes %v), want %v, %v",
				tt.capacity, got, atLimit, probes, tt.want, tt.atLimit)
		}
	}
}

func TestMerge(t *testing.T) {
	a := Result{Rate: 10, Duration: time.Second, Sent: 2, OK: 2, Elapsed: time.Second,
		Latencies: []time.Duration{1, 5}, Lags: []time.Duration{1, 1}}
	b := Result{Rate: 10, Duration: time.Second, Sent: 4, OK: 1, BadCode: 1, Codes: map[int]int{503: 1},
		Errors: 1, FirstErr: context.Canceled, Dropped: 1, Elapsed: time.Second,
		Latencies: []time.Duration{3}, Lags: []time.Duration{2, 2, 2}}
	m := Merge(a, b)
	if m.Sent != 6 || m.OK != 3 || m.Failed() != 3 || m.Codes[503] != 1 || m.FirstErr != context.Canceled || m.Duration != 2*time.Second || m.Throughput() != 1.5 {
		t.Errorf("Merge counts = %+v", m)
	}
	if want := (Summary{N: 3, Mean: 3, P50: 3, P90: 5, P99: 5, P999: 5, Max: 5}); m.Latency != want {
		t.Errorf("Merge latency = %+v, want %+v", m.Latency, want)
	}
	if m.Lag.N != 5 || m.Lag.Max != 2 {
		t.Errorf("Merge lag = %+v, want 5 samples, max 2", m.Lag)
	}
}

func TestRunCounts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			http.Error(w, "no", http.StatusTeapot)
		}
	}))
	defer srv.Close()
	get := func(path string) Requester {
		return func(ctx context.Context) (int, time.Time, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			if err != nil {
				return 0, time.Time{}, err
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				return 0, time.Time{}, err
			}
			first := time.Now()
			resp.Body.Close()
			return resp.StatusCode, first, nil
		}
	}
	cfg := Config{Rate: 500, Warmup: 20 * time.Millisecond, Duration: 60 * time.Millisecond}

	r := Run(context.Background(), cfg, get("/"))
	if r.Sent != 30 || r.OK != 30 || r.Failed() != 0 || r.Latency.N != 30 || r.Lag.N != 30 || r.TTFB.N != 30 {
		t.Errorf("Run / = %+v, want 30 sent, all OK", r)
	}
	r = Run(context.Background(), cfg, get("/bad"))
	if r.Sent != 30 || r.OK != 0 || r.BadCode != 30 || r.Codes[http.StatusTeapot] != 30 || r.Latency.N != 0 {
		t.Errorf("Run /bad = %+v, want 30 non-2xx", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = Run(ctx, cfg, get("/"))
	if r.OK != 0 || r.Errors != 30 {
		t.Errorf("Run cancelled = %+v, want 30 errors", r)
	}
}
