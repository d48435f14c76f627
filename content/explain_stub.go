package content

// TODO(issue 16): a stand-in until the classifier's ExplainInjection
// lands (injection.go); the lead deletes this file at merge.

// InjectionFeature is one feature of a text and what it weighed in the
// injection score.
type InjectionFeature struct {
	Feature string
	Weight  float64
}

// ExplainInjection returns the n features that weighed most in text's
// injection score, strongest first (here: the scorer's signals).
func ExplainInjection(text []byte, n int) []InjectionFeature {
	_, signals := ScoreInjection(text)
	out := make([]InjectionFeature, 0, len(signals))
	for _, s := range signals {
		out = append(out, InjectionFeature{Feature: s.Name, Weight: s.Score})
	}
	for i := 1; i < len(out); i++ { // strongest first
		for j := i; j > 0 && out[j].Weight > out[j-1].Weight; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
