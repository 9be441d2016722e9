package daemonlog

import "testing"

func TestColorOn(t *testing.T) {
	for _, tc := range []struct {
		when, noColor string
		term, want    bool
	}{
		{"auto", "", true, true},
		{"auto", "", false, false},
		{"auto", "1", true, false},
		{"always", "", false, true},
		{"always", "1", false, true},
		{"never", "", true, false},
	} {
		if got := ColorOn(tc.when, tc.noColor, tc.term); got != tc.want {
			t.Errorf("ColorOn(%q, NO_COLOR=%q, terminal %v) = %v, want %v", tc.when, tc.noColor, tc.term, got, tc.want)
		}
	}
}
