// Package config is Warden's versioned YAML configuration: the types, a strict
// decoder that reports every unknown key with its path, and Validate, which
// lists every problem at once. Nothing here touches the network or the store;
// turning a valid Config into running state is the gateway's job.
package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Version is the only configuration format version this build understands.
const Version = 1

// Config is the whole configuration file (docs/configuration.md).
type Config struct {
	Version   int       `yaml:"version"`
	DataDir   string    `yaml:"data_dir"`
	Server    Server    `yaml:"server"`
	Storage   Storage   `yaml:"storage"`
	RateLimit RateLimit `yaml:"ratelimit"`
	KMS       KMS       `yaml:"kms"`
	Audit     Audit     `yaml:"audit"`
	Auth      Auth      `yaml:"auth"`
	Log       Log       `yaml:"log"`
	Roles     []Role    `yaml:"roles"`
	Models    []Model   `yaml:"models"`
	// Classifications say what is kept of a model's prompts and responses
	// and for how long; listed from least to most sensitive.
	Classifications []Classification `yaml:"classifications"`
	// Content says what happens to sensitive values and forbidden content
	// in requests and responses.
	Content Content `yaml:"content"`
	// Approvals hold high-risk requests for a human decision.
	Approvals Approvals `yaml:"approvals"`
	// Alerts tell people about denials, spikes and probing as they happen.
	Alerts []Alert `yaml:"alerts"`
	// Telemetry exports traces of the data path (never content).
	Telemetry Telemetry `yaml:"telemetry"`
	Console   Console   `yaml:"console"` // the web console (config/console.go)
}

// Alert is an alert rule (docs/alerts.md).
type Alert struct {
	Name string `yaml:"name"`
	// When: denied, volume, restricted_model, content_blocked, injection
	// or key_expiry.
	When string `yaml:"when"`
	// Threshold: events within Window for one principal (volume: a
	// multiple of the principal's baseline; key_expiry: unused).
	Threshold float64  `yaml:"threshold"`
	Window    Duration `yaml:"window"`    // default 1m (key_expiry: how long before expiry)
	MinCount  int      `yaml:"min_count"` // volume: the least requests in a window that can fire (default 20)
	Notify    Notify   `yaml:"notify"`
}

// Approvals configure just-in-time approval of high-risk requests.
type Approvals struct {
	// Approvers are the roles whose principals may decide (they also need
	// the approve capability); empty: any role with approve.
	Approvers []string `yaml:"approvers"`
	// TTL is how long a decision stands: an approved request may be sent
	// again, identical, by the same principal until then (default 1h). A
	// pending approval lapses after it too.
	TTL Duration `yaml:"ttl"`
	// Hold is how long a held request waits for a decision before it is
	// answered 403 approval_required (default 0: at once; at most 5m).
	Hold Duration `yaml:"hold"`
	// SelfApproval lets a principal approve its own requests.
	SelfApproval bool `yaml:"self_approval"`
	// MaxPending bounds the approvals one principal may have waiting
	// (default 10): past it, new held requests are refused with 429.
	MaxPending int            `yaml:"max_pending"`
	Rules      []ApprovalRule `yaml:"rules"`
	// Notify are told of every new approval request.
	Notify Notify `yaml:"notify"`
}

// Notify lists where notifications go: a list of targets, or the short
// form {webhook: URL, slack: URL, secret: REF} (docs/alerts.md), which names a
// target "webhook" (signed with secret, if given) and one "slack".
type Notify []NotifyTarget

// UnmarshalYAML implements yaml.Unmarshaler for both forms.
func (t *Notify) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		var list []NotifyTarget
		if err := n.Decode(&list); err != nil {
			return err
		}
		*t = list
		return nil
	}
	var short struct {
		Webhook, Slack, Secret Secret
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst *Secret
		switch k.Value {
		case "webhook":
			dst = &short.Webhook
		case "slack":
			dst = &short.Slack
		case "secret":
			dst = &short.Secret
		default:
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown key %q (want webhook, slack and secret, or a list of targets)", k.Line, k.Value)}}
		}
		if v.Kind != yaml.ScalarNode {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s: want a URL or an env:/file: reference", v.Line, k.Value)}}
		}
		*dst = Secret(v.Value)
	}
	var list []NotifyTarget
	if short.Webhook != "" {
		list = append(list, NotifyTarget{Name: "webhook", Type: "webhook", URL: short.Webhook, Secret: short.Secret})
	} else if short.Secret != "" {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: secret: only used with webhook", n.Line)}}
	}
	if short.Slack != "" {
		list = append(list, NotifyTarget{Name: "slack", Type: "slack", URL: short.Slack})
	}
	*t = list
	return nil
}

