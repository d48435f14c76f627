package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/store"
)

// S3Archive keeps a write-once copy of the log in an S3 bucket with
// Object Lock: the log's own files (C2SP tlog-tiles: entry bundles and
// hash tiles, full and partial, each immutable under its name) and every
// checkpoint it archives as checkpoints/<size>, each stored in compliance
// mode until Retention from now, so no one, the bucket's owner included,
// can delete or overwrite them before then. The archive is a tlog-tiles
// log any verifier can read.
type S3Archive struct {
	Name      string
	Client    *s3.Client
	Bucket    string
	Prefix    string // key prefix, e.g. "warden/gw-1/"
	Retention time.Duration
	Origin    string
	Reader    tessera.LogReader
	Store     *store.DB
	Logger    *slog.Logger

	lag      atomic.Int64
	archived uint64 // the size of the last checkpoint archived by this process
	owned    bool   // the prefix is known to hold this log (its origin object says so)
}

// NewS3Client returns a client for an S3 endpoint ("" for AWS) with static
// credentials; pathStyle for servers that need it (most but AWS).
func NewS3Client(endpoint, region, accessKey, secretKey string, pathStyle bool) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint: optional(endpoint),
		UsePathStyle: pathStyle,
	})
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Lag is how many records are not archived yet (partial bundles are
// archived with each checkpoint; this counts records past the newest
// archived checkpoint).
func (a *S3Archive) Lag() int64 { return a.lag.Load() }

// ArchiveOnce archives the files the log's current checkpoint needs that
// are not archived yet, then the checkpoint. The store's cursor (in
// entries) says which full bundles are archived already, with every full
// hash tile above them; it moves on bundle by bundle, so a failure costs
// one bundle's upload again, not the pass. A checkpoint archived already
// is not archived again: every object is a locked version that cannot be
// removed, so nothing is written for nothing.
func (a *S3Archive) ArchiveOnce(ctx context.Context) error {
	cp, err := a.Reader.ReadCheckpoint(ctx)
	if err != nil {
		return err
	}
	size, err := auditlog.CheckpointSize(cp)
	if err != nil {
		return err
	}
	cur, err := a.Store.GetSinkCursor(ctx, a.Name, a.Origin)
	if err != nil {
		return err
	}
	integrated := size
	if n, err := a.Reader.IntegratedSize(ctx); err == nil {
		integrated = n
	}
	if size == a.archived || cur.Next >= size && size%layout.TileWidth == 0 && cur.Next > 0 {
		a.lag.Store(int64(integrated) - int64(size))
		return nil
	}
	// Until this pass succeeds, what is past the cursor is not archived.
	a.lag.Store(int64(integrated) - int64(cur.Next))
	fail := func(err error) error {
		if ctx.Err() == nil {
			a.Store.SinkFailed(context.WithoutCancel(ctx), a.Name, a.Origin, oneLine(err), time.Now())
		}
		return fmt.Errorf("sink %s: %w", a.Name, err)
	}
	if err := a.claim(ctx); err != nil {
		return fail(err)
	}
	for t := cur.Next / layout.TileWidth; t < size/layout.TileWidth; t++ {
		if err := a.putTile(ctx, 0, t, 0); err != nil {
			return fail(err)
		}
		// The hash tiles above that this bundle completes.
		for level, n := uint64(1), t+1; n%layout.TileWidth == 0; level++ {
			n /= layout.TileWidth
			if err := a.putTile(ctx, level, n-1, 0); err != nil {
				return fail(err)
			}
		}
		if err := a.Store.AdvanceSinkCursor(ctx, a.Name, a.Origin, (t+1)*layout.TileWidth, time.Now()); err != nil {
			return err
		}
	}
	for level := uint64(0); size>>(8*level) > 0; level++ {
		if nodes := size >> (8 * level); nodes%layout.TileWidth != 0 {
			if err := a.putTile(ctx, level, nodes/layout.TileWidth, layout.PartialTileSize(level, nodes/layout.TileWidth, size)); err != nil {
				return fail(err)
			}
		}
	}
	if err := a.put(ctx, "checkpoints/"+strconv.FormatUint(size, 10), cp); err != nil {
		return fail(err)
	}
	a.archived = size
	a.lag.Store(int64(integrated) - int64(size))
	return nil
}

// claim makes sure the prefix holds this log and no other: two gateways
// archiving under one prefix would write their tiles over each other's.
// The first archive writes an "origin" object naming its log.
func (a *S3Archive) claim(ctx context.Context) error {
	if a.owned {
		return nil
	}
	out, err := a.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Bucket), Key: aws.String(a.Prefix + "origin")})
	var nsk *types.NoSuchKey
	switch {
	case errors.As(err, &nsk):
		if err := a.put(ctx, "origin", []byte(a.Origin+"\n")); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("s3: get origin: %w", err)
	default:
		b, err := io.ReadAll(io.LimitReader(out.Body, 4096))
		out.Body.Close()
		if err != nil {
			return fmt.Errorf("s3: get origin: %w", err)
		}
		if got := strings.TrimSpace(string(b)); got != a.Origin {
			return fmt.Errorf("s3: the prefix %q holds the archive of another log (%q): give each gateway its own prefix", a.Prefix, got)
		}
	}
	a.owned = true
	return nil
}

// putTile archives hash tile (level, index, p) and, at level 0, the entry
// bundle beside it.
func (a *S3Archive) putTile(ctx context.Context, level, index uint64, p uint8) error {
	t, err := a.Reader.ReadTile(ctx, level, index, p)
	if err != nil {
		return err
	}
	if err := a.put(ctx, layout.TilePath(level, index, p), t); err != nil {
		return err
	}
	if level != 0 {
		return nil
	}
	b, err := a.Reader.ReadEntryBundle(ctx, index, p)
	if err != nil {
		return err
	}
	return a.put(ctx, layout.EntriesPath(index, p), b)
}

func (a *S3Archive) put(ctx context.Context, key string, body []byte) error {
	_, err := a.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:                    aws.String(a.Bucket),
		Key:                       aws.String(a.Prefix + key),
		Body:                      bytes.NewReader(body),
		ContentLength:             aws.Int64(int64(len(body))),
		ObjectLockMode:            types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(time.Now().Add(a.Retention)),
		ChecksumAlgorithm:         types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// Run archives every interval until ctx ends, backing off after failures.
func (a *S3Archive) Run(ctx context.Context, interval time.Duration) {
	backoff := interval
	for {
		wait := interval
		if err := a.ArchiveOnce(ctx); err != nil && ctx.Err() == nil {
			wait = backoff
			a.Logger.Warn("audit archive: failed; will retry", "sink", a.Name, "in", wait, "err", err)
			backoff = min(2*backoff, 5*time.Minute)
		} else {
			backoff = interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
