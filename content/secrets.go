package content

import "bytes"

// Secret rules, after the gitleaks rule set's ideas (cloud keys, tokens,
// private keys, JWTs, connection strings, assignments of credentials): each
// has a keyword that the automaton finds in one pass, and a matcher that
// checks the exact shape around it. Written by hand rather than as regular
// expressions so that a text without keywords costs one table walk.
type secretRule struct {
	id       string
	keywords []string
	match    func(text []byte, kw int, keyword string) (start, end int, ok bool)
}

var secretRules = []secretRule{
	{"aws-access-key-id", []string{"AKIA", "ASIA", "ABIA", "ACCA"}, token(upperDigit, 16, 16)},
	{"aws-secret-access-key", []string{"aws_secret_access_key", "aws_secret_key", "secret_access_key"}, assigned(base64Std, 40, 40)},
	{"github-token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, token(alnum, 36, 36)},
	{"github-fine-grained-token", []string{"github_pat_"}, token(word, 82, 82)},
	{"gitlab-token", []string{"glpat-"}, token(urlSafe, 20, 64)},
	{"slack-token", []string{"xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-"}, token(alnumDash, 10, 255)},
	{"slack-webhook", []string{"hooks.slack.com/services/"}, slackWebhook},
	{"openai-api-key", []string{"sk-"}, token(urlSafe, 20, 255)}, // also sk-proj-, sk-ant- (Anthropic)
	{"stripe-secret-key", []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, token(alnum, 16, 255)},
	{"google-api-key", []string{"AIza"}, token(urlSafe, 35, 35)},
	{"google-oauth-token", []string{"ya29."}, token(urlSafe, 20, 2048)},
	{"npm-token", []string{"npm_"}, token(alnum, 36, 36)},
	{"pypi-token", []string{"pypi-AgEIcHlwaS5vcmc"}, token(urlSafe, 50, 2048)},
	{"sendgrid-api-key", []string{"SG."}, sendgrid},
	{"huggingface-token", []string{"hf_"}, token(alnum, 34, 40)},
	{"azure-storage-key", []string{"AccountKey="}, accountKey},
	{"warden-api-key", []string{"wdn_"}, token(word, 20, 128)},
	{"jwt", []string{"eyJ"}, jwt},
	{"private-key", []string{"-----BEGIN "}, privateKey},
	{"credential-url", []string{"://"}, credentialURL},
	{genericRule, []string{"password", "passwd", "pwd", "secret", "api_key", "apikey", "api-key", "access_token", "auth_token", "client_secret", "private_key", "token", "passphrase"}, assigned(credentialByte, 8, 200)},
}

var (
	secretAutomaton *automaton
	secretOf        []struct {
		rule    *secretRule
		keyword string
	}
)

func init() {
	var pats [][]byte
	for i := range secretRules {
		for _, k := range secretRules[i].keywords {
			pats = append(pats, []byte(k))
			secretOf = append(secretOf, struct {
				rule    *secretRule
				keyword string
			}{&secretRules[i], k})
		}
	}
	secretAutomaton = newAutomaton(pats)
}

// findSecrets appends the secrets in text to dst. A specific rule wins
// over the generic one ("aws_secret_access_key = ..." is an AWS key, not
// just some secret).
func findSecrets(text []byte, dst []Finding) []Finding {
	base := len(dst)
	var generic []Finding
	next := 0 // no finding may start before the end of the last one
	secretAutomaton.each(text, func(p, at int) bool {
		if at < next {
			return true
		}
		r := secretOf[p]
		if s, e, ok := r.rule.match(text, at, r.keyword); ok {
			f := Finding{Start: s, End: e, Kind: KindPII, Entity: Secret, Rule: r.rule.id}
			if r.rule.id == genericRule {
				generic = append(generic, f)
				return true
			}
			dst = append(dst, f)
			next = e
		}
		return true
	})
	for _, g := range generic {
		overlaps := false
		for _, f := range dst[base:] {
			if g.Start < f.End && f.Start < g.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			dst = append(dst, g)
		}
	}
	return dst
}

const genericRule = "generic-credential"

func upperDigit(c byte) bool { return isUpper(c) || isDigit(c) }
func alnum(c byte) bool      { return isAlnum(c) }
func word(c byte) bool       { return isAlnum(c) || c == '_' }
func alnumDash(c byte) bool  { return isAlnum(c) || c == '-' }
func urlSafe(c byte) bool    { return isAlnum(c) || c == '_' || c == '-' }
func base64Std(c byte) bool  { return isAlnum(c) || c == '+' || c == '/' || c == '=' }
func credentialByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != ',' && c != ';' && c != '<' && c != '>'
}

