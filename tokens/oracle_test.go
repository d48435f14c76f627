package tokens

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer/codec"
)

// The tokenizer module's codec is the oracle: its split pattern run by
// regexp2, then its byte-pair merges. Only the tests call it.
var oracle = sync.OnceValue(codec.NewO200kBase)

func oracleCount(t testing.TB, s string) int {
	t.Helper()
	n, err := oracle().Count(s)
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return n
}

// corpus is text of every kind the split pattern treats apart.
var corpus = []string{
	// English prose, contractions in every case.
	"The quick brown fox jumps over the lazy dog. It's 3:45 p.m. and we're late; they'll wait, won't they?",
	"I'M SURE THEY'LL SAY IT'S FINE, BUT WE'VE SEEN WHAT'D HAPPEN. Don'T, CAN'T, We'Re, you'Ve, SHE'D, i'M, it'ſ, IT'S.",
	"'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'x 'l 'r 'v ' '' ''s a's A'S 1's .'s 'ſ",
	"rock'n'roll o'clock y'all 'tis ma'am Hawai'i L'Oréal l'été DʼArtagnan don’t (curly) can't've",
	"Mr. O'Neil's co-worker e-mailed: \"Re: Q3 numbers (see attached).\" — OK? #hashtag @user $100 50% ~approx~",
	// Code and JSON.
	"func (v *vocab) rank(s string) (uint32, bool) {\n\tif len(s) > maxTokenLen {\n\t\treturn 0, false\n\t}\n}\n",
	"def f(x):\r\n    return [i**2 for i in range(x) if i % 3 == 0]  # squares\r\n\r\n\r\nclass A(B): pass\n",
	"const xs = await fetch('/api/v1/users?id=42&sort=desc'); // TODO: handle 404\n/* block */ x=>x*2;;;\n",
	`{"model":"gpt-4o","messages":[{"role":"user","content":"Hello, world"}],"max_tokens":256,"temperature":0.7,"n":null}`,
	`[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`,
	"<html><body><div class=\"a\">Text&nbsp;here</div></body></html>\n\n<!-- c -->\n  <br/>//\n///\r\n",
	"SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.uid = u.id WHERE o.ts >= '2024-01-01' GROUP BY 1;",
	"https://example.com/a/b/c?q=1#frag mailto:a.b@c.org C:\\Windows\\System32 ../../etc/passwd ~/x/y/ /\n/\n\n",
	// Numbers.
	"0 1 12 123 1234 12345 123456 1234567 3.14159 -42 +7 1e10 0x1F 1,000,000 ٠١٢٣٤٥٦٧٨٩ १२३ ½ ² ³ ⅓ Ⅻ ⑳ 𝟙𝟚𝟛",
	"2024-12-07T22:55:00Z 192.168.0.1 +1 (555) 010-9999 4111 1111 1111 1111 IBAN DE89 3704 0044 0532 0130 00",
	// Scripts: CJK, Korean, Arabic, Hebrew, Devanagari, Thai, Cyrillic, Greek.
	"我们今天去公园散步，天气很好。東京は晴れです。カタカナとひらがな、漢字。한국어 문장입니다. 々〆ヽヾ",
	"مرحبا بالعالم، كيف حالك؟ هذا نص عربي مع تشكيل: مُحَمَّد. ١٢٣ שלום עולם! עִבְרִית",
	"हिन्दी में लिखा गया वाक्य। क्षत्रिय ज्ञान ภาษาไทยไม่มีช่องว่าง Привет, мир! Ελληνικά ΚΕΦΑΛΑΙΑ ǅemal ǈ ǋ",
	// Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
	"I ❤️ Go 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇳🇴🇩🇪 1️⃣ #️⃣ ✔︎ ☕ 🤖🤖🤖 😀😃😄😁 🫠 x🙂y",
	// Marks: combining, standalone, after spaces, digits and symbols.
	"e\u0301 n\u0303 A\u030a \u0301 \u0301\u0301abc \u0300ABC 1\u0301 !\u0301 \u20dd \u0301A \u0301' \u0301's \u0301'S",
	"\u0301", "\u0301a", "\u0301A", "a\u0301", "A\u0301", " \u0301", "\t\u0301B", "\u0301\u0302\u0303", "Z\u0301\u0302b",
	"ABC\u0301DEF ghi\u0301JKL \u02b0\u02b0ABC ʰA Aʰ AʰB ʰ ǅ ǅa Aǅ 々A A々 A々b",
	// Whitespace of every kind.
	"a\tb\vc\fd\re\nf\u0085g\u00a0h\u2028i\u2029j\u3000k\u200bl\u180em\ufeffn",
	"  \n  \n\t\t\r\n   x   \r\r\n\n y \u3000\u3000z \u00a0 \n\u00a0\n",
	"   ", " ", "\n", "\r\n", "\n\n\n", " \n", "\n ", " \n ", "a ", "a  ", "a   b", "a \n b", "a\n\n  b", "\t \t x",
	"end with spaces    ", "  lead", " \t\n\r\v\f", "x \u3000y", "x\u3000\u3000y", "word\r\n\r\n  next",
	// Symbols and slashes.
	"!!! ??? ... --- === *** /// \\\\\\ ||| &&& %%% $$$ ### @@@ ^^^ ~~~ ``` ''' \"\"\" ,,, ;;; :::",
	"a/\nb /\r\n/ / / // x// \n/\n/ ./ ../ ~/ ?/ :/\n\n",
	"€100 £5 ¥20 ©2024 ®™ ° § ¶ † ‡ • … ‰ ′ ″ ← → ↑ ↓ ∀ ∃ ∈ ∑ √ ∞ ≠ ≤ ≥",
	// Invalid UTF-8: stray, truncated, overlong, surrogate halves.
	"\xff", "a\xffb", "\xff\xfe", "ab\xc3", "\xe2\x82", "\xe2\x82x", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
	"hello \xffworld \x80\x80\x80 é\xa9 \xf0\x9f\x98 end", "\xef\xbf\xbd real U+FFFD \ufffd\ufffd", "'\xff's \xff's",
	// DEL, which the module's matcher skips (split.go), and other controls.
	"a\x7fb", "\x7f", " \x7f", "  \x7f", "!!\x7f!!", "\x7f's", "'\x7fs", "\n\x7f\n", "\x00\x01\x1b[31mred\x1b[0m\x1c\x1f",
	// Newlines inside whitespace runs, where the matcher ends at the first.
	"\n\n  \n", " \n \n ", "\r\n\r\n \r\n\t\n x", "\u3000\n\u3000\r\n\u00a0", "a \n\n \n\n b",
	// Long runs.
	strings.Repeat("a", 1000), strings.Repeat("A", 700), strings.Repeat("!", 500), strings.Repeat("1", 400),
	strings.Repeat(" ", 300) + "x", strings.Repeat(" \n", 200), strings.Repeat("ab", 300), strings.Repeat("é", 200),
	strings.Repeat("\u0301", 150), strings.Repeat("我", 300), strings.Repeat("🤖", 100), strings.Repeat("-=", 250),
	strings.Repeat("The cat sat. ", 60), strings.Repeat("\t", 100) + "y", strings.Repeat("Ab", 200),
	strings.Repeat("0123456789", 50), strings.Repeat("a1", 200), strings.Repeat("\xff", 100),
	"supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
	"aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCB0ZXh0IHdpdGggbm8gc3BhY2VzIGF0IGFsbA== 3q2+7w== /9j/4AAQSkZJRgABAQ",
	"",
}

