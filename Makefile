# lvskit build and test entry points. `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
LAB := testscripts/vm/lab
PKGS := ./...

.PHONY: all build test test-host test-lab lint demo lab lab-prepare fuzz clean bench-ipvsadm bench-nanny goldens-upstream

all: build

build:
	$(GO) build $(PKGS)

# Everything: static checks, the host suite (pure, wire, contract on the
# fake) and the kernel lab (contract on a real kernel).
test: lint test-host test-lab

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test-host:
	$(GO) test -race -count=1 $(PKGS)

# In the kernel lab: the netlink package's tests against the Debian
# kernel's IPVS (the contract suite among them), then every ipvsadm
# scenario run with upstream ipvsadm and with ours, compared byte for
# byte, then both loading the ip_vs module themselves, then our
# ipvsadm-save and ipvsadm-restore against Debian's, then lvsd with real
# HTTP traffic through a NAT virtual service across a reload and a
# restart, then nanny taking real servers out of the table and back in
# (timed against its fall, rise, interval and timeout), riding out a
# flap, stopping and adopting.
test-lab: lab-prepare
	$(LAB) gotest ./internal/ipvs/netlink
	testscripts/vm/ipvsadm-diff/diff.sh
	CGO_ENABLED=0 $(GO) build -o bin/ipvsadm ./cmd/ipvsadm
	$(LAB) run --bin bin/ipvsadm testscripts/vm/modprobe.sh
	$(LAB) run --bin bin/ipvsadm --file scripts:/lvskit/scripts testscripts/vm/save-restore-scripts.sh
	CGO_ENABLED=0 $(GO) build -o bin/lvsd ./cmd/lvsd
	CGO_ENABLED=0 $(GO) build -o bin/labhttp ./testscripts/vm/labhttp
	$(LAB) run --bin bin/lvsd --bin bin/labhttp testscripts/vm/lvsd-traffic.sh
	CGO_ENABLED=0 $(GO) build -tags urfave_cli_no_docs -o bin/nanny ./cmd/nanny
	$(LAB) run --bin bin/nanny --bin bin/labhttp testscripts/vm/nanny-lab.sh

lab-prepare:
	$(LAB) prepare

# Run any guest script in the lab: make lab SCRIPT=path/to/script.sh
lab: lab-prepare
	@test -n "$(SCRIPT)" || { echo "usage: make lab SCRIPT=path/to/script.sh" >&2; exit 2; }
	$(LAB) run $(LAB_FLAGS) $(SCRIPT)

# A short session in the kernel lab: upstream ipvsadm builds a table and
# lvskit's netlink client reads it back.
demo: lab-prepare
	CGO_ENABLED=0 $(GO) build -o bin/ipvsdump ./testscripts/vm/ipvsdump
	$(LAB) run --bin bin/ipvsdump testscripts/vm/demo.sh

# Regenerate testscripts/testdata/upstream: run the ipvsadm differential
# test in the lab with DIFF_OUT, then turn its scenarios and upstream's
# transcripts into golden scripts over the fake (testscripts/internal/
# diffgolden). FILTER=word limits both steps to matching scenarios.
# diff.sh's status 1 (some line differs) still leaves valid upstream
# transcripts; anything else stops here.
goldens-upstream: lab-prepare
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/goldens-upstream.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
	  rc=0; DIFF_OUT="$$tmp" testscripts/vm/ipvsadm-diff/diff.sh $(FILTER) || rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 1 ]; then echo "goldens-upstream: diff.sh failed ($$rc)" >&2; exit $$rc; fi; \
	  $(GO) run ./testscripts/internal/diffgolden -transcripts "$$tmp" $(FILTER)

# ipvsadm against upstream ipvsadm in one boot of the lab, as ratios.
bench-ipvsadm: lab-prepare
	CGO_ENABLED=0 $(GO) build -o bin/ipvsadm ./cmd/ipvsadm
	$(LAB) run --bin bin/ipvsadm testscripts/vm/bench-ipvsadm.sh

# 1,000 nanny processes (--test-start, no IPVS needed) checking 1,000
# loopback servers every second, on this host: memory per process and
# CPU of all, against the README's targets. About a minute; exits 1 when
# a target is missed. NANNYBENCH_FLAGS='-n 100 -check both' and the like.
bench-nanny:
	$(GO) run ./testscripts/nannybench -floor $(NANNYBENCH_FLAGS)

# Short fuzz runs of every fuzz target (the corpus lives in testdata/fuzz).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
