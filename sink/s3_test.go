package sink

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/wardenhq/warden/auditlog"
)

// versitygw runs an S3 server with Object Lock (versitygw, Apache-2.0) on
// loopback and returns its endpoint. It skips the test when versitygw is
// not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0),
// unless WARDEN_TEST_S3 is "require" (as .ci/run sets it).
func versitygw(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, "go", "bin", "versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("WARDEN_TEST_S3") == "require" {
			t.Fatal("versitygw is not installed")
		}
		t.Skip("versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	}
	dir := t.TempDir()
	root, versions := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	os.MkdirAll(root, 0o700)
	os.MkdirAll(versions, 0o700)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--access", "archiver", "--secret", "archiver-secret", "--port", addr, "posix", "--versioning-dir", versions, root)
	out, _ := os.Create(filepath.Join(dir, "versitygw.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "versitygw.out"))
			t.Fatalf("versitygw does not listen: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr
}

// TestS3Archive: the log's tiles, entry bundles and checkpoints land in a
// bucket with Object Lock in compliance mode; deleting an archived object
// (its version) is refused; a later round archives only what is new, and
// the archive holds what a verifier needs for the newest checkpoint.
func TestS3Archive(t *testing.T) {
	endpoint := versitygw(t)
	ctx := context.Background()
	c := NewS3Client(endpoint, "us-east-1", "archiver", "archiver-secret", true)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	l, db := testLog(t, 600)
	a := &S3Archive{Name: "archive", Client: c, Bucket: "audit", Prefix: "gw-1/", Retention: 24 * time.Hour,
		Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet}
	waitCheckpoint(t, l, 600)
	if err := a.ArchiveOnce(ctx); err != nil {
		t.Fatal(err)
	}
	keys := listKeys(t, c)
	for _, want := range []string{"gw-1/checkpoints/600", "gw-1/" + layout.EntriesPath(0, 0), "gw-1/" + layout.EntriesPath(1, 0),
		"gw-1/" + layout.EntriesPath(2, 88), "gw-1/" + layout.TilePath(0, 2, 88), "gw-1/" + layout.TilePath(1, 0, 2)} {
		if !keys[want] {
			t.Errorf("%s not archived (have %v)", want, keys)
		}
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("audit"), Key: aws.String("gw-1/checkpoints/600")})
	if err != nil || head.ObjectLockMode != "COMPLIANCE" || head.ObjectLockRetainUntilDate == nil || head.ObjectLockRetainUntilDate.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("lock: %+v %v", head, err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("gw-1/checkpoints/600"), VersionId: head.VersionId})
	if err == nil {
		t.Fatal("an archived object under compliance lock was deleted")
	}
	body, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("gw-1/checkpoints/600")})
	if err != nil {
		t.Fatalf("the archived checkpoint is gone: %v", err)
	}
	cp, _ := io.ReadAll(body.Body)
	if !strings.HasPrefix(string(cp), "sink.test/audit\n600\n") {
		t.Fatalf("checkpoint: %q", cp)
	}

	appendRecords(t, l, 600, 100)
	waitCheckpoint(t, l, 700)
	if err := a.ArchiveOnce(ctx); err != nil {
		t.Fatal(err)
	}
	keys = listKeys(t, c)
	if !keys["gw-1/checkpoints/700"] || !keys["gw-1/"+layout.EntriesPath(2, 188)] || !keys["gw-1/"+layout.TilePath(0, 2, 188)] {
		t.Fatalf("second round: %v", keys)
	}

	// Rounds with nothing new write nothing: every version is locked for
	// the retention, so each one written for nothing would stay.
	before := countVersions(t, c)
	for range 3 {
		if err := a.ArchiveOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if after := countVersions(t, c); after != before {
		t.Fatalf("idle rounds wrote %d object versions", after-before)
	}
	if a.Lag() != 0 {
		t.Fatalf("lag %d", a.Lag())
	}

	// Another log may not archive under the same prefix.
	other := &S3Archive{Name: "archive", Client: c, Bucket: "audit", Prefix: "gw-1/", Retention: 24 * time.Hour,
		Origin: "other.test/audit", Reader: l.Reader(), Store: db, Logger: quiet}
	if err := other.ArchiveOnce(ctx); err == nil || !strings.Contains(err.Error(), "another log") {
		t.Fatalf("a second log under the prefix: %v", err)
	}
}

// TestS3ArchiveLagWhileDown: while the archive cannot be reached, its lag
// is what is not archived (so the sink_lag alert can fire), not 0.
func TestS3ArchiveLagWhileDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := NewS3Client(fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), "us-east-1", "a", "b", true)
	l, db := testLog(t, 300)
	a := &S3Archive{Name: "archive", Client: c, Bucket: "audit", Retention: time.Hour, Origin: "sink.test/audit", Reader: l.Reader(), Store: db, Logger: quiet}
	waitCheckpoint(t, l, 300)
	if err := a.ArchiveOnce(ctx); err == nil {
		t.Fatal("archived to nowhere")
	}
	if a.Lag() != 300 {
		t.Fatalf("lag %d while down, want 300", a.Lag())
	}
}

func countVersions(t *testing.T, c *s3.Client) int {
	t.Helper()
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Versions)
}

// waitCheckpoint waits until the log's checkpoint covers size entries.
func waitCheckpoint(t *testing.T, l *auditlog.Log, size uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if cp, err := l.Reader().ReadCheckpoint(context.Background()); err == nil {
			if n, err := auditlog.CheckpointSize(cp); err == nil && n >= size {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d entries", size)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listKeys(t *testing.T, c *s3.Client) map[string]bool {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, o := range out.Contents {
		keys[*o.Key] = true
	}
	return keys
}
