package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30d", want: 30 * 24 * time.Hour},
		{in: "7d12h", want: 7*24*time.Hour + 12*time.Hour},
		{in: "1d30m15s", want: 24*time.Hour + 30*time.Minute + 15*time.Second},
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "0d", want: 0},
		{in: " 2h ", want: 2 * time.Hour},
		{in: "65535d", want: 65535 * 24 * time.Hour},
		{in: "d", bad: true},
		{in: "-1d", bad: true},
		{in: "+1d", bad: true},
		{in: "5x", bad: true},
		{in: "1d-5m", bad: true},
		{in: "-5m", bad: true},
		{in: "", bad: true},
		{in: "5", bad: true},
		{in: "1.5d", bad: true},
		{in: "1h2d", bad: true},
		{in: "1d1d", bad: true},
		{in: "1d ", want: 24 * time.Hour},
		{in: "1d 5m", bad: true},
		{in: "65536d", bad: true},
		{in: "65535d2562047h", bad: true}, // past time.Duration's range
		{in: "3000000h", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, got)
		case !tt.bad && err != nil:
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
		case !tt.bad && got != tt.want:
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		case tt.bad && !strings.Contains(err.Error(), "invalid duration"):
			t.Errorf("ParseDuration(%q) error = %q, want it to say invalid duration", tt.in, err)
		}
	}
}

func TestDurationD(t *testing.T) {
	if got := Duration(0).D(time.Minute); got != time.Minute {
		t.Errorf("Duration(0).D(1m) = %v, want the default", got)
	}
	if got := Duration(5 * time.Second).D(time.Minute); got != 5*time.Second {
		t.Errorf("Duration(5s).D(1m) = %v, want 5s", got)
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		A, B, C Duration
	}
	if err := yaml.Unmarshal([]byte("a: 30d\nb: 7d12h\nc: 90s\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != Duration(720*time.Hour) || v.B != Duration(180*time.Hour) || v.C != Duration(90*time.Second) {
		t.Errorf("decoded %v", v)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ A, B, C Duration }
	if err := yaml.Unmarshal(out, &back); err != nil || back != v {
		t.Errorf("round trip through %q = %v, %v", out, back, err)
	}
}

func TestSecretInlineRefused(t *testing.T) {
	tr := newTree(t, t.TempDir())
	const value = "sk-live-0123456789abcdef"
	tests := []struct {
		name   string
		apiKey string
		want   []wantProblem
	}{
		{"env", "env:VLLM_API_KEY", nil},
		{"file", "file:/run/secrets/vllm", nil},
		{"none", `""`, nil},
		{"inline", value, []wantProblem{{"models[0].upstream.api_key", "inline secrets are refused; write env:NAME or file:/path"}}},
		{"inline that looks like a reference", "ENV:" + value, []wantProblem{{"models[0].upstream.api_key", "inline secrets are refused"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := minimal + "models:\n  - name: m\n    upstream: {url: \"http://x/v1\", api_key: " + tt.apiKey + "}\n"
			_, err := Parse(tr.fill(text))
			checkProblems(t, problemsOf(t, err), tt.want)
			if err != nil && strings.Contains(err.Error(), value) {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestSecretIsRef(t *testing.T) {
	for s, want := range map[Secret]bool{
		"env:A": true, "file:/a": true, "": false, "sk-123": false, "Env:A": false, "environment:A": false, " env:A": false,
	} {
		if got := s.IsRef(); got != want {
			t.Errorf("Secret(%q).IsRef() = %v, want %v", s, got, want)
		}
	}
}

func TestSecretResolve(t *testing.T) {
	const value = "s3cr3t-VALUE-42"
	dir := t.TempDir()
	present := filepath.Join(dir, "present")
	writeFile(t, present, value+"\r\n")
	spaced := filepath.Join(dir, "spaced")
	writeFile(t, spaced, " "+value+" \n")
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, "")
	newline := filepath.Join(dir, "newline")
	writeFile(t, newline, "\n")
	t.Setenv("WARDEN_TEST_SECRET", value)
	t.Setenv("WARDEN_TEST_EMPTY", "")
	os.Unsetenv("WARDEN_TEST_UNSET")

	tests := []struct {
		ref     Secret
		want    string
		wantErr string
	}{
		{ref: "env:WARDEN_TEST_SECRET", want: value},
		{ref: "env:WARDEN_TEST_UNSET", wantErr: "environment variable WARDEN_TEST_UNSET is not set"},
		{ref: "env:WARDEN_TEST_EMPTY", wantErr: "environment variable WARDEN_TEST_EMPTY is not set"},
		{ref: "env:", wantErr: "is not set"},
		{ref: Secret("file:" + present), want: value},
		{ref: Secret("file:" + spaced), want: " " + value + " "}, // only line endings are trimmed
		{ref: Secret("file:" + filepath.Join(dir, "missing")), wantErr: "no such file"},
		{ref: Secret("file:" + empty), wantErr: "is empty"},
		{ref: Secret("file:" + newline), wantErr: "is empty"},
		{ref: Secret("file:" + dir), wantErr: "read secret file"},
		{ref: "file:", wantErr: "read secret file"},
		{ref: value, wantErr: "not an env: or file: reference"},
	}
	for _, tt := range tests {
		got, err := tt.ref.Resolve()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%q) = %q, %v; want error containing %q", tt.ref, got, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), value) {
				t.Errorf("Resolve(%q) error reveals the secret: %v", tt.ref, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
}
