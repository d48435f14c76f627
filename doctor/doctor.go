// Package doctor checks a Warden deployment's security posture: what a
// valid configuration and the state it points at still leave weaker than
// they could be (plain-text hops, keys readable by others, audit settings
// that trade safety for speed, keys that never expire). Each check has a
// severity; the score weighs what passed against what was checked.
//
// Validation (config.Validate, gateway.Check) refuses what cannot work;
// doctor reports what works but should be better, and says how to fix it.
package doctor

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/auditlog"
	"github.com/wardenhq/warden/auth"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/store"
)

// Severity orders checks by what a failure exposes.
type Severity int

// Severities, from least to most serious; each weighs twice the one before.
const (
	Low Severity = iota
	Medium
	High
	Critical
)

func (s Severity) String() string {
	return [...]string{"low", "medium", "high", "critical"}[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s Severity) weight() int { return 1 << s }

// Status is a check's outcome.
type Status string

// Outcomes. A warning is a choice worth revisiting (half credit); a
// failure exposes data or evidence; a skipped check had nothing to look at.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check's outcome.
type Result struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Detail   string   `json:"detail,omitempty"` // what was found; never a secret
	Fix      string   `json:"fix,omitempty"`    // what to do, for warn and fail
}

// Report is every check's result and the score.
type Report struct {
	Score   int      `json:"score"` // 0–100
	Results []Result `json:"checks"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.Status == Fail })
}

// Count returns how many checks ended with s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// Store is what the checks read from the store (store.DB has it).
type Store interface {
	ListKeys(ctx context.Context) ([]store.APIKey, error)
	AuditCheckpoint(ctx context.Context, origin string) (size uint64, note []byte, err error)
}

// Input is what the checks look at.
type Input struct {
	Config     *config.Config
	ConfigPath string // the file it was loaded from, if any
	// Store, if set, is the store; the checks that read it are skipped
	// without it, and StoreErr says why (it could not be opened).
	Store    Store
	StoreErr error
	// LogDir is the audit log's directory (gateway.LogDir).
	LogDir string
	Now    time.Time
}

// Key-age thresholds.
const (
	staleAfter = 90 * 24 * time.Hour // a key unused this long is likely forgotten
)

// Run runs every check and scores the result.
func Run(ctx context.Context, in Input) *Report {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	c := in.Config
	r := &Report{}
	add := func(x Result) { r.Results = append(r.Results, x) }

	add(checkTLS(c))
	add(checkTLSVersion(c))
	add(checkPrivateFile("tls.key_file", "TLS private key readable only by Warden", High, tlsKeyFile(c)))
	add(checkKMSProvider(c))
	add(checkPrivateFile("kms.key_file", "master key file readable only by Warden", Critical, kmsKeyFile(c)))
	add(checkPrivateFile("audit.signing_key", "audit signing key readable only by Warden", High, c.Audit.SigningKeyFile))
	add(checkDataDir(c))
	add(checkConfigFile(in.ConfigPath))
	add(checkUpstreams(c))
	add(checkTrustedProxies(c))
	add(checkMetrics(c))
	add(checkDurability(c))
	add(checkFailMode(c))
	add(checkSinks(c))
	add(checkArchive(c))
	add(checkContent(c))
	add(checkInjection(c))
	add(checkLimits(c))
	add(checkSharedLimiter(c))
	add(checkSelfApproval(c))
	add(checkReachless(c))
	add(checkAlerts(c))
	add(checkSignedWebhooks(c))
	add(checkCRL(c, in.Now))
	add(checkLog(ctx, in))
	for _, x := range checkKeys(ctx, in) {
		add(x)
	}

	got, of := 0, 0
	for _, x := range r.Results {
		w := x.Severity.weight()
		switch x.Status {
		case Pass:
			got, of = got+2*w, of+2*w
		case Warn:
			got, of = got+w, of+2*w
		case Fail:
			of += 2 * w
		}
	}
	r.Score = 100
	if of > 0 {
		r.Score = got * 100 / of
	}
	return r
}

func pass(id, title string, s Severity, detail string) Result {
	return Result{ID: id, Title: title, Severity: s, Status: Pass, Detail: detail}
}

func warn(id, title string, s Severity, detail, fix string) Result {
	return Result{ID: id, Title: title, Severity: s, Status: Warn, Detail: detail, Fix: fix}
}

func fail(id, title string, s Severity, detail, fix string) Result {
	return Result{ID: id, Title: title, Severity: s, Status: Fail, Detail: detail, Fix: fix}
}

func skip(id, title string, s Severity, detail string) Result {
	return Result{ID: id, Title: title, Severity: s, Status: Skip, Detail: detail}
}

// loopbackListen reports whether addr ("host:port") listens on loopback only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func checkTLS(c *config.Config) Result {
	const id, title = "tls.enabled", "clients reach Warden over TLS"
	switch {
	case c.Server.TLS != nil:
		return pass(id, title, Critical, "server.tls is set")
	case loopbackListen(c.Server.Listen):
		return warn(id, title, Critical, "plain HTTP on "+c.Server.Listen+" (loopback only)",
			"fine behind a TLS-terminating proxy on the same host; otherwise set server.tls")
	}
	return fail(id, title, Critical, "plain HTTP on "+c.Server.Listen+": prompts and API keys cross the network in clear text",
		"set server.tls (cert_file, key_file), or listen on loopback behind a TLS-terminating proxy")
}

func checkTLSVersion(c *config.Config) Result {
	const id, title = "tls.min_version", "TLS 1.3 only"
	if c.Server.TLS == nil {
		return skip(id, title, High, "no TLS listener")
	}
	if c.Server.TLS.MinVersion == "1.2" {
		return warn(id, title, High, "server.tls.min_version is 1.2", "set server.tls.min_version: \"1.3\" once every client supports it")
	}
	return pass(id, title, High, "TLS 1.3 is the minimum")
}

func tlsKeyFile(c *config.Config) string {
	if c.Server.TLS == nil {
		return ""
	}
	return c.Server.TLS.KeyFile
}

func kmsKeyFile(c *config.Config) string {
	if c.KMS.Provider == "" || c.KMS.Provider == "local" {
		return c.KMS.Local.KeyFile
	}
	return ""
}

// checkPrivateFile: a key file must be neither group- nor world-accessible,
// nor writable by anyone else through its directory.
func checkPrivateFile(id, title string, s Severity, path string) Result {
	if path == "" {
		return skip(id, title, s, "not used by this configuration")
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(id, title, s, fmt.Sprintf("cannot stat %s: %v", path, err), "check the path in the configuration")
	}
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return fail(id, title, s, fmt.Sprintf("%s has mode %v: group or others can read it", path, m), "chmod 600 "+path)
	}
	dir := filepath.Dir(path)
	if dst, err := os.Stat(dir); err == nil && dst.Mode().Perm()&0o022 != 0 && dst.Mode()&fs.ModeSticky == 0 {
		return fail(id, title, s, fmt.Sprintf("%s is in %s, which others can write to (mode %v): they could replace it", path, dir, dst.Mode().Perm()),
			"chmod go-w "+dir)
	}
	return pass(id, title, s, path+" is private")
}

func checkKMSProvider(c *config.Config) Result {
	const id, title = "kms.provider", "keys held in an HSM or a KMS"
	p := c.KMS.Provider
	if p == "" || p == "local" {
		return warn(id, title, Medium, "kms.provider is local: the master key is a file on this machine",
			"use pkcs11 (an HSM), vault (Transit) or a cloud KMS so that no key material sits on the gateway's disk (docs/encryption.md)")
	}
	return pass(id, title, Medium, "kms.provider is "+p)
}

func checkDataDir(c *config.Config) Result {
	const id, title = "data_dir", "data directory private"
	st, err := os.Stat(c.DataDir)
	switch {
	case os.IsNotExist(err):
		return skip(id, title, High, c.DataDir+" does not exist yet")
	case err != nil:
		return fail(id, title, High, fmt.Sprintf("cannot stat %s: %v", c.DataDir, err), "check data_dir")
	case st.Mode().Perm()&0o077 != 0:
		return fail(id, title, High, fmt.Sprintf("%s has mode %v: group or others can enter it", c.DataDir, st.Mode().Perm()), "chmod 700 "+c.DataDir)
	}
	return pass(id, title, High, c.DataDir+" is private")
}

func checkConfigFile(path string) Result {
	const id, title = "config.file", "configuration not writable by others"
	if path == "" {
		return skip(id, title, High, "no configuration file")
	}
	st, err := os.Stat(path)
	if err != nil {
		return skip(id, title, High, err.Error())
	}
	if m := st.Mode().Perm(); m&0o022 != 0 {
		return fail(id, title, High, fmt.Sprintf("%s has mode %v: others can change who may use which model", path, m), "chmod go-w "+path)
	}
	return pass(id, title, High, path+" is writable by its owner only")
}

func checkUpstreams(c *config.Config) Result {
	const id, title = "upstream.tls", "models reached over TLS"
	var plain []string
	n := 0
	for _, m := range c.Models {
		if m.Builtin != "" {
			continue
		}
		n++
		if !config.SecureURL(m.Upstream.URL) {
			plain = append(plain, m.Name)
		}
	}
	switch {
	case n == 0:
		return skip(id, title, Critical, "no upstream models")
	case len(plain) > 0:
		return fail(id, title, Critical, fmt.Sprintf("prompts go to %s over plain HTTP off this host", strings.Join(plain, ", ")),
			"use https:// upstream URLs (or keep the model server on loopback)")
	}
	return pass(id, title, Critical, fmt.Sprintf("all %d upstream models use https or loopback", n))
}

func checkTrustedProxies(c *config.Config) Result {
	const id, title = "server.trusted_proxies", "client addresses not spoofable"
	for _, p := range c.Server.TrustedProxies {
		if pf, err := config.ParsePrefix(p); err == nil && pf.Bits() == 0 {
			return fail(id, title, High, "server.trusted_proxies contains "+p+": any client can set X-Forwarded-For and pass ip_allow",
				"list only the proxies in front of Warden")
		}
	}
	return pass(id, title, High, fmt.Sprintf("%d trusted proxies, none matching everyone", len(c.Server.TrustedProxies)))
}

func checkMetrics(c *config.Config) Result {
	const id, title = "server.metrics_listen", "metrics on a separate listener"
	if c.Server.MetricsListen == "" {
		return warn(id, title, Low, "/metrics is served on the main listener, to anyone who reaches it",
			"set server.metrics_listen to an internal address (e.g. 127.0.0.1:9090)")
	}
	return pass(id, title, Low, "/metrics on "+c.Server.MetricsListen)
}

func checkDurability(c *config.Config) Result {
	const id, title = "audit.durability", "no response before its record is durable"
	if c.Audit.Durability == config.DurabilityAsync {
		return warn(id, title, High, "audit.durability is async: a crash can lose the records of responses already sent",
			"set audit.durability: sync")
	}
	return pass(id, title, High, "audit.durability is sync")
}

func checkFailMode(c *config.Config) Result {
	const id, title = "audit.fail_mode", "no inference without an audit record"
	if c.Audit.FailMode == config.FailOpen {
		return warn(id, title, High, "audit.fail_mode is open: while the log fails, requests are served unrecorded",
			"set audit.fail_mode: closed unless availability must win over evidence")
	}
	return pass(id, title, High, "audit.fail_mode is closed")
}

func checkSinks(c *config.Config) Result {
	const id, title = "audit.sinks", "audit records shipped off this machine"
	if len(c.Audit.Sinks) == 0 {
		return warn(id, title, Medium, "no audit sinks: the only copy of the log is on this machine",
			"ship the log to a SIEM (audit.sinks, docs/siem.md)")
	}
	var names []string
	for _, s := range c.Audit.Sinks {
		names = append(names, s.Name+" ("+s.Type+")")
	}
	return pass(id, title, Medium, strings.Join(names, ", "))
}

func checkArchive(c *config.Config) Result {
	const id, title = "audit.archive", "write-once archive of the log"
	for _, s := range c.Audit.Sinks {
		if s.Type == "s3" {
			return pass(id, title, Low, s.Name+": S3 Object Lock, compliance mode")
		}
	}
	return warn(id, title, Low, "no s3 sink: nothing keeps a copy that even an administrator cannot change",
		"add an s3 sink on a bucket with Object Lock (docs/siem.md)")
}

func checkContent(c *config.Config) Result {
	const id, title = "content.request", "sensitive values controlled in requests"
	st := c.Content.Request
	active := len(st.Deny) > 0
	for _, a := range st.PII {
		if a != "allow" {
			active = true
		}
	}
	if !active {
		return warn(id, title, Medium, "content.request neither redacts nor blocks anything: personal data and secrets reach the models as sent",
			"set content.request.pii (e.g. secret: block, email: redact; docs/content.md)")
	}
	return pass(id, title, Medium, fmt.Sprintf("%d entity actions, %d deny rules", len(st.PII), len(st.Deny)))
}

func checkInjection(c *config.Config) Result {
	const id, title = "content.injection", "prompt-injection screening"
	if m := c.Content.Request.Injection; m != "" && m != "off" {
		return pass(id, title, Low, "content.request.injection is "+m)
	}
	return warn(id, title, Low, "prompt-injection screening is off", "set content.request.injection: flag (or block)")
}

// dataPlane reports whether a role may call models.
func dataPlane(r config.Role) bool {
	return slices.ContainsFunc(r.Capabilities, func(c string) bool {
		return c == "chat" || c == "completions" || c == "embeddings"
	})
}

func checkLimits(c *config.Config) Result {
	const id, title = "roles.limits", "every role that calls models is rate limited"
	var open []string
	for _, r := range c.Roles {
		if dataPlane(r) && r.Limits.RequestsPerMinute == 0 && r.Limits.TokensPerMinute == 0 && r.Limits.TokensPerDay == 0 && r.Limits.TokensPerMonth == 0 {
			open = append(open, r.Name)
		}
	}
	if len(open) > 0 {
		return warn(id, title, Medium, "no limits for role "+strings.Join(open, ", ")+": one principal can exhaust shared models and budgets",
			"set roles[].limits (requests_per_minute, tokens_per_day, ...)")
	}
	return pass(id, title, Medium, "every data-plane role has limits")
}

func checkSharedLimiter(c *config.Config) Result {
	const id, title = "ratelimit.driver", "limits shared by replicas"
	if c.Storage.Driver == "postgres" && c.RateLimit.Driver != "redis" {
		return warn(id, title, Medium, "a shared PostgreSQL store (replicas) with in-memory limits: each replica grants the whole budget",
			"set ratelimit.driver: redis")
	}
	return pass(id, title, Medium, "limits are counted where every replica sees them")
}

func checkSelfApproval(c *config.Config) Result {
	const id, title = "approvals.self_approval", "no one approves their own requests"
	if len(c.Approvals.Rules) == 0 && !slices.ContainsFunc(c.Models, func(m config.Model) bool { return m.Approval.Required }) {
		return skip(id, title, Medium, "no approval rules")
	}
	if c.Approvals.SelfApproval {
		return warn(id, title, Medium, "approvals.self_approval is true", "set approvals.self_approval: false")
	}
	return pass(id, title, Medium, "self-approval is refused")
}

// checkReachless finds roles granted approve or audit.decrypt that reach
// no model: both are confined to the models (and namespaces) a role
// reaches, so such a role approves or decrypts nothing — usually a
// configuration written before that confinement.
func checkReachless(c *config.Config) Result {
	const id, title = "roles.reach", "approvers and decryptors reach the models they serve"
	var none []string
	for _, r := range c.Roles {
		if len(r.Models) == 0 && (slices.Contains(r.Capabilities, "approve") || slices.Contains(r.Capabilities, "audit.decrypt")) {
			none = append(none, r.Name)
		}
	}
	if len(none) > 0 {
		return warn(id, title, Medium, "role "+strings.Join(none, ", ")+" has approve or audit.decrypt but no models, so it approves or decrypts nothing",
			`give the role the models it oversees (models: ["*"] for all)`)
	}
	return pass(id, title, Medium, "every approver and decryptor role names models")
}

func checkAlerts(c *config.Config) Result {
	const id, title = "alerts", "alerts on denials and probing"
	if len(c.Alerts) == 0 {
		return warn(id, title, Low, "no alert rules", "add alerts (denied, restricted_model, key_expiry, ...; docs/alerts.md)")
	}
	return pass(id, title, Low, fmt.Sprintf("%d alert rules", len(c.Alerts)))
}

func checkSignedWebhooks(c *config.Config) Result {
	const id, title = "notify.signed", "webhook notifications signed"
	var unsigned []string
	n := 0
	check := func(path string, ts config.Notify) {
		for i, t := range ts {
			if t.Type == "webhook" {
				n++
				if t.Secret == "" {
					unsigned = append(unsigned, fmt.Sprintf("%s[%d]", path, i))
				}
			}
		}
	}
	check("approvals.notify", c.Approvals.Notify)
	for i, a := range c.Alerts {
		check(fmt.Sprintf("alerts[%d].notify", i), a.Notify)
	}
	switch {
	case n == 0:
		return skip(id, title, Medium, "no webhook targets")
	case len(unsigned) > 0:
		return warn(id, title, Medium, "unsigned: "+list(unsigned)+"; receivers cannot tell Warden's notices from forged ones",
			"give each webhook target a secret (an env: or file: reference) and verify X-Warden-Signature")
	}
	return pass(id, title, Medium, fmt.Sprintf("all %d webhook targets sign their posts", n))
}

func checkCRL(c *config.Config, now time.Time) Result {
	const id, title = "auth.mtls.crl", "client certificate revocation list current"
	if !c.Auth.MTLS.Enabled {
		return skip(id, title, High, "mTLS is off")
	}
	if c.Auth.MTLS.CRLFile == "" {
		return warn(id, title, High, "no auth.mtls.crl_file: a stolen client certificate works until it expires",
			"publish a CRL from the client CA and set auth.mtls.crl_file (and keep certificates short-lived)")
	}
	crl, err := auth.LoadCRL(c.Auth.MTLS.CRLFile)
	if err != nil {
		return fail(id, title, High, "cannot read "+c.Auth.MTLS.CRLFile+": "+err.Error(), "check auth.mtls.crl_file")
	}
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return fail(id, title, High, fmt.Sprintf("%s was due to be replaced on %s: certificates revoked since are not known",
			c.Auth.MTLS.CRLFile, crl.NextUpdate.UTC().Format(time.RFC3339)),
			"install the CA's current CRL, then reload (SIGHUP); automate it before its next update")
	}
	return pass(id, title, High, fmt.Sprintf("%d revoked certificates; next update %s", len(crl.RevokedCertificateEntries), crl.NextUpdate.UTC().Format(time.RFC3339)))
}

func checkLog(ctx context.Context, in Input) Result {
	const id, title = "audit.log", "audit log consistent with its signed checkpoints"
	if in.LogDir == "" {
		return skip(id, title, Critical, "no log directory given")
	}
	if _, err := os.Stat(in.LogDir); os.IsNotExist(err) {
		return skip(id, title, Critical, "no log yet (the gateway has not run)")
	}
	key, err := auditlog.LoadKey(in.Config.Audit.SigningKeyFile)
	if err != nil {
		return fail(id, title, Critical, err.Error(), "check audit.signing_key_file")
	}
	var stored []byte
	if in.Store != nil {
		if _, cp, err := in.Store.AuditCheckpoint(ctx, key.Signer.Name()); err == nil {
			stored = cp
		}
	}
	// A running gateway may publish a checkpoint between the reads of
	// the tree state and the checkpoint: look twice before failing.
	err = auditlog.CheckOnDisk(ctx, in.LogDir, key.Verifier, stored)
	if err != nil {
		time.Sleep(1500 * time.Millisecond)
		err = auditlog.CheckOnDisk(ctx, in.LogDir, key.Verifier, stored)
	}
	if err != nil {
		return fail(id, title, Critical, err.Error(), "run warden audit verify; the gateway refuses to extend this log")
	}
	return pass(id, title, Critical, "the tree on disk proves consistent with its checkpoint and the store's newest (warden audit verify rehashes every entry)")
}

func checkKeys(ctx context.Context, in Input) []Result {
	const (
		expID, expTitle     = "keys.expiry", "API keys expire"
		staleID, staleTitle = "keys.unused", "no forgotten API keys"
	)
	if in.Store == nil {
		why := "no store"
		if in.StoreErr != nil {
			why = "the store could not be opened: " + in.StoreErr.Error()
		}
		return []Result{skip(expID, expTitle, Medium, why), skip(staleID, staleTitle, Low, why)}
	}
	keys, err := in.Store.ListKeys(ctx)
	if err != nil {
		return []Result{skip(expID, expTitle, Medium, err.Error()), skip(staleID, staleTitle, Low, err.Error())}
	}
	var never, stale []string
	live := 0
	for _, k := range keys {
		if k.Revoked() || (!k.ExpiresAt.IsZero() && !k.ExpiresAt.After(in.Now)) {
			continue
		}
		live++
		if k.ExpiresAt.IsZero() {
			never = append(never, k.ID)
		}
		last := k.LastUsedAt
		if last.IsZero() {
			last = k.CreatedAt
		}
		if in.Now.Sub(last) > staleAfter {
			stale = append(stale, k.ID)
		}
	}
	var out []Result
	if len(never) > 0 {
		out = append(out, warn(expID, expTitle, Medium, fmt.Sprintf("%d of %d live keys never expire: %s", len(never), live, list(never)),
			"issue keys with --expires-in and rotate them (warden keys rotate); revoke the ones without"))
	} else {
		out = append(out, pass(expID, expTitle, Medium, fmt.Sprintf("all %d live keys expire", live)))
	}
	if len(stale) > 0 {
		out = append(out, warn(staleID, staleTitle, Low, fmt.Sprintf("%d keys unused for over 90 days: %s", len(stale), list(stale)),
			"revoke what is no longer needed (warden keys revoke ID)"))
	} else {
		out = append(out, pass(staleID, staleTitle, Low, "every live key was used in the last 90 days"))
	}
	return out
}

// list names up to five ids.
func list(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}
