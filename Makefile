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
# flap, stopping and adopting; then make demo's cluster, asserted: two
# directors (pulse, lvsd, nanny) serving NAT and direct-routing VIPs
# under load through a real server's failure, the primary's death and
# its return.
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
	CGO_ENABLED=0 $(GO) build -tags urfave_cli_no_docs -o bin/pulse ./cmd/pulse
	$(LAB) run --bin bin/pulse --bin bin/lvsd --bin bin/nanny --bin bin/ipvsadm --bin bin/labhttp testscripts/vm/cluster.sh test

lab-prepare:
	$(LAB) prepare

# Run any guest script in the lab: make lab SCRIPT=path/to/script.sh
lab: lab-prepare
	@test -n "$(SCRIPT)" || { echo "usage: make lab SCRIPT=path/to/script.sh" >&2; exit 2; }
	$(LAB) run $(LAB_FLAGS) $(SCRIPT)

# The kernel lab narrates a two-director cluster (testscripts/vm/
# cluster.sh demo; README, "make demo"): pulse, lvsd and nanny from one
# lvs.cf, requests through a NAT and a direct-routing VIP while a real
# server fails and the primary dies and comes back. About a minute.
demo: lab-prepare
	GO="$(GO)" testscripts/vm/demo.sh

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

# pulse for real, in network namespaces on this host
# (testscripts/pulsenet): kill -9 of the primary, failback never and
# preempt, arbitration and split brain, a Piranha peer, forged
# heartbeats; timed against keepalive 0.1 s and deadtime 0.5 s, so run
# on their own and without -race (go test ./... skips them). About 30 s;
# skipped without root or iproute2.
.PHONY: test-net bench-pulse
test: test-net
test-net:
	LVSKIT_NETTEST=1 $(GO) test -count=1 -v ./testscripts/pulsenet

# pulse's failover benchmark (README, "pulse failover benchmark"): kill
# -9 runs against Piranha's defaults and keepalived's VRRP, then 10
# minutes of 5% loss on the heartbeat link. About 15 minutes; exits 1
# when a target is missed. A smoke run:
# PULSEBENCH_FLAGS='-runs 3 -ref-runs 1 -loss-duration 30s'.
bench-pulse:
	$(GO) run ./testscripts/pulsenet/pulsebench $(PULSEBENCH_FLAGS)

# Installing (README, "Installing"): make install [PREFIX=...] [DESTDIR=...].
# The commands are built static (CGO_ENABLED=0) into bin/install, the
# daemons without urfave/cli's docs generator as the lab builds nanny;
# then they, the ipvsadm-save/-restore scripts, the man pages, the
# systemd units, the bash completion of ipvsadm and the sample lvs.cf are
# installed. PREFIX is /usr because the programs name /usr/sbin (lvsd
# runs /usr/sbin/nanny, pulse /usr/sbin/lvsd); under another SBINDIR or
# SYSCONFDIR the units are rewritten to it. The units' settings files go
# to SYSCONFDIR only where none exists, and uninstall removes them only
# if unchanged; lvs.cf itself is never written.
.PHONY: install-bin install uninstall test-install
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
INSTALL ?= install
INSTALL_BIN := bin/install
INSTALL_TOOLS := ipvsadm send_arp
INSTALL_DAEMONS := lvsd nanny pulse
INSTALL_SCRIPTS := ipvsadm-save ipvsadm-restore
INSTALL_UNITS := pulse.service lvsd.service ipvsadm.service
INSTALL_CONFIGS := sysconfig/pulse sysconfig/lvsd default/ipvsadm
INSTALL_MAN8 := $(notdir $(wildcard man/*.8))
INSTALL_MAN5 := $(notdir $(wildcard man/*.5))

install-bin:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(INSTALL_BIN)/ $(INSTALL_TOOLS:%=./cmd/%)
	CGO_ENABLED=0 $(GO) build -trimpath -tags urfave_cli_no_docs -o $(INSTALL_BIN)/ $(INSTALL_DAEMONS:%=./cmd/%)

install: install-bin
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(addprefix $(INSTALL_BIN)/,$(INSTALL_TOOLS) $(INSTALL_DAEMONS)) $(addprefix scripts/,$(INSTALL_SCRIPTS)) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 $(addprefix man/,$(INSTALL_MAN8)) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(addprefix man/,$(INSTALL_MAN5)) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -D -m 0644 dist/bash-completion/ipvsadm $(DESTDIR)$(BASHCOMPDIR)/ipvsadm
	$(INSTALL) -D -m 0644 dist/lvs.cf.sample $(DESTDIR)$(SYSCONFDIR)/sysconfig/ha/lvs.cf.sample
	@set -e; for u in $(INSTALL_UNITS); do \
	  sed -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/etc/|$(SYSCONFDIR)/|g' dist/systemd/$$u >$(INSTALL_BIN)/$$u; \
	  echo "$(INSTALL) -m 0644 dist/systemd/$$u $(DESTDIR)$(UNITDIR)/$$u"; \
	  $(INSTALL) -m 0644 $(INSTALL_BIN)/$$u $(DESTDIR)$(UNITDIR)/$$u; \
	done
	@set -e; for f in $(INSTALL_CONFIGS); do \
	  if [ -e $(DESTDIR)$(SYSCONFDIR)/$$f ]; then echo "keeping $(DESTDIR)$(SYSCONFDIR)/$$f"; continue; fi; \
	  echo "$(INSTALL) -D -m 0644 dist/$$f $(DESTDIR)$(SYSCONFDIR)/$$f"; \
	  $(INSTALL) -D -m 0644 dist/$$f $(DESTDIR)$(SYSCONFDIR)/$$f; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(INSTALL_TOOLS) $(INSTALL_DAEMONS) $(INSTALL_SCRIPTS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(INSTALL_MAN8)) $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(INSTALL_MAN5))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(INSTALL_UNITS))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/ipvsadm $(DESTDIR)$(SYSCONFDIR)/sysconfig/ha/lvs.cf.sample
	@for f in $(INSTALL_CONFIGS); do \
	  t=$(DESTDIR)$(SYSCONFDIR)/$$f; \
	  if [ ! -e $$t ]; then continue; fi; \
	  if cmp -s dist/$$f $$t; then echo "rm -f $$t"; rm -f $$t; else echo "keeping $$t: changed since it was installed"; fi; \
	done
	@rmdir $(DESTDIR)$(SYSCONFDIR)/sysconfig/ha $(DESTDIR)$(SYSCONFDIR)/sysconfig 2>/dev/null || true

# make install into a scratch DESTDIR, twice (PREFIX /usr and /usr/local),
# and check the tree: every file and mode, static builds, the programs
# run, man pages render and are found, units verify (systemd-analyze,
# where installed) and do what they say, the sample lvs.cf passes lvsd
# --check, the completion completes; settings kept; uninstall leaves
# nothing. See dist/test-install.sh.
test: test-install
test-install:
	GO="$(GO)" dist/test-install.sh
