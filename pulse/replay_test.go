package pulse

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

func hb(epoch, seq uint64) Heartbeat {
	h := goldenHeartbeat
	h.Epoch, h.Seq = epoch, seq
	return h
}

func TestGuardSequence(t *testing.T) {
	steps := []struct {
		epoch, seq uint64
		want       error // nil: accepted
		note       string
	}{
		{100, 5, nil, "first packet fixes (epoch, seq), whatever they are"},
		{100, 6, nil, "next in sequence"},
		{100, 6, ErrReplay, "duplicate (e.g. the private-link copy)"},
		{100, 5, ErrReplay, "replay of an older packet"},
		{100, 1, ErrReplay, "replay of the epoch's first packet"},
		{100, 9, nil, "gap: packets 7 and 8 lost"},
		{100, 8, ErrReplay, "late, reordered packet"},
		{99, 1000, ErrStale, "old incarnation, any sequence"},
		{0, 1, ErrStale, "epoch 0 is old too"},
		{100, 10, nil, "rejections changed nothing"},
		{200, 1, nil, "partner restarted"},
		{200, 1, ErrReplay, "duplicate in the new epoch"},
		{100, 11, ErrStale, "previous incarnation now stale"},
		{200, 2, nil, "sequence tracking restarted at the new epoch"},
		{300, 50, nil, "restart that lost its first packets: any seq in a newer epoch"},
		{300, 49, ErrReplay, ""},
		{300, math.MaxUint64, nil, "largest sequence"},
		{300, math.MaxUint64, ErrReplay, "nothing follows it in this epoch"},
		{math.MaxUint64, 1, nil, "largest epoch"},
		{math.MaxUint64 - 1, 2, ErrStale, ""},
	}
	var g Guard
	if _, _, ok := g.Last(); ok {
		t.Fatal("zero Guard reports a last packet")
	}
	for i, s := range steps {
		err := g.Check(hb(s.epoch, s.seq))
		if s.want == nil {
			if err != nil {
				t.Fatalf("step %d (%d,%d) %s: %v", i, s.epoch, s.seq, s.note, err)
			}
			if e, q, ok := g.Last(); !ok || e != s.epoch || q != s.seq {
				t.Fatalf("step %d: Last = %d,%d,%v", i, e, q, ok)
			}
			continue
		}
		before, beforeSeq, _ := g.Last()
		if !errors.Is(err, s.want) {
			t.Fatalf("step %d (%d,%d) %s: err %v, want %v", i, s.epoch, s.seq, s.note, err, s.want)
		}
		wantOnly(t, err, s.want)
		if e, q, _ := g.Last(); e != before || q != beforeSeq {
			t.Fatalf("step %d: rejected packet moved the guard to %d,%d", i, e, q)
		}
	}
}

func TestGuardMessages(t *testing.T) {
	var g Guard
	_ = g.Check(hb(7, 3))
	if err, want := g.Check(hb(7, 2)), "heartbeat: replayed or duplicate packet: epoch 7 sequence 2, already at sequence 3"; err == nil || err.Error() != want {
		t.Errorf("replay: %v, want %q", err, want)
	}
	if err, want := g.Check(hb(6, 9)), "heartbeat: stale packet from an earlier start of the partner: epoch 6, partner is at epoch 7"; err == nil || err.Error() != want {
		t.Errorf("stale: %v, want %q", err, want)
	}
}

func TestGuardFirstPacketAnyValues(t *testing.T) {
	for _, h := range []Heartbeat{hb(0, 1), hb(math.MaxUint64, math.MaxUint64), hb(5, 1000)} {
		var g Guard
		if err := g.Check(h); err != nil {
			t.Errorf("first packet %d,%d: %v", h.Epoch, h.Seq, err)
		}
	}
}

