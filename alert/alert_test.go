package alert

import (
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu sync.Mutex
	f  []Firing
}

func (r *recorder) fire(f Firing) { r.mu.Lock(); r.f = append(r.f, f); r.mu.Unlock() }

func (r *recorder) take() []Firing {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.f
	r.f = nil
	return out
}

// TestBurst: a rule fires once when the threshold is reached within the
// window, not again while it holds, is resolved when the events age out,
// and can fire again; other subjects are counted apart.
func TestBurst(t *testing.T) {
	var rec recorder
	e := New([]Rule{{Name: "denials", When: Denied, Threshold: 5, Window: time.Minute}}, rec.fire)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range 4 {
		e.Observe(Event{Kind: Denied, Subject: "ip:1", Time: t0.Add(time.Duration(i) * time.Second)})
		e.Observe(Event{Kind: Denied, Subject: "ip:2", Time: t0.Add(time.Duration(i) * time.Second)})
	}
	e.Observe(Event{Kind: Volume, Subject: "ip:1", Time: t0}) // another kind: not counted
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("fired below the threshold: %+v", got)
	}
	for i := range 5 {
		e.Observe(Event{Kind: Denied, Subject: "ip:1", Time: t0.Add(5*time.Second + time.Duration(i)*time.Second)})
	}
	got := rec.take()
	if len(got) != 1 || got[0].Subject != "ip:1" || got[0].Count != 5 || got[0].Resolved {
		t.Fatalf("firings: %+v", got)
	}
	if e.Firing()["denials"] != 1 {
		t.Fatalf("firing: %v", e.Firing())
	}
	e.Sweep(t0.Add(30 * time.Second))
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("resolved too early: %+v", got)
	}
	e.Sweep(t0.Add(2 * time.Minute))
	if got := rec.take(); len(got) != 1 || !got[0].Resolved {
		t.Fatalf("not resolved: %+v", got)
	}
	for i := range 5 {
		e.Observe(Event{Kind: Denied, Subject: "ip:1", Time: t0.Add(3*time.Minute + time.Duration(i)*time.Second)})
	}
	if got := rec.take(); len(got) != 1 || got[0].Resolved {
		t.Fatalf("did not fire again: %+v", got)
	}
}

// TestVolume: a principal's requests fire the rule only far above its own
// baseline, and only with some history.
func TestVolume(t *testing.T) {
	var rec recorder
	e := New([]Rule{{Name: "spike", When: Volume, Threshold: 5, Window: time.Minute, MinCount: 20}}, rec.fire)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// An hour at 10 a minute.
	for m := range 60 {
		for i := range 10 {
			e.Observe(Event{Kind: Volume, Subject: "apikey:k", Time: t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*5*time.Second)})
		}
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("fired at the baseline: %+v", got)
	}
	// Then 100 in a minute: ten times the baseline.
	t1 := t0.Add(60 * time.Minute)
	for i := range 100 {
		e.Observe(Event{Kind: Volume, Subject: "apikey:k", Time: t1.Add(time.Duration(i) * 500 * time.Millisecond)})
	}
	got := rec.take()
	if len(got) != 1 || got[0].Baseline < 9 || got[0].Baseline > 11 || got[0].Count < 50 {
		t.Fatalf("firings: %+v", got)
	}
	// A new principal bursting at once has no baseline yet: no alert.
	for i := range 100 {
		e.Observe(Event{Kind: Volume, Subject: "apikey:new", Time: t1.Add(time.Duration(i) * 100 * time.Millisecond)})
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("fired without history: %+v", got)
	}
}

// TestKeyExpiry: a key fires once when it comes within the window and is
// resolved once renewed.
func TestKeyExpiry(t *testing.T) {
	var rec recorder
	e := New([]Rule{{Name: "keys", When: KeyExpiry, Window: 7 * 24 * time.Hour}}, rec.fire)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e.KeyExpiring("key_1", now.Add(30*24*time.Hour), now)
	e.KeyExpiring("key_2", now.Add(3*24*time.Hour), now)
	e.KeyExpiring("key_2", now.Add(3*24*time.Hour), now.Add(time.Hour))
	e.KeyExpiring("key_3", time.Time{}, now) // never expires
	got := rec.take()
	if len(got) != 1 || got[0].Subject != "key_2" {
		t.Fatalf("firings: %+v", got)
	}
	e.KeyExpiring("key_2", now.Add(90*24*time.Hour), now.Add(2*time.Hour))
	if got := rec.take(); len(got) != 1 || !got[0].Resolved {
		t.Fatalf("renewal: %+v", got)
	}
	// A key revoked while its alert fires resolves it, once, and is forgotten.
	e.KeyExpiring("key_4", now.Add(24*time.Hour), now)
	rec.take()
	e.KeyGone("key_4", now.Add(time.Hour))
	e.KeyGone("key_4", now.Add(2*time.Hour))
	e.KeyGone("key_1", now.Add(2*time.Hour)) // not firing: nothing to resolve
	if got := rec.take(); len(got) != 1 || !got[0].Resolved || got[0].Subject != "key_4" || e.Firing()["keys"] != 0 {
		t.Fatalf("revocation: %+v, firing %v", got, e.Firing())
	}
}

// TestLevel: a sink's lag fires at the threshold and resolves below it.
func TestLevel(t *testing.T) {
	var rec recorder
	e := New([]Rule{{Name: "lag", When: SinkLag, Threshold: 1000}}, rec.fire)
	now := time.Now()
	e.Level(SinkLag, "splunk", 10, now)
	e.Level(SinkLag, "splunk", 5000, now)
	e.Level(SinkLag, "splunk", 6000, now)
	e.Sweep(now.Add(time.Hour)) // a level is not a count: the sweep leaves it
	e.Level(SinkLag, "splunk", 0, now.Add(time.Hour))
	got := rec.take()
	if len(got) != 2 || got[0].Resolved || got[0].Count != 5000 || !got[1].Resolved {
		t.Fatalf("firings: %+v", got)
	}
}