// alphabet is what random strings are made of: one of each class and the
// borders between them.
var alphabet = []string{
	"a", "z", "A", "Z", "e", "s", "S", "t", "T", "r", "R", "e", "E", "v", "V", "m", "M", "l", "L", "d", "D",
	"'", "'s", "'LL", "'ve", "'ſ", "ſ", "\u2019",
	"0", "7", "٣", "½", "Ⅻ",
	" ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u00a0", "\u3000", "\u2028", "\u0085",
	".", ",", "!", "?", "/", "-", "_", "(", ")", "\"", "{", "}", ":", "#", "$", "€", "©",
	"\u0301", "\u0308", "\u20dd", "\u0903", // Mn, Mn, Me, Mc
	"ʰ", "々", "ǅ", "ß", "é", "É", "我", "の", "ア", "한", "م", "ש", "क", "ि", "ก", "Ж", "ж", "Ω", "ω",
	"😀", "👍🏽", "\u200d", "\ufe0f", "🇳", "\U0001d400", "\U0001d41a", // 𝐀 (Lu) and 𝐚 (Ll), astral
	"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\ufffd",
	"\x7f", "\x00", "\x1f", "\x1c",
}

func randomString(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestCountMatchesCodec: the count is the module's, exactly, on the corpus
// (each string alone and all of it joined) and on random strings.
func TestCountMatchesCodec(t *testing.T) {
	v := o200k()
	check := func(s string) {
		t.Helper()
		if got, want := v.count(s), oracleCount(t, s); got != want {
			t.Errorf("count(%q) = %d, codec %d", s, got, want)
		}
	}
	for _, s := range corpus {
		check(s)
	}
	check(strings.Join(corpus, ""))
	check(strings.Join(corpus, " "))
	check(strings.Join(corpus, "\n"))
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		check(randomString(r, 1+r.IntN(24)))
	}
	for range n / 100 {
		check(randomString(r, 200+r.IntN(400)))
	}
}