// NotifyTarget is a webhook that notifications are posted to.
type NotifyTarget struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // slack (Slack-compatible {"text": ...}) or webhook (signed JSON)
	// URL: an env:/file: reference, or for type webhook an https URL
	// without credentials (a Slack webhook URL is itself a secret).
	URL    Secret `yaml:"url"`
	Secret Secret `yaml:"secret"` // webhook: env:/file: reference to the HMAC key of X-Warden-Signature
}

// ApprovalRule says which requests need approval: all of its set
// conditions must hold.
type ApprovalRule struct {
	Name            string   `yaml:"name"`
	Models          []string `yaml:"models"`       // globs
	Namespaces      []string `yaml:"namespaces"`   // the model's namespace
	Capabilities    []string `yaml:"capabilities"` // the endpoint's: chat, completions, embeddings
	Roles           []string `yaml:"roles"`        // the role that allowed the request
	Entities        []string `yaml:"entities"`     // the content controls found one of these (pii entities)
	Injection       bool     `yaml:"injection"`    // the content controls flagged an injection
	MinPromptTokens int64    `yaml:"min_prompt_tokens"`
}

// ModelApproval is a model's own approval requirement.
type ModelApproval struct {
	Required bool `yaml:"required"` // every request to the model needs approval
}

// Content is the content-control policy (docs/content.md).
type Content struct {
	Request  ContentStage `yaml:"request"`
	Response ContentStage `yaml:"response"`
	// PhoneRegions: national phone numbers (without +country code) are
	// checked against these regions' number plans (ISO 3166; default US).
	PhoneRegions []string `yaml:"phone_regions"`
	// Analyzers are external analyzers whose findings join Warden's own
	// in requests (off by default; docs/content.md, "External analyzers").
	Analyzers []ContentAnalyzer `yaml:"analyzers"`
	// Guards are external injection screens asked about the texts a
	// request policy screens for injection (off by default;
	// docs/content.md, "External guards").
	Guards []ContentGuard `yaml:"guards"`
}

// ContentGuard is an external injection screen: a service speaking
// Warden's guard shape (type http: POST {url}) or Lakera Guard's
// (type lakera: POST {url}/v2/guard).
type ContentGuard struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // http or lakera
	// URL: for http the endpoint itself, for lakera the base URL
	// (default https://api.lakera.ai); http:// or https://, without
	// credentials or a query.
	URL string `yaml:"url"`
	// APIKey is sent as Authorization: Bearer (an env:/file: reference).
	APIKey  Secret   `yaml:"api_key"`
	Timeout Duration `yaml:"timeout"` // default 2s, at most 30s
	// OnError: block (the default) refuses a request the guard cannot
	// screen (503 guard_unavailable); allow forwards it on Warden's own
	// screening.
	OnError string `yaml:"on_error"`
}

// ContentAnalyzer is an external analyzer: a Presidio Analyzer that
// requests' text is sent to (POST {url}/analyze) before the policy is
// applied.
type ContentAnalyzer struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // presidio
	// URL is the analyzer's base URL, http:// or https://, without
	// credentials or a query.
	URL string `yaml:"url"`
	// Entities are the Presidio entity types asked for (default: every
	// type Warden maps to an entity of its own).
	Entities []string `yaml:"entities"`
	Language string   `yaml:"language"` // default en
	// ScoreThreshold: results scored below it are not used (default 0.5).
	ScoreThreshold float64  `yaml:"score_threshold"`
	Timeout        Duration `yaml:"timeout"` // default 2s, at most 30s
	// OnError: block (the default) refuses a request the analyzer cannot
	// screen (503 analyzer_unavailable); allow forwards it with Warden's
	// own findings.
	OnError string `yaml:"on_error"`
}

