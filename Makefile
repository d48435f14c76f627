# Warden — build, test and benchmark.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
# Optional providers: pkcs11 (cgo; the HSM provider) and cloudkms (AWS, GCP,
# Azure key management). Tests run with pkcs11 against SoftHSM2 when it is
# installed; cloudkms is compile-tested by vet.
TAGS      ?=
TEST_TAGS ?= pkcs11

# staticcheck, pinned: .ci/run installs this version (make staticcheck-version).
STATICCHECK_VERSION := v0.8.2
STATICCHECK ?= staticcheck

.PHONY: build test bench fuzz resilience vet lint staticcheck-version node-deps clean pii-eval

build: ## build ./bin/warden (make build TAGS="pkcs11 cloudkms" for every KMS provider)
	$(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/warden ./cmd/warden

test: vet node-deps ## vet and run every test with the race detector (SQLite, PostgreSQL at 127.0.0.1:5432, Node SDK, SoftHSM2)
	$(GO) test -race -count=1 -tags '$(TEST_TAGS)' ./...

# The official openai npm package, for the Node SDK end-to-end test.
node-deps: clients/node/node_modules/.package-lock.json
clients/node/node_modules/.package-lock.json: clients/node/package.json clients/node/package-lock.json
	npm ci --prefix clients/node --no-audit --no-fund --loglevel=error

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags '$(TEST_TAGS)' ./...
	$(GO) vet -tags 'pkcs11 cloudkms' ./kms ./cmd/warden

# staticcheck with the checks of staticcheck.conf, over every build the
# tags make: the tested one (pkcs11), every KMS provider, and the default.
lint: ## staticcheck (staticcheck.conf) over the default, pkcs11 and cloudkms builds
	@$(STATICCHECK) -version | grep -q '($(STATICCHECK_VERSION:v%=%))' || { \
	  echo "lint: want staticcheck $(STATICCHECK_VERSION): go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)"; exit 1; }
	$(STATICCHECK) -tags '$(TEST_TAGS)' ./...
	$(STATICCHECK) -tags 'pkcs11 cloudkms' ./kms ./cmd/warden
	$(STATICCHECK) ./kms ./cmd/warden

staticcheck-version:
	@echo $(STATICCHECK_VERSION)

bench: ## end-to-end open-loop load test (direct, ReverseProxy floor, Warden) and Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./auth ./policy ./pipeline ./store ./ratelimit ./tokens ./auditlog ./seal ./retention ./content ./sink
	$(GO) run ./bench/cmd/loadbench -max

FUZZTIME ?= 30s
# A target whose cached corpus (from earlier, longer runs) takes about FUZZTIME
# to replay ends with "context deadline exceeded" and no failing input; it is
# run once more with a longer budget. A failing input always fails the target.
fuzz: ## run every fuzz target (found in the test files) for FUZZTIME each; CI runs them with FUZZTIME=2s
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  pkg=$$(dirname $$f); \
	  for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
	    echo "fuzz $$pkg $$t"; \
	    if ! out=$$($(GO) test $$pkg -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) 2>&1); then \
	      echo "$$out"; \
	      if echo "$$out" | grep -q 'Failing input written' || ! echo "$$out" | grep -q 'context deadline exceeded'; then exit 1; fi; \
	      echo "fuzz $$pkg $$t: the time ran out before fuzzing began (a large cached corpus); again with 20s"; \
	      $(GO) test $$pkg -run '^$$' -fuzz "^$$t\$$" -fuzztime 20s; \
	    else echo "$$out" | tail -n 2; fi; \
	  done; \
	done

# The resilience suite runs in `make test` too (3 kills); this target runs it
# alone, with KILLS crash cycles, and prints its report (docs/resilience.md).
KILLS ?= 10
RESILIENCE = TestCrashKeepsReleasedRecords|TestSinkOutageAndCrash|TestSlowClients|TestReloadUnderLoad|TestUpstreamFaults|TestStoreDownFailsClosed|TestTwoReplicas|TestAuditFailClosed|TestAuditFailClosedAdminActs|TestAuditFailOpen|TestLimiterDownFailsClosed|TestErrors|TestRawRequests|TestSizeLimits
resilience: ## kill -9 under load, upstream/store/log faults, slow clients, reload under load, two replicas; prints the suite's report
	@mkdir -p bin; WARDEN_RESILIENCE_KILLS=$(KILLS) $(GO) test -race -count=1 -v -run '^($(RESILIENCE))$$' ./cmd/warden ./gateway > bin/resilience.log 2>&1; rc=$$?; \
	  grep -E '^(--- (PASS|FAIL)|ok|FAIL)|resilience: ' bin/resilience.log | sed -E 's/^ +[a-z_]+\.go:[0-9]+: //'; \
	  [ $$rc -eq 0 ] || echo "resilience: failed; the whole output is in bin/resilience.log"; exit $$rc

clean:
	rm -rf bin .warden-dev

# The name model (content/ner): rebuild the gazetteers from NER_SRC, generate
# training data into NER_DATA, train the embedded weights; ner-eval scores
# them on the held-out split and the hand-labelled file.
NER_SRC  ?= ../shared/data/pii
NER_DATA ?= bin/ner-data
NER_SEED ?= 1
.PHONY: ner-train ner-eval
ner-train: ## rebuild content/ner's gazetteers and weights (deterministic) from NER_SRC
	$(GO) run ./content/ner/cmd/gazetteer -src $(NER_SRC) -out content/ner/data
	$(GO) run ./content/ner/cmd/gen -src $(NER_SRC) -seed $(NER_SEED) -n 60000 -out $(NER_DATA)
	$(GO) run ./content/ner/cmd/train -data $(NER_DATA) -out content/ner/model.bin

