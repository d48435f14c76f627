package injdata

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadAllHalves: path%even keeps a file's even rows in their own
// split, path%odd its odd rows, held out; weights still apply.
func TestReadAllHalves(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dev.jsonl")
	data := `{"text":"a","injection":true}
{"text":"b","injection":false}
{"text":"c","injection":true}
{"text":"d","injection":false}
{"text":"e","injection":true}
`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	even, err := ReadAll(p + "@3%even")
	if err != nil {
		t.Fatal(err)
	}
	odd, err := ReadAll(p + "%odd")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range even {
		got = append(got, r.Text+":"+r.Split)
		if r.Weight != 3 {
			t.Errorf("%q: weight %v, want 3", r.Text, r.Weight)
		}
	}
	for _, r := range odd {
		got = append(got, r.Text+":"+r.Split)
	}
	want := []string{"a:train", "c:train", "e:train", "b:heldout", "d:heldout"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, bad := range []string{p + "%third", p + "@0"} {
		if _, err := ReadAll(bad); err == nil {
			t.Errorf("ReadAll(%q): no error", bad)
		}
	}
}