// TestCountLongPieces: pieces past scanMax are merged by mergeHeap, the
// same as the module's merges.
func TestCountLongPieces(t *testing.T) {
	v := o200k()
	r := rand.New(rand.NewPCG(3, 4))
	letters := []string{"a", "b", "e", "i", "n", "o", "r", "s", "t", "é", "ß", "\u0301"}
	for range 300 {
		var b strings.Builder
		for m := scanMax - 8 + r.IntN(300); b.Len() < m; {
			b.WriteString(letters[r.IntN(len(letters))])
		}
		s := b.String()
		if got, want := v.count(s), oracleCount(t, s); got != want {
			t.Errorf("count(%q) = %d, codec %d", s, got, want)
		}
	}
}

// TestVocab: the table holds every o200k_base token at its rank.
func TestVocab(t *testing.T) {
	v := o200k()
	ids := 0
	for id := uint(0); ; id++ {
		tok, err := oracle().Decode([]uint{id})
		if err != nil {
			break
		}
		if r, ok := v.rank(tok); !ok || r != uint32(id) {
			t.Fatalf("rank(%q) = %d, %v; want %d", tok, r, ok, id)
		}
		ids++
	}
	if ids != 199998 {
		t.Errorf("%d tokens, want o200k_base's 199998", ids)
	}
	for b := range 256 {
		if _, ok := v.rank(string([]byte{byte(b)})); !ok {
			t.Errorf("byte %#x is no token", b)
		}
	}
	if _, ok := v.rank("no such token, surely"); ok {
		t.Error("a long phrase is a token")
	}
}

// TestCountAllocs: counting allocates nothing, but for a piece with
// invalid UTF-8.
func TestCountAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	v := o200k()
	s := strings.Join(corpus[:20], " ") + strings.Repeat("xy", 200)
	if !utf8.ValidString(s) {
		t.Fatal("corpus head has invalid UTF-8")
	}
	if n := testing.AllocsPerRun(20, func() { v.count(s) }); n != 0 {
		t.Errorf("count allocates %v times", n)
	}
}

// FuzzCount: the count is the module's on any string.
func FuzzCount(f *testing.F) {
	for _, s := range corpus {
		if len(s) < 600 {
			f.Add(s)
		}
	}
	v := o200k()
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2048 { // the oracle is quadratic on some whitespace
			s = s[:2048]
		}
		if got, want := v.count(s), oracleCount(t, s); got != want {
			t.Fatalf("count(%q) = %d, codec %d", s, got, want)
		}
	})
}

// FuzzUnquote: unquote reads a JSON string token as json.Unmarshal does.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"hello"`, `"a\nb"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud800"`, `"\u12"`, `"\u12g4"`, `"\'"`, `"\x"`,
		`"\"\\\/\b\f\n\r\t"`, `"\u0000\uFFFF\uabCD"`, "\"é\\n\xc3\"", "\"\xc3\\n\"", "\"\xff\"", `""`, `"`, `"a"b"`, "\"\x01\"", ` "x"`, `"\"`, `42`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := unquote(raw)
		var want string
		wantErr := json.Unmarshal(raw, &want)
		if (err == nil) != (wantErr == nil) || got != want {
			t.Fatalf("unquote(%q) = %q, %v; json.Unmarshal: %q, %v", raw, got, err, want, wantErr)
		}
	})
}

// segmentSlow is segment without its skipping ahead.
func segmentSlow(s string) int {
	run := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !unicode.IsSpace(r) {
			run = 0
			continue
		}
		if run += size; run >= maxSpaceRun {
			return i
		}
	}
	return len(s)
}

// FuzzSegment: segment cuts where a rune-by-rune scan does.
func FuzzSegment(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Add(strings.Repeat("x", 63) + strings.Repeat(" ", 64))
	f.Add(strings.Repeat(" ", 63) + "x" + strings.Repeat("\u3000", 30))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := segment(s), segmentSlow(s); got != want {
			t.Fatalf("segment(%q) = %d, want %d", s, got, want)
		}
	})
}

// FuzzObjectMembers: on any object encoding/json reads, objectMembers
// yields its members as encoding/json decodes them (the last of a repeated
// name wins).
func FuzzObjectMembers(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"Hi"}]}`,
		` { "a" : 1 , "b":[1,{"c":"}"}], "a":"x\"y", "\u0073uffix":null, "":{}} `,
		`{"x":true,"y":false,"z":-1.5e3,"w":"\\","v":"é"}`, `{}`, `[]`, `"s"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(body, &want) != nil || want == nil {
			return
		}
		got := map[string]json.RawMessage{}
		for key, value := range objectMembers(body) {
			name, err := unquote(key)
			if err != nil {
				t.Fatalf("name %q: %v", key, err)
			}
			got[name] = value
		}
		if len(got) != len(want) {
			t.Fatalf("objectMembers(%q) = %q, want %q", body, got, want)
		}
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Fatalf("objectMembers(%q)[%q] = %q, want %q", body, k, got[k], v)
			}
		}
	})
}
