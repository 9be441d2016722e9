#!/bin/sh
# make demo without make (run on the host, from anywhere): build the
# binaries the kernel lab needs and boot it to narrate a two-director
# LVS cluster: pulse, lvsd and nanny on two directors from one lvs.cf,
# three real servers, a client sending requests all along through a NAT
# and a direct-routing VIP while a real server fails and the primary
# director dies and comes back. The scenario is testscripts/vm/cluster.sh
# (`cluster.sh test` asserts it in make test-lab); about a minute.
set -eu
cd "$(dirname "$0")/../.."
GO=${GO:-go}
bin=$(mktemp -d "${TMPDIR:-/tmp}/lvskit-demo.XXXXXX")
trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 $GO build -o "$bin/ipvsadm" ./cmd/ipvsadm
CGO_ENABLED=0 $GO build -o "$bin/labhttp" ./testscripts/vm/labhttp
for c in lvsd nanny pulse; do
	CGO_ENABLED=0 $GO build -tags urfave_cli_no_docs -o "$bin/$c" ./cmd/$c
done
testscripts/vm/lab run --bin "$bin/pulse" --bin "$bin/lvsd" --bin "$bin/nanny" --bin "$bin/ipvsadm" \
	--bin "$bin/labhttp" testscripts/vm/cluster.sh demo
