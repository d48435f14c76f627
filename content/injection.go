package content

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Injection screening scores a prompt for attempts to override the
// model's instructions: each family of signals adds to the score, and a
// score of at least the threshold (default 1) is an injection. No one
// signal that benign prompts use ("ignore", "system", "act as a
// translator") reaches the threshold alone; it takes an override verb
// aimed at earlier instructions, a request for the system prompt, a known
// jailbreak, fake conversation markers, or several weaker signals
// together. English, German, French and Spanish.

// InjectionThreshold is the default score from which a prompt counts as
// an injection.
const InjectionThreshold = 1.0

// InjectionSignal is one family of signals and what it added.
type InjectionSignal struct {
	Name  string
	Score float64
}

// ScoreInjection returns text's score and the signals that made it.
func ScoreInjection(text []byte) (float64, []InjectionSignal) {
	var sc scorer
	sc.run(text, 0)
	return sc.total(), sc.signals
}

type scorer struct {
	signals []InjectionSignal
}

func (sc *scorer) add(name string, v float64) {
	for i := range sc.signals {
		if sc.signals[i].Name == name {
			sc.signals[i].Score = max(sc.signals[i].Score, v)
			return
		}
	}
	sc.signals = append(sc.signals, InjectionSignal{name, v})
}

func (sc *scorer) total() float64 {
	t := 0.0
	for _, s := range sc.signals {
		t += s.Score
	}
	return t
}

