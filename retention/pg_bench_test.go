package retention_test

import (
	"bytes"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/internal/pgtest"
	"github.com/wardenhq/warden/kms"
	"github.com/wardenhq/warden/retention"
	"github.com/wardenhq/warden/seal"
	"github.com/wardenhq/warden/store"
)

// BenchmarkKeepPostgres: BenchmarkKeep against PostgreSQL, where the
// database's work is another process's.
func BenchmarkKeepPostgres(b *testing.B) {
	dir := b.TempDir()
	master := filepath.Join(dir, "master.key")
	kms.GenerateLocal(master)
	l, _ := kms.LoadLocal(master)
	ring, _ := l.KeyRing(kms.KeyRingDir(master))
	db, err := store.Open(ctx, "postgres", pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	k := &retention.Keeper{Sealer: &seal.Sealer{Ring: ring}, Store: db, Writer: retention.NewWriter(db),
		Classes: []config.Classification{{Name: "c", Store: config.StoreFull, Retention: config.Duration(24 * time.Hour)}}}
	defer k.Writer.Close()
	prompt, response := bytes.Repeat([]byte("p"), 4096), bytes.Repeat([]byte("r"), 1024)
	now := time.Now()
	var n atomic.Int64
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := k.Keep(ctx, "aud_"+strconv.FormatInt(n.Add(1), 10), "c", now, prompt, response); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
