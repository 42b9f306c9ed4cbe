# The two commands of the README: `make run` serves, `make test` tests.
GO ?= go

.PHONY: test run peers e2e bench-api bench-regmem bench-caps bench-media bench-kamailio

# Every test, the end-to-end ones included. As root it first installs the
# SIP peers those need (sipp, baresip, sox); otherwise it says what to
# install.
test: peers
	$(GO) test -count=1 -timeout 20m ./...

# Only the end-to-end tests (built binary + real peers); E2E_RUN picks some,
# e.g. make e2e E2E_RUN=TestTargetBusy
e2e: peers
	$(GO) test -count=1 -timeout 20m -v -run '$(or $(E2E_RUN),.)' ./e2e/

peers:
	@bash .ci/install-peers

# The service on its defaults: API on 127.0.0.1:8080, SIP on 0.0.0.0:5060,
# SQLite in ./sipsim-data.
run:
	$(GO) run ./cmd/sipsim serve

# Issue #7 benchmarks, not part of `make test`; each prints its summary
# and runs in under 5 minutes. BENCH_DB=postgres runs bench-api on a fresh
# schema of $SIPSIM_TEST_POSTGRES (dropped afterwards).
bench-api:
	$(GO) run ./bench/api --db $(or $(BENCH_DB),sqlite)

bench-regmem:
	$(GO) run ./bench/regmem

# BENCH_DB=postgres works here too.
bench-caps:
	$(GO) run ./bench/caps --db $(or $(BENCH_DB),sqlite)

bench-media:
	$(GO) run ./bench/media

# Needs Debian's kamailio (apt-get install kamailio); compare with bench-caps.
bench-kamailio:
	$(GO) run ./bench/kamailio
