// Package alert watches what passes through the gateway and fires rules:
// bursts of denials per principal, request volume far above a principal's
// own baseline, attempts at models a principal may not use, content blocks
// and injection flags, keys about to expire. A rule fires once per subject
// (a principal, a key) while its condition holds, and is resolved when it
// no longer does; the caller turns firings into notifications, metrics and
// audit records.
package alert

import (
	"fmt"
	"sync"
	"time"
)

// Kind is what a rule watches.
type Kind string

// Kinds of rule.
const (
	Denied          Kind = "denied"           // requests refused (401, 403) per principal or address
	Volume          Kind = "volume"           // requests per principal, against its own baseline
	RestrictedModel Kind = "restricted_model" // attempts at models the principal may not use
	ContentBlocked  Kind = "content_blocked"  // requests or responses blocked by content controls
	Injection       Kind = "injection"        // requests the injection screen flagged or blocked
	KeyExpiry       Kind = "key_expiry"       // API keys expiring within the window
	SinkLag         Kind = "sink_lag"         // records an audit sink has yet to ship
)

// Kinds lists every kind.
var Kinds = []Kind{Denied, Volume, RestrictedModel, ContentBlocked, Injection, KeyExpiry, SinkLag}

// Rule fires when Threshold events of its kind fall within Window for one
// subject. For Volume, Threshold is a multiple of the subject's baseline
// (its mean per window over the last 12 windows) and at least MinCount
// requests must fall in the window; for KeyExpiry, a key fires when it
// expires within Window.
type Rule struct {
	Name      string
	When      Kind
	Threshold float64
	Window    time.Duration
	MinCount  int // Volume: the least count that can fire (default 20)
}

// Event is something that happened to a subject.
type Event struct {
	Kind    Kind
	Subject string // "apikey:key_...", "oidc:...", "ip:203.0.113.9"
	Time    time.Time
}

// Firing is a rule that fired (or, with Resolved, stopped firing).
type Firing struct {
	Rule      string
	When      Kind
	Subject   string
	Count     int     // events in the window (Volume: requests)
	Baseline  float64 // Volume: the subject's mean per window
	Threshold float64
	Window    time.Duration
	Time      time.Time
	Resolved  bool
}

// Summary is one line for people.
func (f Firing) Summary() string {
	if f.Resolved {
		return fmt.Sprintf("Resolved: %s for %s", f.Rule, f.Subject)
	}
	switch f.When {
	case Volume:
		return fmt.Sprintf("Alert %s: %s sent %d requests in %s, %.1f times its baseline of %.1f", f.Rule, f.Subject, f.Count, f.Window, float64(f.Count)/max(f.Baseline, 1e-9), f.Baseline)
	case KeyExpiry:
		return fmt.Sprintf("Alert %s: API key %s expires within %s", f.Rule, f.Subject, f.Window)
	case SinkLag:
		return fmt.Sprintf("Alert %s: audit sink %s is %d records behind (threshold %g)", f.Rule, f.Subject, f.Count, f.Threshold)
	}
	return fmt.Sprintf("Alert %s: %d %s events for %s within %s (threshold %g)", f.Rule, f.Count, f.When, f.Subject, f.Window, f.Threshold)
}

// Engine evaluates rules over events. It is safe for concurrent use.
type Engine struct {
	rules []Rule
	fire  func(Firing)

	mu    sync.Mutex
	state map[key]*subject
}

type key struct {
	rule    int
	subject string
}

type subject struct {
	recent  ring // events of the window, in tenths of it
	history ring // Volume: requests per whole window, 13 windows
	seen    time.Time
	firing  bool
}

// New returns an engine for rules that calls fire for every firing and
// resolution (outside its lock).
func New(rules []Rule, fire func(Firing)) *Engine {
	e := &Engine{rules: rules, fire: fire, state: map[key]*subject{}}
	for i := range e.rules {
		if e.rules[i].Window <= 0 {
			e.rules[i].Window = time.Minute
		}
		if e.rules[i].When == Volume && e.rules[i].MinCount <= 0 {
			e.rules[i].MinCount = 20
		}
	}
	return e
}

// Observe counts ev against the rules of its kind (Volume rules count
// every event of kind Volume: one per request).
func (e *Engine) Observe(ev Event) {
	if e == nil {
		return
	}
	var fired []Firing
	e.mu.Lock()
	for i, r := range e.rules {
		if r.When != ev.Kind || r.When == KeyExpiry || r.When == SinkLag {
			continue
		}
		k := key{i, ev.Subject}
		s := e.state[k]
		if s == nil {
			s = &subject{recent: newRing(r.Window/10, 10), seen: ev.Time}
			if r.When == Volume {
				s.history = newRing(r.Window, 13)
			}
			e.state[k] = s
		}
		s.recent.add(ev.Time, 1)
		if r.When == Volume {
			s.history.add(ev.Time, 1)
		}
		if f, ok := e.evaluate(r, s, ev.Subject, ev.Time); ok {
			fired = append(fired, f)
		}
	}
	e.mu.Unlock()
	for _, f := range fired {
		e.fire(f)
	}
}

// evaluate decides whether s's rule starts or stops firing at now.
func (e *Engine) evaluate(r Rule, s *subject, subj string, now time.Time) (Firing, bool) {
	count := s.recent.sum(now)
	f := Firing{Rule: r.Name, When: r.When, Subject: subj, Count: count, Threshold: r.Threshold, Window: r.Window, Time: now}
	over := float64(count) >= r.Threshold
	if r.When == Volume {
		// The baseline needs three whole windows of history.
		windows := int(now.Sub(s.seen) / r.Window)
		f.Baseline = s.history.mean(now, min(windows, 12))
		over = windows >= 3 && count >= r.MinCount && float64(count) >= r.Threshold*max(f.Baseline, 1)
	}
	switch {
	case over && !s.firing:
		s.firing = true
		return f, true
	case !over && s.firing:
		s.firing = false
		f.Resolved = true
		return f, true
	}
	return f, false
}

