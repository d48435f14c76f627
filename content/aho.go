package content

// automaton is an Aho-Corasick automaton over ASCII-case-folded bytes: one
// pass over a text finds every occurrence of every pattern, however many
// patterns there are (deny-list phrases, secret-rule keywords). Patterns
// and text are compared with ASCII letters folded to lower case; other
// bytes (UTF-8 included) compare exactly.
type automaton struct {
	// next[state*256+b] is the state after reading b: the goto function
	// with failure links folded in (a DFA), so matching is one table load
	// per byte.
	next []int32
	// out[state] lists the patterns that end at state (through failure
	// links too), as indexes into lens.
	out  [][]int32
	lens []int
}

func fold(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// newAutomaton builds the automaton of patterns (empty ones never match).
func newAutomaton(patterns [][]byte) *automaton {
	a := &automaton{next: make([]int32, 256), out: [][]int32{nil}, lens: make([]int, len(patterns))}
	// The trie, with -1 for "no edge" until the DFA is completed.
	for i := range a.next {
		a.next[i] = -1
	}
	for p, pat := range patterns {
		a.lens[p] = len(pat)
		if len(pat) == 0 {
			continue
		}
		s := int32(0)
		for _, c := range pat {
			c = fold(c)
			n := a.next[int(s)*256+int(c)]
			if n < 0 {
				n = int32(len(a.out))
				a.out = append(a.out, nil)
				for range 256 {
					a.next = append(a.next, -1)
				}
				a.next[int(s)*256+int(c)] = n
			}
			s = n
		}
		a.out[s] = append(a.out[s], int32(p))
	}
	// Breadth first: fail links, inherited outputs, and missing edges
	// pointed along the fail link.
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for c := range 256 {
		if n := a.next[c]; n > 0 {
			fail[n] = 0
			queue = append(queue, n)
		} else {
			a.next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(a.out[s], a.out[fail[s]]...)
		for c := range 256 {
			i := int(s)*256 + c
			if n := a.next[i]; n >= 0 {
				fail[n] = a.next[int(fail[s])*256+c]
				queue = append(queue, n)
			} else {
				a.next[i] = a.next[int(fail[s])*256+c]
			}
		}
	}
	return a
}

// each calls f(pattern, start) for every occurrence in text, in order of
// their ends; f returns false to stop.
func (a *automaton) each(text []byte, f func(pattern, start int) bool) {
	if a == nil || len(a.lens) == 0 {
		return
	}
	s := int32(0)
	next, out := a.next, a.out
	for i := 0; i < len(text); i++ {
		c := text[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		s = next[int(s)<<8|int(c)]
		if s == 0 {
			continue
		}
		for _, p := range out[s] {
			if !f(int(p), i+1-a.lens[p]) {
				return
			}
		}
	}
}

// isSpace: the whitespace a phrase may be written with.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// collapseSpace writes a phrase as eachSpaced reads text: each run of
// whitespace as one space, none at the ends.
func collapseSpace(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if isSpace(c) {
			if len(out) > 0 && out[len(out)-1] != ' ' {
				out = append(out, ' ')
			}
			continue
		}
		out = append(out, c)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return out
}

// eachSpaced is each for patterns written with collapseSpace: a run of
// whitespace in text ("dump  the\nweights") reads as one space. f gets
// each occurrence's start and end in text.
func (a *automaton) eachSpaced(text []byte, f func(pattern, start, end int) bool) {
	if a == nil || len(a.lens) == 0 {
		return
	}
	longest := 0
	for _, l := range a.lens {
		longest = max(longest, l)
	}
	var small [64]int
	pos := small[:]
	if longest > len(pos) {
		pos = make([]int, longest)
	}
	// pos[fed % longest] is where the fed-th byte read sits in text.
	s := int32(0)
	fed := 0
	next, out := a.next, a.out
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case isSpace(c):
			if i > 0 && isSpace(text[i-1]) {
				continue
			}
			c = ' '
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		pos[fed%longest] = i
		fed++
		s = next[int(s)<<8|int(c)]
		if s == 0 {
			continue
		}
		for _, p := range out[s] {
			if !f(int(p), pos[(fed-a.lens[p])%longest], i+1) {
				return
			}
		}
	}
}
