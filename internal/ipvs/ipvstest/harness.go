// Package ipvstest is the contract suite of ipvs.Table: one set of
// behaviours (errnos, defaults, flags, ordering, counters) that every
// implementation must show. It runs against the in-memory fake in every
// `go test ./...` and against the real kernel in the kernel lab, with the
// same expectations; where the two disagree, the kernel is right and the
// fake is fixed.
package ipvstest

import (
	"net/netip"
	"testing"

	"lvskit/internal/ipvs"
)

// Harness adapts one Table implementation to the suite.
type Harness interface {
	// Open returns a table in the kernel's pristine state: no services,
	// no sync daemons, default timeouts (900 120 300), with the loopback
	// interface "lo" present and up (127.0.0.1 and ::1 local). Each call
	// returns an independent table (the kernel harness opens a fresh
	// network namespace). Open registers the table's Close with
	// t.Cleanup.
	Open(t *testing.T) ipvs.Table

	// Traffic makes at least one complete TCP connection to vip through
	// tb, so that the counters of the service at vip and of its
	// destination become non-zero. The suite first creates a TCP service
	// at vip with vip itself as its only destination (a local real
	// server), and vip is an address local to tb's namespace.
	Traffic(t *testing.T, tb ipvs.Table, vip netip.AddrPort)

	// SetStats forces the counters of a service (dest == nil) or of one
	// of its destinations. It reports false when the backend cannot do
	// that (a real kernel), and the suite then skips the check, saying
	// why.
	SetStats(t *testing.T, tb ipvs.Table, svc ipvs.ServiceKey, dest *ipvs.DestKey, s ipvs.Stats) bool
}
