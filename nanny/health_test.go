package nanny

import (
	"strings"
	"testing"
)

// run feeds a pattern of results ("+" success, "-" failure) and returns
// the verdict after each as "U" or "D".
func run(h *health, pattern string) string {
	var b strings.Builder
	for _, c := range pattern {
		h.observe(c == '+')
		if h.up {
			b.WriteByte('U')
		} else {
			b.WriteByte('D')
		}
	}
	return b.String()
}

func TestHealth(t *testing.T) {
	for _, tc := range []struct {
		fall, rise int
		in, want   string
	}{
		// The first success puts a new server in, whatever rise is.
		{1, 3, "+", "U"},
		{1, 3, "-+", "DD"},
		// Piranha: one failure takes a server out.
		{1, 1, "+-+", "UDU"},
		// fall=3: a server failing one check in three stays in.
		{3, 2, "+--+--+--+--+", "UUUUUUUUUUUUU"},
		{3, 2, "+---", "UUUD"},
		{3, 2, "+--+---", "UUUUUUD"},
		// rise=2: back after two successes, a failure restarts the count.
		{3, 2, "+---++", "UUUDDU"},
		{3, 2, "+---+-++", "UUUDDDDU"},
		{1, 4, "+-++++", "UDDDDU"},
	} {
		if got := run(newHealth(tc.fall, tc.rise), tc.in); got != tc.want {
			t.Errorf("fall %d rise %d %s: %s, want %s", tc.fall, tc.rise, tc.in, got, tc.want)
		}
	}
}

func TestHealthSet(t *testing.T) {
	h := newHealth(2, 3)
	h.set(true)
	if got := run(h, "--"); got != "UD" {
		t.Errorf("adopted server: %s, want UD", got)
	}
	h.set(false)
	if got := run(h, "+++"); got != "DDU" {
		t.Errorf("forced down: %s, want DDU", got)
	}
}
