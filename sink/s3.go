package sink

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
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

	lag atomic64
}

type atomic64 struct{ v int64 }

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
func (a *S3Archive) Lag() int64 { return a.lag.v }

// ArchiveOnce archives the files the log's current checkpoint needs that
// are not archived yet, then the checkpoint. The store's cursor (in
// entries) says which full bundles are archived already.
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
	if cur.Next > 0 && cur.Next >= size && cur.Next%layout.TileWidth == 0 && size%layout.TileWidth == 0 {
		a.lag.v = 0
		return nil
	}
	fail := func(err error) error {
		a.Store.SinkFailed(context.WithoutCancel(ctx), a.Name, a.Origin, oneLine(err), time.Now())
		return fmt.Errorf("sink %s: %w", a.Name, err)
	}
	for level := uint64(0); size>>(8*level) > 0; level++ {
		nodes := size >> (8 * level)
		full := nodes / layout.TileWidth
		for t := (cur.Next >> (8 * level)) / layout.TileWidth; t < full; t++ {
			if err := a.putTile(ctx, level, t, 0); err != nil {
				return fail(err)
			}
		}
		if nodes%layout.TileWidth != 0 {
			if err := a.putTile(ctx, level, full, layout.PartialTileSize(level, full, size)); err != nil {
				return fail(err)
			}
		}
	}
	if err := a.put(ctx, "checkpoints/"+strconv.FormatUint(size, 10), cp); err != nil {
		return fail(err)
	}
	if err := a.Store.AdvanceSinkCursor(ctx, a.Name, a.Origin, size/layout.TileWidth*layout.TileWidth, time.Now()); err != nil {
		return err
	}
	if n, err := a.Reader.IntegratedSize(ctx); err == nil {
		a.lag.v = int64(n) - int64(size)
	}
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
	wait := interval
	for {
		if err := a.ArchiveOnce(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Warn("audit archive: failed; will retry", "sink", a.Name, "in", wait, "err", err)
			wait = min(2*wait, 5*time.Minute)
		} else {
			wait = interval
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
