package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/gateway"
	"github.com/wardenhq/warden/store"
)

// Offline administrative acts (keys create, rotate, revoke) are audited in
// the local log as the admin API audits them in the gateway's: one record
// of kind "admin" per act, by principal cli:<os user>.
//
// Order: the log is opened (and checked on disk, as serve checks it) BEFORE
// the act, so a log that cannot take records stops the command with
// nothing done; the record is appended AFTER the act, so it names what was
// actually done (a created key's id is only known then) and no record
// claims an act that failed. Only the append itself can then fail; the
// command says so and exits 1, the act standing. With audit.fail_mode open,
// a log that cannot be opened or take the record is a warning and the act
// goes ahead, as the gateway serves with fail_mode open.
//
// Tessera's POSIX driver serializes writers with fcntl locks, so this is
// safe while a `warden serve` on the same data_dir is appending too.

// actAudit is the local log, opened for one act.
type actAudit struct {
	op       string // "keys revoke", for messages
	log      *auditlog.Log
	origin   string
	store    *store.DB
	stderr   io.Writer
	failOpen bool   // audit.fail_mode open: a missing record is a warning
	spool    string // a running gateway writes the log: hand records to it here
	id       string // the id of the act's record, once issuer made it
}

// issuer returns who does the act, and the id its record will carry, for
// a key secret the act issues.
func (a *actAudit) issuer() auth.Issuer {
	if a.id == "" {
		a.id = auditlog.NewID(time.Now())
	}
	return auth.Issuer{By: "cli:" + osUser(), In: a.id}
}

// actLogger gets the log's (and Tessera's) warnings; os.Stderr, not the
// command's writer, because Tessera's klog routing is process-wide.
var actLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// openActAudit opens the local audit log for an act about to be done. An
// error means the act must not be done.
func openActAudit(ctx context.Context, op string, c *config.Config, b *backends, stderr io.Writer) (*actAudit, error) {
	a := &actAudit{op: op, store: b.store, stderr: stderr, failOpen: c.Audit.FailMode == config.FailOpen}
	err := func() error {
		key, err := auditlog.LoadKey(c.Audit.SigningKeyFile)
		if err != nil {
			return err
		}
		a.origin = key.Signer.Name()
		dir := gateway.LogDir(c.DataDir)
		var stored []byte
		if _, cp, err := b.store.AuditCheckpoint(ctx, a.origin); err == nil {
			stored = cp
		}
		if err := auditlog.CheckOnDisk(ctx, dir, key.Verifier, stored); err != nil {
			return fmt.Errorf("%w (run warden audit verify)", err)
		}
		a.log, err = auditlog.Open(ctx, auditlog.LogOptions{Dir: dir, Signer: key.Signer, CheckpointInterval: 100 * time.Millisecond, Logger: actLogger})
		if errors.Is(err, auditlog.ErrLocked) {
			// A running gateway writes this log; it appends what is
			// spooled for it within a second.
			a.spool, err = dir, nil
		}
		return err
	}()
	if err == nil {
		return a, nil
	}
	if a.failOpen {
		fmt.Fprintf(stderr, "warden: %s: warning: going ahead without an audit record (audit.fail_mode: open): %v\n", op, oneLine(err.Error()))
		return a, nil
	}
	return nil, refused("%s: not done: the audit log cannot take the record of this act: %v", op, err)
}

// record appends the record of the act just done, waits until it is
// durable and covered by a signed checkpoint, and indexes it for search.
// An error says the act was done but its record is missing.
func (a *actAudit) record(ctx context.Context, action, target, detail string) error {
	if a.log == nil && a.spool == "" {
		return nil // fail_mode open, and warned at open
	}
	now := time.Now()
	id := a.id
	if id == "" {
		id = auditlog.NewID(now)
	}
	rec := &auditlog.Record{
		ID: id, Time: auditlog.Time(now), Kind: auditlog.KindAdmin,
		Principal: &auditlog.Principal{ID: "cli:" + osUser(), Type: "cli"},
		Decision:  auditlog.DecisionAllow,
		Admin:     &auditlog.Admin{Action: action, Target: auditlog.Opt(target), Detail: auditlog.Opt(detail)},
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	entry, err := rec.Marshal()
	if err == nil && a.spool != "" {
		if err = auditlog.Spool(a.spool, rec.ID, entry); err == nil {
			fmt.Fprintf(a.stderr, "warden: %s: the running gateway writes the audit log; the record (id %s) is handed to it\n", a.op, rec.ID)
			return nil
		}
	}
	var index uint64
	if err == nil {
		index, err = a.log.Append(entry).Wait(wctx)
	}
	if err != nil {
		err = fmt.Errorf("its audit record (id %s) could not be written: %v", rec.ID, err)
		if a.failOpen {
			fmt.Fprintf(a.stderr, "warden: %s: warning: %v\n", a.op, err)
			return nil
		}
		return err
	}
	// The record is durable; a checkpoint covering it makes it provable.
	if err := a.close(wctx); err != nil {
		fmt.Fprintf(a.stderr, "warden: %s: warning: the audit record (index %d) is in the log, but no checkpoint covers it yet (the next one signed will): %v\n", a.op, index, oneLine(err.Error()))
	}
	ix := auditlog.Indexer{Origin: a.origin, Reader: a.log.Reader(), Store: a.store, Logger: actLogger}
	if err := ix.CatchUp(ctx); err != nil {
		fmt.Fprintf(a.stderr, "warden: %s: warning: the audit record is in the log but not yet searchable (warden serve indexes it): %v\n", a.op, oneLine(err.Error()))
	}
	return nil
}

// close waits until a checkpoint covers what was appended and closes the
// log; closing again does nothing.
func (a *actAudit) close(ctx context.Context) error {
	if a.log == nil {
		return nil
	}
	return a.log.Close(ctx)
}

// osUser is the operating system user running the command.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid-%d", os.Getuid())
}
