package policy

// Match reports whether name matches pattern, where '*' matches any run of
// characters (including '/', so "Qwen/*" and "*" cover namespaced model names)
// and '?' matches exactly one byte. There are no character classes or escapes.
// It runs in O(len(pattern)*len(name)) time in the worst case and never
// allocates.
func Match(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if Match(p, name) {
			return true
		}
	}
	return false
}

// maxCoverStates and maxCoverWork bound the search of Covers. Patterns
// such as "*a??????????" determinize to exponentially many states, and
// long patterns with many distinct bytes make each state costly; past
// either bound Covers gives up and answers false, never a guess of true.
const (
	maxCoverStates = 1 << 14
	maxCoverWork   = 1 << 22 // pattern bytes visited: a few milliseconds
)

// Covers reports whether every name that pattern b matches is matched by
// one of patterns: the language of b is contained in the union of theirs.
// It is sound (true only when no name matches b and none of patterns) and,
// below an internal bound on the work, complete; past the bound it answers
// false, so a caller that refuses on false refuses when unsure. An empty
// list covers nothing.
//
// It decides exactly, by a search of the product of b's automaton with the
// subset automaton of patterns' union, over the bytes the patterns name
// literally plus one byte standing for all others (they behave alike).
func Covers(patterns []string, b string) bool {
	u := newGlobUnion(patterns)
	alphabet := literalBytes(append(patterns[:len(patterns):len(patterns)], b))
	type state struct {
		j int    // position in b
		s string // closed set of positions in the union, as a bitset
	}
	start := state{0, u.closure(u.startSet())}
	seen := map[state]bool{start: true}
	queue := []state{start}
	work := 0
	push := func(st state) bool {
		if !seen[st] {
			if len(seen) >= maxCoverStates {
				return false
			}
			seen[st] = true
			queue = append(queue, st)
		}
		return true
	}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if st.j == len(b) {
			if !u.accepts(st.s) {
				return false // a name matches b and no pattern
			}
			continue
		}
		if b[st.j] == '*' && !push(state{st.j + 1, st.s}) {
			return false
		}
		if work += len(alphabet) * len(u.text); work > maxCoverWork {
			return false
		}
		for _, c := range alphabet {
			next := st.j + 1
			switch {
			case b[st.j] == '*':
				next = st.j
			case b[st.j] != '?' && b[st.j] != c:
				continue
			}
			if !push(state{next, u.step(st.s, c)}) {
				return false
			}
		}
	}
	return true
}

// CoversAll reports whether Covers(patterns, b) holds for every b in bs.
func CoversAll(patterns, bs []string) bool {
	for _, b := range bs {
		if !Covers(patterns, b) {
			return false
		}
	}
	return true
}

// literalBytes returns the distinct bytes the patterns name literally, then
// one byte that none names (if there is one), standing for all the others.
func literalBytes(patterns []string) []byte {
	var named [256]bool
	var out []byte
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if c := p[i]; c != '*' && c != '?' && !named[c] {
				named[c] = true
				out = append(out, c)
			}
		}
	}
	for c := range 256 {
		if !named[c] {
			return append(out, byte(c))
		}
	}
	return out
}

// globUnion is the position automaton of a union of patterns: position k
// of the concatenation of the patterns, each followed by one separator
// byte, means "matched that pattern up to k"; a separator's position is its
// pattern's accepting one.
type globUnion struct {
	text   string // the patterns, each followed by a separator
	end    []bool // whether position k is a separator
	starts []int  // the first position of each pattern
}

func newGlobUnion(patterns []string) *globUnion {
	u := &globUnion{}
	for _, p := range patterns {
		u.starts = append(u.starts, len(u.text))
		u.text += p + "\x00"
		u.end = append(u.end, make([]bool, len(p))...)
		u.end = append(u.end, true)
	}
	return u
}

// set is a bitset over positions, kept as a string so it can key a map.
type posSet []byte

func (u *globUnion) newSet() posSet { return make(posSet, (len(u.text)+7)/8) }

func (s posSet) has(k int) bool { return s[k/8]&(1<<(k%8)) != 0 }
func (s posSet) add(k int)      { s[k/8] |= 1 << (k % 8) }

func (u *globUnion) isEnd(k int) bool { return u.end[k] }

// startSet returns the set of every pattern's first position.
func (u *globUnion) startSet() posSet {
	s := u.newSet()
	for _, k := range u.starts {
		s.add(k)
	}
	return s
}

// closure adds to s, for each position on a '*', the position after it
// (a star may match nothing), and returns s as a map key.
func (u *globUnion) closure(s posSet) string {
	for k := range len(u.text) {
		if s.has(k) && !u.isEnd(k) && u.text[k] == '*' {
			s.add(k + 1)
		}
	}
	return string(s)
}

// step returns the closed set reached from the closed set key on byte c.
func (u *globUnion) step(key string, c byte) string {
	s, next := posSet(key), u.newSet()
	for k := range len(u.text) {
		if !s.has(k) || u.isEnd(k) {
			continue
		}
		switch p := u.text[k]; {
		case p == '*':
			next.add(k)
		case p == '?' || p == c:
			next.add(k + 1)
		}
	}
	return u.closure(next)
}

// accepts reports whether the closed set key holds an accepting position.
func (u *globUnion) accepts(key string) bool {
	s := posSet(key)
	for k := range len(u.text) {
		if s.has(k) && u.isEnd(k) {
			return true
		}
	}
	return false
}