// span returns the end of the run of bytes in set starting at i, at most
// max long.
func span(text []byte, i int, set func(byte) bool, max int) int {
	e := i
	for e < len(text) && e-i < max && set(text[e]) {
		e++
	}
	return e
}

// token matches keyword (exact case) at a token start, followed by min to
// max bytes of set and a boundary.
func token(set func(byte) bool, min, max int) func([]byte, int, string) (int, int, bool) {
	return func(text []byte, kw int, keyword string) (int, int, bool) {
		if !bytes.HasPrefix(text[kw:], []byte(keyword)) || wordBefore(text, kw) && keyword[0] != '-' {
			return 0, 0, false
		}
		s := kw + len(keyword)
		e := span(text, s, set, max+1)
		if e-s < min || e-s > max || e < len(text) && set(text[e]) {
			return 0, 0, false
		}
		return kw, e, true
	}
}

// assigned matches a value assigned to a credential's name: the name (with
// any prefix or suffix, as in DB_PASSWORD or "api_key"), optional quotes,
// ':' or '=' (or '=>'), optional quotes, then min to max bytes of set. The
// finding is the value, not the name. Values that read as a reference or a
// placeholder (${X}, <password>, %s, ***) or as plain words are left.
func assigned(set func(byte) bool, min, max int) func([]byte, int, string) (int, int, bool) {
	return func(text []byte, kw int, _ string) (int, int, bool) {
		i := kw
		for i < len(text) && (isAlnum(text[i]) || text[i] == '_' || text[i] == '-') {
			i++
		}
		i = skipQuoteSpace(text, i)
		if i >= len(text) || text[i] != ':' && text[i] != '=' {
			return 0, 0, false
		}
		i++
		if i < len(text) && text[i] == '>' {
			i++
		}
		i = skipQuoteSpace(text, i)
		e := span(text, i, set, max+1)
		if e-i < min || e-i > max {
			return 0, 0, false
		}
		v := text[i:e]
		switch v[0] {
		case '$', '<', '{', '%', '*', '[', '(':
			return 0, 0, false
		}
		letters, others := 0, 0
		for _, c := range v {
			if isAlpha(c) {
				letters++
			} else {
				others++
			}
		}
		if others == 0 || letters == 0 && len(v) < 12 {
			return 0, 0, false // a word ("required"), or a short number
		}
		return i, e, true
	}
}

func skipQuoteSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '"' || text[i] == '\'' || text[i] == '`') {
		i++
	}
	return i
}

func slackWebhook(text []byte, kw int, keyword string) (int, int, bool) {
	s := kw
	if p := []byte("https://"); kw >= len(p) && bytes.Equal(text[kw-len(p):kw], p) {
		s = kw - len(p)
	}
	e := span(text, kw+len(keyword), func(c byte) bool { return isAlnum(c) || c == '/' || c == '_' }, 128)
	if e-(kw+len(keyword)) < 20 {
		return 0, 0, false
	}
	return s, e, true
}

