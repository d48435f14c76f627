package pipeline

import (
	"bytes"
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// foldedDuplicates reports whether any object in the (valid) JSON body has
// two keys that are equal under Unicode case folding ("content" and
// "Content", "stream" and "ſtream"). Go's encoding/json matches keys that
// way and keeps the last, while Python servers (vLLM) read the exact key:
// such a body means one thing to Warden's policy and token estimate and
// another to the model server, so it is refused. One pass over the body;
// objects of more than 16 keys use a map.
func foldedDuplicates(b []byte) bool {
	_, dup := scanValue(b, skipSpace(b, 0))
	return dup
}

// scanValue checks the value at b[i] and returns the index just past it.
func scanValue(b []byte, i int) (int, bool) {
	switch b[i] {
	case '{':
		var keys [16][]byte
		var many map[string]bool
		n := 0
		j := skipSpace(b, i+1)
		for b[j] != '}' {
			if b[j] == ',' {
				j = skipSpace(b, j+1)
			}
			ks := j
			j = skipString(b, j)
			key := unescapeKey(b[ks:j])
			if n < len(keys) {
				for _, k := range keys[:n] {
					if bytes.EqualFold(k, key) {
						return j, true
					}
				}
				keys[n] = key
			} else {
				if many == nil {
					many = make(map[string]bool, 2*n)
					for _, k := range keys {
						many[fold(k)] = true
					}
				}
				f := fold(key)
				if many[f] {
					return j, true
				}
				many[f] = true
			}
			n++
			j = skipSpace(b, skipSpace(b, j)+1) // past ':'
			var dup bool
			if j, dup = scanValue(b, j); dup {
				return j, true
			}
			j = skipSpace(b, j)
		}
		return j + 1, false
	case '[':
		j := skipSpace(b, i+1)
		for b[j] != ']' {
			if b[j] == ',' {
				j = skipSpace(b, j+1)
			}
			var dup bool
			if j, dup = scanValue(b, j); dup {
				return j, true
			}
			j = skipSpace(b, j)
		}
		return j + 1, false
	}
	return skipValue(b, i), false
}

// unescapeKey returns a key's text without quotes, unescaped if need be.
func unescapeKey(q []byte) []byte {
	k := q[1 : len(q)-1]
	if bytes.IndexByte(k, '\\') < 0 {
		return k
	}
	var s string
	json.Unmarshal(q, &s) // valid: checked by the caller
	return []byte(s)
}

// fold maps each rune to the smallest rune of its case-folding orbit, so
// that keys equal under bytes.EqualFold fold to the same string.
func fold(k []byte) string {
	var out []byte
	for len(k) > 0 {
		r, n := utf8.DecodeRune(k)
		k = k[n:]
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		out = utf8.AppendRune(out, min)
	}
	return string(out)
}