ner-eval: ## per-type precision/recall/F1 of the name model on its held-out and hand-labelled files
	$(GO) run ./content/ner/cmd/eval content/ner/testdata/heldout.jsonl content/ner/testdata/hand.jsonl

# Precision and recall of the content detectors on labelled data
# (docs/content.md, "Measured"): the held-out split that
# `go run ./content/cmd/piigen -seed 1 -out content/testdata/pii` writes,
# and the hand-written set beside it.
# The English common words the name rules read (content/piidata/NOTICE):
# SCOWL's small American list, from Debian's wamerican-small package.
.PHONY: pii-words
pii-words: ## rebuild content/piidata/words_en.txt.gz from Debian's wamerican-small (SCOWL)
	@d=$$(mktemp -d) && cd $$d && apt-get download wamerican-small >/dev/null && dpkg-deb -x wamerican-small_*.deb . && \
	  grep '^[a-z]\{3,\}$$' usr/share/dict/american-english-small | gzip -9n > $(CURDIR)/content/piidata/words_en.txt.gz && rm -rf $$d

pii-eval: ## per-entity precision, recall and over-redaction of the PII detectors on the held-out split
	@echo "== generated held-out split (content/testdata/pii/test.jsonl)"
	@$(GO) run ./content/cmd/piieval content/testdata/pii/test.jsonl
	@echo; echo "== hand-written sentences (content/testdata/pii/handwritten.jsonl)"
	@$(GO) run ./content/cmd/piieval content/testdata/pii/handwritten.jsonl
	@echo; echo "== hand-written texts in others' styles (content/testdata/pii/handwritten2.jsonl)"
	@$(GO) run ./content/cmd/piieval content/testdata/pii/handwritten2.jsonl
	@echo; echo "== hand-written texts of other domains: claims, statements, visas, schools, police, listings, travel (content/testdata/pii/handwritten3.jsonl)"
	@$(GO) run ./content/cmd/piieval content/testdata/pii/handwritten3.jsonl
	@echo; echo "== the name model alone (content/ner: held-out split, hand-labelled file)"
	@$(GO) run ./content/ner/cmd/eval content/ner/testdata/heldout.jsonl content/ner/testdata/hand.jsonl

# The prompt-injection classifier (content/inject; docs/content.md, "Prompt
# injection"): injection-train regenerates Warden's own data
# (content/testdata/injection, fixed seed) and trains the embedded weights
# from it and the shared data in INJ_DATA; injection-eval prints the ROC
# table and per-technique recall on the held-out split, which training
# never reads; injection-check trains twice and compares the weights with
# the committed ones byte for byte.
INJ_DATA  ?= ../shared/data
INJ_SEED  ?= 1
INJ_TRAIN ?= $(INJ_DATA)/injection-train.jsonl,$(INJ_DATA)/injection-dev.jsonl@3,content/testdata/injection/train.jsonl,content/testdata/injection/calib.jsonl,content/testdata/injection/hand.jsonl,content/testdata/injection/direct.jsonl@3,content/testdata/injection/system.jsonl@3
INJ_HELD  ?= $(INJ_DATA)/injection-train.jsonl,content/testdata/injection/heldout.jsonl,content/testdata/injection/hand-heldout.jsonl,content/testdata/injection/direct.jsonl@3,content/testdata/injection/system.jsonl@3
INJ_HALF  ?= $(subst $(INJ_DATA)/injection-dev.jsonl@3,$(INJ_DATA)/injection-dev.jsonl@3%even,$(INJ_TRAIN))
.PHONY: injection-data injection-train injection-eval injection-check injection-half
injection-data: ## regenerate content/testdata/injection's train, calib and heldout files (deterministic)
	$(GO) run ./content/cmd/injgen -seed $(INJ_SEED) -out content/testdata/injection

injection-train: injection-data ## train content/inject/model.bin (deterministic) from INJ_DATA and content/testdata/injection
	$(GO) run ./content/cmd/injtrain -seed $(INJ_SEED) -data $(INJ_TRAIN) -out content/inject/model.bin

injection-eval: ## ROC table, recall per technique and false positives per kind of benign text on the held-out split
	@$(GO) run ./content/cmd/injeval -data $(INJ_HELD)

injection-half: ## the deepset-style experiment: train without the odd rows of injection-dev.jsonl, then score them
	@mkdir -p bin
	$(GO) run ./content/cmd/injtrain -seed $(INJ_SEED) -data $(INJ_HALF) -out bin/inject-half.bin > /dev/null
	@$(GO) run ./content/cmd/injeval -model bin/inject-half.bin -data $(INJ_DATA)/injection-dev.jsonl%odd

injection-check: ## train twice; both runs must reproduce the committed weights byte for byte
	@mkdir -p bin
	$(GO) run ./content/cmd/injtrain -seed $(INJ_SEED) -data $(INJ_TRAIN) -out bin/inject-1.bin > /dev/null
	$(GO) run ./content/cmd/injtrain -seed $(INJ_SEED) -data $(INJ_TRAIN) -out bin/inject-2.bin > /dev/null
	cmp bin/inject-1.bin bin/inject-2.bin
	cmp bin/inject-1.bin content/inject/model.bin
	@echo "injection-check: identical weights"
