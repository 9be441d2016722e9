package nanny

// health counts check results into a verdict with hysteresis: a server
// in service leaves after fall consecutive failures, one out of service
// returns after rise consecutive successes. Piranha's nanny had no fall
// count (one failed check took a server out) and called rise
// reentry / timeout.
type health struct {
	fall, rise int
	up         bool
	fails, oks int
}

// newHealth starts out of service, one success short of rising: the
// first good check puts a new server in at once, as Piranha's did (it
// started its count at the threshold).
func newHealth(fall, rise int) *health {
	return &health{fall: fall, rise: rise, oks: rise - 1}
}

// observe records a check's result and reports whether the verdict
// changed.
func (h *health) observe(ok bool) bool {
	switch {
	case ok && h.up:
		h.fails = 0
	case ok:
		h.oks++
		if h.oks >= h.rise {
			h.up, h.oks, h.fails = true, 0, 0
			return true
		}
	case h.up:
		h.fails++
		if h.fails >= h.fall {
			h.up, h.oks, h.fails = false, 0, 0
			return true
		}
	default:
		h.oks = 0
	}
	return false
}

// set forces the verdict (an adopted server, an operator's order); a
// server set down returns after rise successes.
func (h *health) set(up bool) {
	h.up, h.fails, h.oks = up, 0, 0
}
