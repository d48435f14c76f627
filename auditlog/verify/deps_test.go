package verify_test

import (
	"go/build"
	"os/exec"
	"strings"
	"testing"
)

// allowedImports are the only non-standard packages the verifier's own
// (non-test) code may import, so that an auditor can vendor it alone.
var allowedImports = map[string]bool{
	"golang.org/x/mod/sumdb/note": true,
	"golang.org/x/mod/sumdb/tlog": true,
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestImports(t *testing.T) {
	p, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports { // not TestImports or XTestImports
		if !isStd(imp) && !allowedImports[imp] {
			t.Errorf("verify imports %s; only the standard library and %v are allowed", imp, allowedImports)
		}
	}

	// And transitively: nothing outside golang.org/x/mod's note and tlog
	// (which themselves import only the standard library).
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to list transitive dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/wardenhq/warden/auditlog/verify" && !allowedImports[dep] {
			t.Errorf("verify depends on %s", dep)
		}
	}
}
