package sink

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/devcert"
)

// rsyslog runs Debian's rsyslogd on loopback with a plain TCP input and a
// TLS one, each writing what it receives to a file. It skips the test when
// rsyslogd (with rsyslog-gnutls) is not installed, unless
// WARDEN_TEST_RSYSLOG is "require" (as .ci/run sets it).
func rsyslog(t *testing.T) (tcpAddr, tlsAddr, tcpOut, tlsOut string, tc *tls.Config) {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		bin = "/usr/sbin/rsyslogd"
	}
	if _, err := os.Stat(bin); err != nil || !fileExists("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so") && !fileExists("/usr/lib/rsyslog/lmnsd_gtls.so") {
		if os.Getenv("WARDEN_TEST_RSYSLOG") == "require" {
			t.Fatalf("rsyslogd with GnuTLS is not installed (apt-get install rsyslog rsyslog-gnutls)")
		}
		t.Skip("rsyslogd with GnuTLS is not installed (apt-get install rsyslog rsyslog-gnutls)")
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	crt, err := devcert.Write(cert, key, "sinktest", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(crt)
	tcpPort, tlsPort := freePort(t), freePort(t)
	tcpOut, tlsOut = filepath.Join(dir, "tcp.log"), filepath.Join(dir, "tls.log")
	conf := fmt.Sprintf(`
global(workDirectory="%[1]s" defaultNetstreamDriverCAFile="%[2]s" defaultNetstreamDriverCertFile="%[2]s" defaultNetstreamDriverKeyFile="%[3]s")
module(load="imtcp" maxSessions="100")
module(load="imtcp" name="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="line" type="string" string="%%msgid%% %%structured-data%% %%msg%%\n")
input(type="imtcp" port="%[4]d" address="127.0.0.1" ruleset="plain")
input(type="imtcp" port="%[5]d" address="127.0.0.1" ruleset="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
ruleset(name="plain") { action(type="omfile" file="%[6]s" template="line") }
ruleset(name="tls") { action(type="omfile" file="%[7]s" template="line") }
`, dir, cert, key, tcpPort, tlsPort, tcpOut, tlsOut)
	confFile := filepath.Join(dir, "rsyslog.conf")
	os.WriteFile(confFile, []byte(conf), 0o600)
	cmd := exec.Command(bin, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslogd.pid"))
	out, _ := os.Create(filepath.Join(dir, "rsyslogd.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	tcpAddr, tlsAddr = fmt.Sprintf("127.0.0.1:%d", tcpPort), fmt.Sprintf("127.0.0.1:%d", tlsPort)
	for _, a := range []string{tcpAddr, tlsAddr} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(filepath.Join(dir, "rsyslogd.out"))
				t.Fatalf("rsyslogd does not listen on %s: %s", a, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return tcpAddr, tlsAddr, tcpOut, tlsOut, &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var syslogLine = regexp.MustCompile(`^audit \[warden@32473 index="(\d+)" origin="sink\.test/audit"\] (?:\x{feff})?\{"index":(\d+),"origin":"sink\.test/audit","id":"aud_(\d+)"`)

// TestSyslogToRsyslog: records reach a real rsyslogd over TCP and over
// TLS, framed by octet counting, one message each, with the index in the
// structured data; a restarted connection carries on.
func TestSyslogToRsyslog(t *testing.T) {
	tcpAddr, tlsAddr, tcpOut, tlsOut, tc := rsyslog(t)
	l, db := testLog(t, 300)
	ctx := context.Background()
	for _, c := range []struct {
		name, addr, out string
		tls             *tls.Config
	}{{"syslog-tcp", tcpAddr, tcpOut, nil}, {"syslog-tls", tlsAddr, tlsOut, tc}} {
		sk := &Syslog{SinkName: c.name, Address: c.addr, TLS: c.tls, Hostname: "warden-test"}
		s := &Shipper{Sink: sk, Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet, Batch: 100}
		if _, err := s.ShipOnce(ctx); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sk.Close()
		seen := map[string]bool{}
		deadline := time.Now().Add(10 * time.Second)
		for len(seen) < 300 && time.Now().Before(deadline) {
			f, err := os.Open(c.out)
			if err == nil {
				sc := bufio.NewScanner(f)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					m := syslogLine.FindStringSubmatch(sc.Text())
					if m == nil {
						if strings.HasPrefix(sc.Text(), "audit") {
							t.Fatalf("%s: malformed line %q", c.name, sc.Text())
						}
						continue
					}
					if m[1] != m[2] || m[2] != m[3] {
						t.Fatalf("%s: line %q", c.name, sc.Text())
					}
					seen[m[1]] = true
				}
				f.Close()
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(seen) != 300 {
			t.Fatalf("%s: rsyslogd got %d records of 300", c.name, len(seen))
		}
	}
}

// TestSyslogCollectorRestart: a connection the collector closed between
// batches (it restarted) is noticed before the next batch is written into
// it, where the write would succeed and the batch be lost.
func TestSyslogCollectorRestart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 16)
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				r := bufio.NewReader(c)
				for {
					var n int
					if _, err := fmt.Fscanf(r, "%d ", &n); err != nil {
						return
					}
					msg := make([]byte, n)
					if _, err := io.ReadFull(r, msg); err != nil {
						return
					}
					got <- string(msg)
				}
			}()
		}
	}()
	sk := &Syslog{SinkName: "syslog", Address: ln.Addr().String(), Hostname: "h"}
	defer sk.Close()
	ctx := context.Background()
	send := func(i uint64) {
		if err := sk.Send(ctx, []Event{{Kind: "record", Origin: "o", Index: i, Time: time.Now(), Body: []byte(`{"i":1}`)}}); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			if !strings.Contains(m, fmt.Sprintf(`index="%d"`, i)) {
				t.Fatalf("got %q", m)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("batch %d never arrived", i)
		}
	}
	send(1)
	(<-conns).Close() // the collector goes away
	time.Sleep(50 * time.Millisecond)
	send(2)
}