// ContentStage is the policy of one direction.
type ContentStage struct {
	// PII maps an entity (content.Entities: email, phone, date, ...) or
	// a preset of entities (content.Presets: hipaa_safe_harbor, gdpr,
	// pci) to an action (allow, flag, mask, hash, pseudonymize, redact, block); an
	// entity named itself wins over a preset.
	PII  map[string]string `yaml:"pii"`
	Deny []DenyRule        `yaml:"deny"`
	// Injection screening: block, flag, shadow (record what block would
	// block, blocking nothing) or off (the default), from a calibrated
	// probability of InjectionThreshold, in (0,1] (0: the default,
	// content.InjectionThreshold); texts a tool supplied from
	// InjectionToolThreshold (0: the default, content.InjectionToolThreshold).
	Injection              string  `yaml:"injection"`
	InjectionThreshold     float64 `yaml:"injection_threshold"`
	InjectionToolThreshold float64 `yaml:"injection_tool_threshold"`
	// InjectionSystemThreshold is system and developer messages' (0: the
	// default, content.InjectionSystemThreshold).
	InjectionSystemThreshold float64 `yaml:"injection_system_threshold"`
	// InjectionSources are the origins screened: user, tool, system
	// (default all three; [user, tool] trusts system and developer
	// messages).
	InjectionSources []string `yaml:"injection_sources,omitempty"`
	// Fields narrows which JSON fields are filtered (content.* only).
	Fields FieldRules `yaml:"fields"`
}

// FieldRules select the JSON fields a content policy filters, beyond the
// built-in rule that names, ids, schemas and images are not content:
// with Include, only fields within one of those paths; never fields
// within an Exclude path. Paths: messages[*].content, tools[*].function.name.
type FieldRules struct {
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// ContentOverride is a role's or a model's own content policy: its pii
// actions replace the global ones entity by entity (a role's over a
// model's), its deny rules are added, and its injection mode, if set,
// replaces the global one.
type ContentOverride struct {
	Request  ContentStage `yaml:"request"`
	Response ContentStage `yaml:"response"`
}

// DenyRule refuses (or redacts, or flags) content matching a regular
// expression (RE2 syntax) or containing one of a list of phrases.
type DenyRule struct {
	Name    string   `yaml:"name"`
	Pattern string   `yaml:"pattern"`
	Phrases []string `yaml:"phrases"`
	Action  string   `yaml:"action"` // block (default), redact or flag
}

// Classification is a data classification (docs/encryption.md).
type Classification struct {
	Name string `yaml:"name"`
	// Store: full (payloads sealed and kept), hash_only (records carry
	// keyed hashes only; the default) or none (not even hashes).
	Store     string   `yaml:"store"`
	Retention Duration `yaml:"retention"` // how long stored payloads are kept
}

// Classification store modes.
const (
	StoreFull     = "full"
	StoreHashOnly = "hash_only"
	StoreNone     = "none"
)

// Classification returns the named classification, or nil.
func (c *Config) Classification(name string) *Classification {
	for i := range c.Classifications {
		if c.Classifications[i].Name == name {
			return &c.Classifications[i]
		}
	}
	return nil
}

// Role returns the named role, or nil.
func (c *Config) Role(name string) *Role {
	for i := range c.Roles {
		if c.Roles[i].Name == name {
			return &c.Roles[i]
		}
	}
	return nil
}

// HasRole reports whether a role of that name is defined.
func (c *Config) HasRole(name string) bool {
	for _, r := range c.Roles {
		if r.Name == name {
			return true
		}
	}
	return false
}

// Server configures the listener.
type Server struct {
	Listen         string   `yaml:"listen"`
	TLS            *TLS     `yaml:"tls"` // nil: plain HTTP (behind a TLS-terminating proxy only)
	TrustedProxies []string `yaml:"trusted_proxies"`
	MaxBodyBytes   int64    `yaml:"max_body_bytes"`
	// MetricsListen, if set, serves /metrics (plain HTTP) on this address
	// only, instead of on the main listener where any client can read it.
	MetricsListen string   `yaml:"metrics_listen"`
	Timeouts      Timeouts `yaml:"timeouts"`
}

// TLS configures the listener's certificate and client-certificate policy.
type TLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	MinVersion   string `yaml:"min_version"` // "1.2" or "1.3" (default)
	ClientCAFile string `yaml:"client_ca_file"`
	ClientAuth   string `yaml:"client_auth"` // none (default), request, require
}