// Two sockets, two goroutines, one Guard: every sequence number is accepted
// exactly once. Run under -race.
func TestGuardConcurrent(t *testing.T) {
	var g Guard
	const n = 2000
	var mu sync.Mutex
	accepted := 0
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= n; seq++ {
				if g.Check(hb(1, seq)) == nil {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if e, q, _ := g.Last(); e != 1 || q != n {
		t.Errorf("Last = %d,%d", e, q)
	}
	if accepted < n || accepted > 2*n {
		t.Errorf("accepted %d", accepted)
	}
}

func TestNextEpoch(t *testing.T) {
	now := time.Unix(1700000000, 123456789)
	ns := uint64(now.UnixNano())
	tests := []struct {
		name string
		now  time.Time
		last uint64
		want uint64
	}{
		{"first start", now, 0, ns},
		{"clock ahead of last", now, ns - 1000, ns},
		{"restart within the same nanosecond", now, ns, ns + 1},
		{"clock stepped back", now.Add(-time.Hour), ns, ns + 1},
		{"dead RTC: 1970", time.Unix(0, 0), ns, ns + 1},
		{"before 1970", time.Unix(-100, 0), 0, 1},
		{"before 1970 with history", time.Unix(-100, 0), 41, 42},
		{"zero time", time.Time{}, 7, 8},
		{"saturates", now, math.MaxUint64, math.MaxUint64},
	}
	for _, tt := range tests {
		if got := NextEpoch(tt.now, tt.last); got != tt.want {
			t.Errorf("%s: NextEpoch = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// A node restarted with a clock set back is still accepted by its partner,
// because the daemon feeds the persisted epoch into NextEpoch.
func TestNextEpochSurvivesClockStep(t *testing.T) {
	var g Guard
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	e1 := NextEpoch(t0, 0)
	for seq := uint64(1); seq <= 3; seq++ {
		if err := g.Check(hb(e1, seq)); err != nil {
			t.Fatal(err)
		}
	}
	e2 := NextEpoch(t0.Add(-24*time.Hour), e1) // restarted, clock a day behind
	if err := g.Check(hb(e2, 1)); err != nil {
		t.Fatalf("restart after clock step: %v", err)
	}
	// Without the floor the partner would have refused it.
	var g2 Guard
	_ = g2.Check(hb(e1, 1))
	if err := g2.Check(hb(uint64(t0.Add(-24*time.Hour).UnixNano()), 1)); !errors.Is(err, ErrStale) {
		t.Fatalf("wall clock alone: %v, want ErrStale", err)
	}
}

func TestCountersCount(t *testing.T) {
	unmarshalErr := func(b []byte, key []byte) error { _, err := Unmarshal(b, key); return err }
	piranhaErr := func(b []byte) error { _, err := DecodePiranha(b); return err }
	good, _ := goldenHeartbeat.Marshal(testKey)
	var g Guard
	_ = g.Check(hb(10, 10))
	tests := []struct {
		name string
		err  error
		want Counters
	}{
		{"accepted", nil, Counters{Accepted: 1}},
		{"unmarshal ok", unmarshalErr(good, testKey), Counters{Accepted: 1}},
		{"forged", unmarshalErr(good, []byte("x")), Counters{Forged: 1}},
		{"replay", g.Check(hb(10, 10)), Counters{Replayed: 1}},
		{"stale", g.Check(hb(9, 99)), Counters{Stale: 1}},
		{"short", unmarshalErr(good[:10], testKey), Counters{Malformed: 1}},
		{"bad field", unmarshalErr(malformed(t, testKey, func(b []byte) { b[6] = 0 }), testKey), Counters{Malformed: 1}},
		{"garbage", unmarshalErr(make([]byte, 80), testKey), Counters{Incompatible: 1}},
		{"version", unmarshalErr(malformed(t, testKey, func(b []byte) { b[4] = 9 }), testKey), Counters{Incompatible: 1}},
		{"piranha to lvskit", unmarshalErr(EncodePiranha(LVSStopped), testKey), Counters{Incompatible: 1}},
		{"piranha short", piranhaErr([]byte{1}), Counters{Malformed: 1}},
		{"piranha unknown magic", piranhaErr([]byte{1, 2, 3, 4}), Counters{Incompatible: 1}},
		{"wrapped", fmt.Errorf("from 192.0.2.2: %w", unmarshalErr(good, nil)), Counters{Forged: 1}},
		{"other", errors.New("recvfrom: connection refused"), Counters{Other: 1}},
	}
	var total Counters
	for _, tt := range tests {
		var c Counters
		c.Count(tt.err)
		if c != tt.want {
			t.Errorf("%s (%v): %+v, want %+v", tt.name, tt.err, c, tt.want)
		}
		total.Count(tt.err)
	}
	want := "accepted 2, forged 2, replayed 1, stale 1, malformed 3, incompatible 4, other 1"
	if got := total.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := (&total).String(); got != want {
		t.Errorf("pointer String = %q", got)
	}
}