// words lowers text and splits it into words (letters and digits) and
// the punctuation between them, which some signals read.
func words(text []byte) []string {
	s := strings.ToLower(string(text))
	var out []string
	start := -1
	for i, r := range s {
		w := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''
		switch {
		case w && start < 0:
			start = i
		case !w && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// prefixIn reports whether w begins with one of the stems.
func prefixIn(w string, stems []string) bool {
	for _, s := range stems {
		if strings.HasPrefix(w, s) {
			return true
		}
	}
	return false
}

var (
	// Verbs that set earlier instructions aside.
	overrideVerbs = []string{"ignor", "forget", "forgot", "disregard", "overrid", "bypass", "abandon", "skip", "drop", "discard", "neglect", "leav",
		"vergiss", "vergessen", "missacht", "überspring", "verwirf", "lass", "lassen", "streich", "abweich",
		"oubli", "ignorez", "olvid", "omit", "descart", "dismiss", "zaboravi", "dimentica", "ignora"}
	// What they are aimed at: earlier, above, all of it.
	overrideRefs = []string{"previous", "prior", "above", "earlier", "preceding", "before", "everything", "anything", "all",
		"vorherig", "bisherig", "obig", "alles", "alle", "zuvor", "davor", "vorher", "oben", "vorangegangen",
		"précédent", "toutes", "tout", "anterior", "todas", "todo", "sve", "tutto", "tutte"}
	quantifiers = []string{"everything", "anything", "all", "alles", "alle", "tout", "toutes", "todo", "todas", "sve", "tutto"}
	temporal    = []string{"before", "above", "previous", "prior", "earlier", "preceding", "davor", "vorher", "zuvor", "bisher", "oben", "obig", "précédent", "anterior"}
	// The instructions themselves.
	overrideObjects = []string{"instruction", "task", "information", "rule", "prompt", "context", "direction", "guideline", "command", "order", "directive", "constraint", "restriction", "said", "told",
		"anweisung", "aufgabe", "information", "regel", "befehl", "vorgabe", "ausführung", "gesagt", "instrukt",
		"consigne", "instruc", "tâche", "tarea", "regla", "indicacion", "istruzion"}
)

func (sc *scorer) run(text []byte, depth int) {
	ws := words(text)
	lower := strings.ToLower(string(text))

	// 1. Override: a verb, then within a few words a reference to what
	// came before (or, in German order, the reference first).
	for i, w := range ws {
		if !prefixIn(w, overrideVerbs) {
			continue
		}
		if (w == "lass" || w == "lassen" || w == "drop" || w == "skip") && !wordsNear(ws, i, 6, overrideObjects) {
			continue // common verbs: only with an object
		}
		ref := wordsAfter(ws, i, 5, overrideRefs) || wordsBefore(ws, i, 5, []string{"obig", "bisherig", "vorherig", "previous", "above"})
		obj := wordsNear(ws, i, 6, overrideObjects)
		switch {
		case ref && obj:
			sc.add("override", 1.0)
		case wordsAfter(ws, i, 3, quantifiers) && wordsAfter(ws, i, 6, temporal):
			sc.add("override", 1.0) // "forget everything before that"
		case ref:
			sc.add("override", 0.6)
		case obj:
			sc.add("override", 0.5)
		}
	}
	if containsAny(lower, "nicht mehr gültig", "no longer apply", "no longer valid", "are irrelevant", "sind irrelevant", "not important any", "nicht mehr wichtig", "nicht ganz großartig", "not so great") {
		sc.add("override", 0.7)
	}

	// 2. A new task: the prompt turns the conversation.
	n := countAny(lower, "new task", "new instruction", "now focus on", "from now on", "now follow", "start over", "start again", "that is enough",
		"neue aufgabe", "neuen aufgabe", "nun folgen", "jetzt kommen", "von vorne", "ab jetzt", "ab sofort",
		"nouvelle tâche", "nueva tarea", "instead, ", "new rules", "your real task", "your actual task", "additional instruction")
	if n > 0 {
		sc.add("new_task", min(0.4*float64(n), 0.8))
	}
	// An interruption ("STOP -", "ACHTUNG - STOPP"), or praise that turns
	// to a new task ("Well done. Now help me with another task"): how a
	// hijacked conversation changes course.
	if containsAny(lower, "stop -", "stop:", "stop!", "stopp", "attention - stop", "achtung - stopp") {
		sc.add("interrupt", 0.6)
	}
	if containsAny(lower, "well done", "fantastic", "excellent performance", "great job", "simply great", "outdone yourself", "that was ok", "that is done", "that is enough",
		"sehr gut", "gut gemacht", "ausgezeichnet", "großartig", "glückwunsch", "das war schon mal ok", "das ist erledigt", "das genügt", "très bien", "muy bien") &&
		containsAny(lower, "now", "nun", "jetzt", "maintenant", "ahora") &&
		containsAny(lower, "task", "aufgabe", "challenge", "herausforderung", "instruction", "anweisung", "write", "schreib", "verfasse", "answer the following", "beantworte") {
		sc.add("interrupt", 0.6)
	}

	// 3. Personas and jailbreaks.
	if containsAny(lower, "do anything now", "developer mode", "jailbreak", "jailbroken", "no restrictions", "without restrictions", "without any restrictions",
		"unfiltered", "uncensored", "no ethical", "no moral", "ohne einschränkung", "ohne filter", "sin restricciones", "sans restriction",
		"ignore your guidelines", "ignore your programming", "evil confidant", "stay in character", "never break character", "do not break character",
		"don't break character", "aus der rolle fall", "nicht aus der rolle", "no programming guidelines", "forked version of chatgpt") || hasWord(ws, "dan") && containsAny(lower, "you are dan", "as dan", "dan mode", "dan:") {
		sc.add("jailbreak", 0.8)
	}
	// A role asked for is common and benign ("act as a travel guide"); a
	// role switched to mid-conversation, or an evil one, less so.
	persona := countAny(lower, "act as", "acting as", "pretend to be", "pretend you", "roleplay", "role-play", "role play", "imagine you are", "you will be",
		"tu so als", "stell dir vor, du bist", "stell dir vor du bist", "fungieren", "agieren als", "agiere als", "verhalte dich wie", "you are the", "be a ", "sei ein",
		"fais comme si", "actúa como", "finge que")
	if persona > 0 {
		sc.add("persona", min(0.35*float64(persona), 0.7))
	}
	if containsAny(lower, "you are now", "now you are", "you're now", "from now on you", "now you act", "du bist jetzt", "du bist nun", "jetzt bist du", "nun bist du",
		"ab jetzt bist du", "sie sind jetzt", "tu es maintenant", "eres ahora", "ahora eres") {
		sc.add("persona", 0.6)
	}
	if persona > 0 && containsAny(lower, "evil", "böse", "malicious", "without morals", "no guidelines", "no programming guidelines", "keine richtlinien", "hacker", "criminal") {
		sc.add("jailbreak", 0.8)
	}

	// 4. Asking for the instructions themselves.
	reveal := containsAny(lower, "system prompt", "your prompt", "prompt text", "prompt_text", "your instructions", "initial instructions", "original instructions",
		"hidden instructions", "your rules", "text above", "everything above", "the above", "previous text", "what was written", "all your prompt",
		"beginning of this prompt", "written above", "start of this conversation", "in the prompt",
		"deine anweisungen", "deinen prompt", "dein prompt", "systemprompt", "den text oben", "obigen text", "tes instructions", "tus instrucciones")
	if reveal {
		if containsAny(lower, "show", "reveal", "print", "repeat", "tell me", "display", "output", "write down", "list", "what is your", "what are your", "spell", "what was written", "what is written",
			"zeig", "gib", "wiederhol", "nenne", "verrate", "schreib", "montre", "affiche", "muestra", "repite") {
			sc.add("reveal", 1.0)
		} else {
			sc.add("reveal", 0.3)
		}
	}

	// 5. Forcing an output.
	if containsAny(lower, "repeat after me", "say that you", "tell me that you", "say exactly", "only answer with", "answer only with", "respond only with",
		"reply with only", "just say", "and say", "sag mir, dass", "sag, dass", "antworte nur mit", "antworte mit", "sagen sie mir", "schreib:", "write:", "print(",
		"dites ce qui suit", "di que", "you hate", "du hasst", "ich hasse", "i hate", "state that", "just output", "do not answer this question", "antworte im stil") {
		sc.add("forced_output", 0.4)
	}

	// 6. Fake conversation turns and delimiters.
	if fakeTurns(lower) {
		sc.add("fake_role", 0.8)
	}

	// 7. Encoded directives: base64, hex or rot13 that decodes to one, or
	// words spelled out letter by letter ("S a y t h a t ...").
	if depth == 0 {
		if spaced(ws) {
			var inner scorer
			inner.run([]byte(strings.Join(ws, "")), 1)
			collapsed := strings.Join(ws, "")
			if inner.total() >= 0.4 || containsAny(collapsed, "ignoreall", "ignoreprevious", "forgeteverything", "systemprompt", "saythat", "sagdass") {
				sc.add("encoded", 1.0)
			}
		}
		if d := decoded(text); d != nil {
			var inner scorer
			inner.run(d, 1)
			if t := inner.total(); t >= 0.6 {
				sc.add("encoded", max(1.0, t))
			}
		}
		var inner scorer
		inner.run(rot13(text), 1)
		for _, s := range inner.signals {
			if (s.Name == "override" || s.Name == "reveal") && s.Score >= 0.8 {
				sc.add("encoded", 1.0)
			}
		}
		if containsAny(lower, "decode this", "decode the following", "base64", "rot13", "rot-13", "in hex") && containsAny(lower, "follow", "execute", "run", "do what", "obey", "befolge", "führe") {
			sc.add("encoded", 0.6)
		}
	}
}

// spaced reports text written letter by letter: most of many words are
// single letters.
func spaced(ws []string) bool {
	if len(ws) < 10 {
		return false
	}
	single := 0
	for _, w := range ws {
		if utf8.RuneCountInString(w) == 1 {
			single++
		}
	}
	return single*10 >= len(ws)*7
}

// fakeTurns finds lines that pose as another party of the conversation or
// as the end of the prompt.
func fakeTurns(lower string) bool {
	if containsAny(lower, "<|im_start|>", "<|im_end|>", "<|system|>", "<|assistant|>", "[inst]", "[/inst]", "<<sys>>", "</s>", "<|endoftext|>",
		"### system", "### instruction", "end of prompt", "end of instructions", "begin new prompt", "ende der anweisung") {
		return true
	}
	for _, line := range strings.Split(lower, "\n") {
		line = strings.TrimLeft(line, " \t#*>-")
		for _, p := range []string{"system:", "assistant:", "human:", "ai:", "developer:", "admin:", "sudo:", "system message:", "system override"} {
			if strings.HasPrefix(line, p) {
				return true
			}
		}
	}
	return false
}

// decoded returns the text of the longest base64 or hex token in text that
// decodes to printable text, or nil.
func decoded(text []byte) []byte {
	var best []byte
	for _, tok := range bytes.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '"' || r == '\'' || r == ',' || r == ':'
	}) {
		if len(tok) < 16 {
			continue
		}
		var d []byte
		if isHexToken(tok) {
			d, _ = hex.DecodeString(string(tok))
		} else if b, err := base64.StdEncoding.DecodeString(string(tok)); err == nil {
			d = b
		} else if b, err := base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(tok, "="))); err == nil {
			d = b
		}
		if len(d) > len(best) && printable(d) {
			best = d
		}
	}
	return best
}

func isHexToken(b []byte) bool {
	if len(b)%2 != 0 {
		return false
	}
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	letters := 0
	for _, r := range string(b) {
		if r < ' ' && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters*2 >= len(b)
}

func rot13(text []byte) []byte {
	out := make([]byte, len(text))
	for i, c := range text {
		switch {
		case 'a' <= c && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		out[i] = c
	}
	return out
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func countAny(s string, subs ...string) int {
	n := 0
	for _, x := range subs {
		if strings.Contains(s, x) {
			n++
		}
	}
	return n
}

func hasWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// wordsNear reports whether a word within k of ws[i] has one of the stems.
func wordsNear(ws []string, i, k int, stems []string) bool {
	return wordsAfter(ws, i, k, stems) || wordsBefore(ws, i, k, stems)
}

func wordsAfter(ws []string, i, k int, stems []string) bool {
	for j := i + 1; j < len(ws) && j <= i+k; j++ {
		if prefixIn(ws[j], stems) {
			return true
		}
	}
	return false
}

func wordsBefore(ws []string, i, k int, stems []string) bool {
	for j := max(0, i-k); j < i; j++ {
		if prefixIn(ws[j], stems) {
			return true
		}
	}
	return false
}