// Timeouts bound how long a client may take. There is deliberately no write
// timeout: it would cut long streams. Upstream time is bounded per model.
type Timeouts struct {
	ReadHeader Duration `yaml:"read_header"` // default 10s
	Read       Duration `yaml:"read"`        // whole request incl. body; default 60s
	Idle       Duration `yaml:"idle"`        // keep-alive idle; default 120s
	Shutdown   Duration `yaml:"shutdown"`    // drain deadline on SIGTERM; default 30s
	// WriteStall bounds each write to the client, not the whole response:
	// a client that stops reading its stream is cut off; default 60s.
	WriteStall Duration `yaml:"write_stall"`
}

// Storage selects the SQL store.
type Storage struct {
	Driver string `yaml:"driver"` // sqlite (default) or postgres
	DSN    Secret `yaml:"dsn"`    // sqlite: file path (default DATA_DIR/warden.db); postgres: URL, may be env:/file:
}

// KMS selects the key-encryption provider.
type KMS struct {
	Provider      string    `yaml:"provider"` // local (default), pkcs11, vault, awskms, gcpkms or azurekeyvault
	Local         LocalKMS  `yaml:"local"`
	PKCS11        PKCS11KMS `yaml:"pkcs11"`
	Vault         VaultKMS  `yaml:"vault"`
	AWSKMS        CloudKMS  `yaml:"awskms"`
	GCPKMS        CloudKMS  `yaml:"gcpkms"`
	AzureKeyVault CloudKMS  `yaml:"azurekeyvault"`
}

// CloudKMS is a cloud KMS key that wraps the master key of a key ring kept
// beside the key file (gocloud.dev/secrets URLs).
type CloudKMS struct {
	KeyURL  string `yaml:"key_url"`  // e.g. awskms://alias/warden?region=eu-central-1
	KeyFile string `yaml:"key_file"` // the wrapped master key, outside data_dir; created on first use
}

// PKCS11KMS is a token (an HSM) reached through a PKCS#11 module.
type PKCS11KMS struct {
	Module     string `yaml:"module"`      // the module's shared library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string `yaml:"token_label"` // the token's label
	PIN        Secret `yaml:"pin"`         // env:/file: reference to the user PIN
}

// VaultKMS is HashiCorp Vault's Transit secrets engine.
type VaultKMS struct {
	Address string `yaml:"address"` // e.g. https://vault.example.com:8200
	Token   Secret `yaml:"token"`   // env:/file: reference to a token allowed the Transit paths
	Mount   string `yaml:"mount"`   // the Transit mount; default "transit"
}

// LocalKMS is a master key in a file, which must lie outside data_dir.
type LocalKMS struct {
	KeyFile string `yaml:"key_file"`
}

// Audit configures the verifiable audit log (docs/audit.md).
type Audit struct {
	Origin         string `yaml:"origin"`
	SigningKeyFile string `yaml:"signing_key_file"`
	// Durability: "sync" (default) releases a response only once its
	// record is durably in the log; "async" does not wait.
	Durability string `yaml:"durability"`
	// FailMode: "closed" (default) refuses inference while the log cannot
	// take records; "open" serves and logs the failure.
	FailMode string `yaml:"fail_mode"`
	// CheckpointInterval is how often a new checkpoint is signed (default
	// 1s, at least 100ms): records are provable once one covers them.
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
	// Sinks receive every record and checkpoint as the log grows.
	Sinks []AuditSink `yaml:"sinks"`
}