// Sweep resolves firings whose events have stopped and forgets subjects
// idle for a day. Call it every few seconds.
func (e *Engine) Sweep(now time.Time) {
	if e == nil {
		return
	}
	var fired []Firing
	e.mu.Lock()
	for k, s := range e.state {
		r := e.rules[k.rule]
		if r.When != KeyExpiry && r.When != SinkLag {
			if f, ok := e.evaluate(r, s, k.subject, now); ok && f.Resolved {
				fired = append(fired, f)
			}
		}
		if !s.firing && now.Sub(s.recent.lastTime()) > 24*time.Hour && now.Sub(s.seen) > 24*time.Hour {
			delete(e.state, k)
		}
	}
	e.mu.Unlock()
	for _, f := range fired {
		e.fire(f)
	}
}

// KeyExpiring reports an API key (id) that expires at expires, for the
// KeyExpiry rules: each fires once per key while it is within the rule's
// window, and resolves once the key has expired or been renewed. Keys no
// longer reported are forgotten by Sweep after a day.
func (e *Engine) KeyExpiring(id string, expires, now time.Time) {
	e.state1(KeyExpiry, id, now, func(r Rule) (bool, int) {
		return !expires.IsZero() && expires.After(now) && expires.Sub(now) <= r.Window, 0
	})
}

// KeyGone reports an API key that was revoked: a KeyExpiry alert firing
// for it resolves, and the key is forgotten.
func (e *Engine) KeyGone(id string, now time.Time) {
	if e == nil {
		return
	}
	var resolved []Firing
	e.mu.Lock()
	for i, r := range e.rules {
		k := key{i, id}
		s := e.state[k]
		if r.When != KeyExpiry || s == nil {
			continue
		}
		if s.firing {
			resolved = append(resolved, Firing{Rule: r.Name, When: r.When, Subject: id, Threshold: r.Threshold, Window: r.Window, Time: now, Resolved: true})
		}
		delete(e.state, k)
	}
	e.mu.Unlock()
	for _, f := range resolved {
		e.fire(f)
	}
}

// Level reports a measured level for subject (SinkLag: records behind):
// SinkLag rules fire when it reaches their threshold and resolve below it.
func (e *Engine) Level(kind Kind, subj string, value float64, now time.Time) {
	e.state1(kind, subj, now, func(r Rule) (bool, int) { return value >= r.Threshold, int(value) })
}

// state1 applies a condition that holds or not at now (rather than a count
// of events) to subj under the rules of kind: firing when it starts to
// hold, resolving when it stops.
func (e *Engine) state1(kind Kind, subj string, now time.Time, holds func(Rule) (bool, int)) {
	if e == nil {
		return
	}
	var fired []Firing
	e.mu.Lock()
	for i, r := range e.rules {
		if r.When != kind {
			continue
		}
		k := key{i, subj}
		s := e.state[k]
		if s == nil {
			s = &subject{recent: newRing(r.Window/10, 10), seen: now}
			e.state[k] = s
		}
		s.recent.add(now, 0)
		over, count := holds(r)
		f := Firing{Rule: r.Name, When: r.When, Subject: subj, Count: count, Threshold: r.Threshold, Window: r.Window, Time: now}
		switch {
		case over && !s.firing:
			s.firing = true
			fired = append(fired, f)
		case !over && s.firing:
			s.firing, f.Resolved = false, true
			fired = append(fired, f)
		}
	}
	e.mu.Unlock()
	for _, f := range fired {
		e.fire(f)
	}
}

// Firing returns how many subjects each rule is firing for.
func (e *Engine) Firing() map[string]int {
	out := map[string]int{}
	if e == nil {
		return out
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.rules {
		out[r.Name] += 0
	}
	for k, s := range e.state {
		if s.firing {
			out[e.rules[k.rule].Name]++
		}
	}
	return out
}

// ring counts events in consecutive slots of width; it keeps the last
// len(slots) of them.
type ring struct {
	width time.Duration
	slots []int
	last  int64 // the slot number of the newest slot
}

func newRing(width time.Duration, n int) ring {
	return ring{width: max(width, time.Millisecond), slots: make([]int, n)}
}

func (r *ring) slot(t time.Time) int64 { return t.UnixNano() / int64(r.width) }

// advance moves the ring to slot s, clearing the slots it passes.
func (r *ring) advance(s int64) {
	if s <= r.last {
		return
	}
	n := int64(len(r.slots))
	for i := max(r.last+1, s-n+1); i <= s; i++ {
		r.slots[i%n] = 0
	}
	r.last = s
}

func (r *ring) add(t time.Time, n int) {
	s := r.slot(t)
	r.advance(s)
	if s > r.last-int64(len(r.slots)) {
		r.slots[s%int64(len(r.slots))] += n
	}
}

// sum is the count over the ring at t.
func (r *ring) sum(t time.Time) int {
	r.advance(r.slot(t))
	total := 0
	for _, v := range r.slots {
		total += v
	}
	return total
}

// mean is the mean count of the k whole slots before the current one.
func (r *ring) mean(t time.Time, k int) float64 {
	if k <= 0 {
		return 0
	}
	s := r.slot(t)
	r.advance(s)
	n := int64(len(r.slots))
	total := 0
	for i := int64(1); i <= int64(k) && i < n; i++ {
		total += r.slots[(s-i)%n]
	}
	return float64(total) / float64(min(int64(k), n-1))
}

func (r *ring) lastTime() time.Time { return time.Unix(0, r.last*int64(r.width)) }
