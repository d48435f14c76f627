package wardentest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/kms"
)

// SoftHSMModule is where Debian's softhsm2 package puts the PKCS#11 module.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

var softHSM struct {
	once sync.Once
	cfg  config.PKCS11KMS
	err  error
}

// SoftHSM returns the kms.pkcs11 settings of a SoftHSM2 token made for
// this test process (its own token directory, so nothing is shared with the
// machine's tokens). It skips the test when the binary was built without
// the pkcs11 tag or SoftHSM2 is not installed, unless WARDEN_TEST_SOFTHSM
// is "require" (as .ci/run sets it): then it fails.
func SoftHSM(t testing.TB) config.PKCS11KMS {
	t.Helper()
	require := os.Getenv("WARDEN_TEST_SOFTHSM") == "require"
	miss := t.Skipf
	if require {
		miss = t.Fatalf
	}
	if !kms.PKCS11Available {
		miss("built without PKCS#11 support: run the tests with -tags pkcs11")
		return config.PKCS11KMS{}
	}
	if _, err := os.Stat(SoftHSMModule); err != nil {
		miss("SoftHSM2 is not installed (apt-get install softhsm2): %v", err)
		return config.PKCS11KMS{}
	}
	softHSM.once.Do(func() { softHSM.cfg, softHSM.err = initSoftHSM() })
	if softHSM.err != nil {
		t.Fatalf("SoftHSM2: %v", softHSM.err)
	}
	return softHSM.cfg
}

// initSoftHSM points SoftHSM2 at a token directory of this process's and
// initialises a token there. It must run before the module is first loaded:
// SoftHSM2 reads SOFTHSM2_CONF when it is initialised.
func initSoftHSM() (config.PKCS11KMS, error) {
	dir, err := os.MkdirTemp("", "warden-softhsm-")
	if err != nil {
		return config.PKCS11KMS{}, err
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return config.PKCS11KMS{}, err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return config.PKCS11KMS{}, err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	const label, pin = "warden-test", "4711-test"
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "0815-test").CombinedOutput()
	if err != nil {
		return config.PKCS11KMS{}, fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
		return config.PKCS11KMS{}, err
	}
	return config.PKCS11KMS{Module: SoftHSMModule, TokenLabel: label, PIN: config.Secret("file:" + pinFile)}, nil
}