// AuditSink is where the audit log is shipped (docs/siem.md).
type AuditSink struct {
	Name string `yaml:"name"`
	// Type: splunk_hec, elasticsearch, azure_monitor, webhook, syslog, s3
	// or file.
	Type     string `yaml:"type"`
	URL      Secret `yaml:"url"`      // splunk_hec, elasticsearch, webhook
	Token    Secret `yaml:"token"`    // splunk_hec: env:/file: reference to the HEC token
	Ack      bool   `yaml:"ack"`      // splunk_hec: wait for indexer acknowledgement
	Index    string `yaml:"index"`    // splunk_hec, elasticsearch: the index
	APIKey   Secret `yaml:"api_key"`  // elasticsearch: env:/file: reference
	Username string `yaml:"username"` // elasticsearch: basic auth
	Password Secret `yaml:"password"` // elasticsearch: env:/file: reference
	Secret   Secret `yaml:"secret"`   // webhook: env:/file: reference to the signing key
	Path     string `yaml:"path"`     // file
	MaxSize  int64  `yaml:"max_size"` // file: bytes before rotation (default 100 MiB)
	CAFile   string `yaml:"ca_file"`  // syslog over TLS: the CA to trust (default: the system's)
	Hostname string `yaml:"hostname"` // syslog: the HOSTNAME field (default: the machine's)
	// s3: a bucket with Object Lock enabled; objects are locked in
	// compliance mode for Retention.
	Bucket          string   `yaml:"bucket"`
	Prefix          string   `yaml:"prefix"`
	Region          string   `yaml:"region"`
	AccessKeyID     Secret   `yaml:"access_key_id"`
	SecretAccessKey Secret   `yaml:"secret_access_key"`
	Retention       Duration `yaml:"retention"`
	PathStyle       bool     `yaml:"path_style"`
	// azure_monitor: the Logs Ingestion API (url: the data collection
	// endpoint), a data collection rule and stream, and an Entra ID app.
	RuleID       string `yaml:"rule_id"`
	Stream       string `yaml:"stream"`
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	Batch        int    `yaml:"batch"` // events per request (default 500)
}

// Audit durability and failure modes.
const (
	DurabilitySync  = "sync"
	DurabilityAsync = "async"
	FailClosed      = "closed"
	FailOpen        = "open"
)

// RateLimit selects where rate-limit and quota counters live.
type RateLimit struct {
	Driver string `yaml:"driver"` // memory (default; per process) or redis (shared by replicas)
	URL    Secret `yaml:"url"`    // redis: redis://host:6379/0; with a password, an env:/file: reference
	// Prefix starts every Redis key (default "warden:"). Deployments that
	// share one Redis but not their budgets need different prefixes.
	Prefix string `yaml:"prefix"`
}

// Auth enables authenticators and the global address allowlist.
type Auth struct {
	APIKeys APIKeys  `yaml:"api_keys"`
	OIDC    []OIDC   `yaml:"oidc"`
	MTLS    MTLS     `yaml:"mtls"`
	IPAllow []string `yaml:"ip_allow"` // CIDRs or addresses; empty = any
}

// OIDC trusts bearer JWTs (access or ID tokens) from one issuer.
type OIDC struct {
	Issuer       string   `yaml:"issuer"`        // exact iss; discovery at ISSUER/.well-known/openid-configuration
	Audience     string   `yaml:"audience"`      // required aud value
	SubjectClaim string   `yaml:"subject_claim"` // default "sub"
	GroupsClaim  string   `yaml:"groups_claim"`  // default "groups"; dotted path for nested claims ("realm_access.roles")
	Algorithms   []string `yaml:"algorithms"`    // allowed JWS algorithms; default all of JWSAlgorithms (never none or HS*)
	JWKSURL      string   `yaml:"jwks_url"`      // optional: skip discovery and use this key set
	Leeway       Duration `yaml:"leeway"`        // clock skew allowed for exp, nbf, iat; default 30s
}

// MTLS makes verified client certificates credentials.
type MTLS struct {
	Enabled      bool   `yaml:"enabled"`
	IdentityFrom string `yaml:"identity_from"` // spiffe (URI SAN spiffe://...) when present, else cn: "auto" (default), "cn", "spiffe"
	GroupsFrom   string `yaml:"groups_from"`   // ou (default) or none
	CRLFile      string `yaml:"crl_file"`      // optional PEM or DER CRL from the client CA; revoked certificates are refused
}