func sendgrid(text []byte, kw int, keyword string) (int, int, bool) {
	if !bytes.HasPrefix(text[kw:], []byte(keyword)) {
		return 0, 0, false
	}
	a := kw + len(keyword)
	b := span(text, a, urlSafe, 23)
	if b-a != 22 || b >= len(text) || text[b] != '.' {
		return 0, 0, false
	}
	c := span(text, b+1, urlSafe, 44)
	if c-(b+1) != 43 {
		return 0, 0, false
	}
	return kw, c, true
}

func accountKey(text []byte, kw int, keyword string) (int, int, bool) {
	s := kw + len(keyword)
	e := span(text, s, base64Std, 89)
	if e-s < 86 || e-s > 88 {
		return 0, 0, false
	}
	return s, e, true
}

// jwt matches header.payload.signature, both first parts JSON objects
// ("eyJ" is base64url of `{"`); the signature may be empty (alg none).
func jwt(text []byte, kw int, _ string) (int, int, bool) {
	// At a token start only: a run of base64url characters is scanned once,
	// from its start, not again from every "eyJ" inside it.
	if !bytes.HasPrefix(text[kw:], []byte("eyJ")) || kw > 0 && urlSafe(text[kw-1]) || wordBefore(text, kw) {
		return 0, 0, false
	}
	a := span(text, kw, urlSafe, 4096)
	if a-kw < 10 || a+4 >= len(text) || text[a] != '.' || !bytes.HasPrefix(text[a+1:], []byte("eyJ")) {
		return 0, 0, false
	}
	b := span(text, a+1, urlSafe, 8192)
	if b-(a+1) < 10 || b >= len(text) || text[b] != '.' {
		return 0, 0, false
	}
	c := span(text, b+1, urlSafe, 4096)
	return kw, c, true
}

// privateKey matches a PEM private key block, or an armored OpenPGP
// private key block: from its BEGIN line to its
// END line, or to the end of the text if it was cut. The BEGIN line is
// read within its first 64 bytes, ended by a newline or by a literal \n
// (a key inside JSON text).
func privateKey(text []byte, kw int, _ string) (int, int, bool) {
	head := text[kw:min(len(text), kw+64)]
	marker := []byte("PRIVATE KEY-----")
	h := bytes.Index(head, marker)
	if h < 0 {
		marker = []byte("PRIVATE KEY BLOCK-----") // OpenPGP (RFC 4880 armor)
		if h = bytes.Index(head, marker); h < 0 {
			return 0, 0, false
		}
	}
	rest := text[kw+h+len(marker):]
	end := bytes.Index(rest, []byte("-----END "))
	if end < 0 {
		return kw, len(text), true
	}
	e := len(text) - len(rest) + end + len("-----END ")
	if k := bytes.Index(text[e:min(len(text), e+64)], []byte("-----")); k >= 0 {
		e += k + len("-----")
	}
	return kw, e, true
}

// credentialURL matches a URL with a password in it:
// scheme://user:password@host...
func credentialURL(text []byte, kw int, _ string) (int, int, bool) {
	s := kw
	for s > 0 && kw-s < 32 && (isAlnum(text[s-1]) || text[s-1] == '+' || text[s-1] == '.' || text[s-1] == '-') {
		s--
	}
	if s == kw || !isAlpha(text[s]) {
		return 0, 0, false
	}
	i := kw + 3
	user := span(text, i, func(c byte) bool { return c != ':' && c != '@' && c != '/' && c > ' ' && c != '"' && c != '\'' }, 256)
	if user >= len(text) || text[user] != ':' {
		return 0, 0, false
	}
	pass := span(text, user+1, func(c byte) bool { return c != '@' && c != '/' && c > ' ' && c != '"' && c != '\'' }, 256)
	if pass == user+1 || pass >= len(text) || text[pass] != '@' {
		return 0, 0, false
	}
	e := span(text, pass+1, func(c byte) bool {
		return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '`' && c != '<' && c != '>' && c != ')'
	}, 2048)
	for e > pass+1 && (text[e-1] == '.' || text[e-1] == ',') {
		e--
	}
	return s, e, true
}