// APIKeys configures Warden-issued API keys.
type APIKeys struct {
	Enabled *bool `yaml:"enabled"` // default true
}

// On reports whether API keys are accepted.
func (a APIKeys) On() bool { return a.Enabled == nil || *a.Enabled }

// Log configures the process log.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // json (default) or text
}

// Role grants models, namespaces and capabilities.
type Role struct {
	Name         string   `yaml:"name"`
	Groups       []string `yaml:"groups"`     // IdP groups (OIDC claim, mTLS OU) granting the role; exact match
	Models       []string `yaml:"models"`     // globs over model names
	Namespaces   []string `yaml:"namespaces"` // empty = any namespace
	Capabilities []string `yaml:"capabilities"`
	IPAllow      []string `yaml:"ip_allow"` // CIDRs or addresses; empty = any
	Limits       Limits   `yaml:"limits"`
	// Classification, if set, is the least sensitive classification this
	// role's requests get: it raises a model's, never lowers it.
	Classification string `yaml:"classification"`
	// Content overrides content.* for this role's requests.
	Content *ContentOverride `yaml:"content"`
	// RequireMFA: signing in to the console needs a second factor (config/console.go).
	RequireMFA bool `yaml:"require_mfa"`
}

// Limits bound what one principal may use; zero means unlimited.
type Limits struct {
	RequestsPerMinute int64 `yaml:"requests_per_minute"`
	TokensPerMinute   int64 `yaml:"tokens_per_minute"`
	TokensPerDay      int64 `yaml:"tokens_per_day"`
	TokensPerMonth    int64 `yaml:"tokens_per_month"`
	// Size limits of one request (0: none).
	MaxPromptTokens int64 `yaml:"max_prompt_tokens"` // the prompt, estimated
	MaxTokens       int64 `yaml:"max_tokens"`        // completion tokens asked for per choice
}

// ModelLimits are a model's size limits of one request (0: none).
type ModelLimits struct {
	MaxPromptTokens int64 `yaml:"max_prompt_tokens"`
	MaxTokens       int64 `yaml:"max_tokens"`
}

// Model is one model clients may name, and where it is served.
type Model struct {
	Name      string `yaml:"name"`
	Version   string `yaml:"version"`
	Digest    string `yaml:"digest"`
	Namespace string `yaml:"namespace"`
	// Classification names the model's data classification (none: records
	// carry keyed hashes, nothing is stored).
	Classification string      `yaml:"classification"`
	Builtin        string      `yaml:"builtin"` // "demo": the built-in demonstration model, no upstream
	Upstream       Upstream    `yaml:"upstream"`
	Limits         ModelLimits `yaml:"limits"`
	// Content overrides content.* for this model's requests.
	Content *ContentOverride `yaml:"content"`
	// Approval: whether every request to the model needs approval.
	Approval ModelApproval `yaml:"approval"`
}

// Upstream is an OpenAI-compatible model server.
type Upstream struct {
	URL     string   `yaml:"url"`     // base URL including /v1, e.g. http://vllm:8000/v1
	Model   string   `yaml:"model"`   // model name the upstream expects; default: the model's name
	APIKey  Secret   `yaml:"api_key"` // sent as Authorization: Bearer; never the client's
	Timeout Duration `yaml:"timeout"` // time to the upstream's response headers; default 120s
	// IdleTimeout is the longest silence allowed once a response (a stream)
	// has started; default 300s. A silent upstream is cut off, not waited on.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// API is what the upstream speaks: openai_chat (the default: Chat
	// Completions, as vLLM, Ollama, TGI and OpenAI do) or anthropic
	// (Anthropic's Messages API; docs/interfaces.md).
	API string `yaml:"api"`
}

// Upstream APIs (models[].upstream.api).
const (
	APIOpenAIChat = "openai_chat"
	APIAnthropic  = "anthropic"
)

// Capabilities are the capability names a role may grant.
var Capabilities = []string{"chat", "completions", "embeddings", "stream", "admin", "audit.read", "audit.decrypt", "approve"}
