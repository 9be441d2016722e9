package ipvstest

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"syscall"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

// TestChecksCanFail proves that the suite notices a broken backend: each
// check named here passes on the fake and fails on a fake with one
// deliberate fault.
func TestChecksCanFail(t *testing.T) {
	cases := []struct {
		check  string
		mutate func(*fake.Table) ipvs.Table
	}{
		{"AddServiceIPv4Defaults", func(ft *fake.Table) ipvs.Table { return noHashed{base{ft, ft}} }},
		{"EditServiceEveryField", func(ft *fake.Table) ipvs.Table { return noHashed{base{ft, ft}} }},
		{"MissingService", func(ft *fake.Table) ipvs.Table { return enoentForESRCH{base{ft, ft}} }},
		{"DestOrder", func(ft *fake.Table) ipvs.Table { return oldestFirst{base{ft, ft}} }},
		{"DaemonDefaults", func(ft *fake.Table) ipvs.Table {
			ft.SetInterface("lo", 1500) // a backup would then default to 1472
			return base{ft, ft}
		}},
		{"Zero", func(ft *fake.Table) ipvs.Table { return zeroIgnoresDests{base{ft, ft}} }},
	}
	for _, tt := range cases {
		t.Run(tt.check, func(t *testing.T) {
			if r := runCheck(t, harness{func(ft *fake.Table) ipvs.Table { return base{ft, ft} }}, tt.check); r.failed || r.skipped {
				t.Fatalf("check fails on the intact fake: %v", r.log)
			}
			r := runCheck(t, harness{tt.mutate}, tt.check)
			if !r.failed {
				t.Errorf("check passes on a broken table")
			}
			t.Logf("reported: %v", r.log)
		})
	}
}

// runCheck runs one check on a table from h, reporting to a recorder.
func runCheck(t *testing.T, h Harness, name string) *recorder {
	i := slices.IndexFunc(allChecks(), func(c check) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no check %q", name)
	}
	rec := &recorder{}
	c := &tc{reporter: rec, t: t, h: h, tb: h.Open(t)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		allChecks()[i].run(c)
	}()
	<-done
	return rec
}

// recorder notes what a check reports; Fatalf and Skipf end the check's
// goroutine, as testing.T's do.
type recorder struct {
	failed, skipped bool
	log             []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.log = append(r.log, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	runtime.Goexit()
}
func (r *recorder) Logf(string, ...any) {}

// harness serves fake tables, wrapped by wrap.
type harness struct {
	wrap func(*fake.Table) ipvs.Table
}

func (h harness) Open(t *testing.T) ipvs.Table { return h.wrap(fake.New()) }

func (h harness) Traffic(t *testing.T, tb ipvs.Table, vip netip.AddrPort) {
	if err := tb.(faker).fake().Connect(ipvs.TCP, vip); err != nil {
		t.Fatal(err)
	}
}

func (h harness) SetStats(t *testing.T, tb ipvs.Table, svc ipvs.ServiceKey, dest *ipvs.DestKey, s ipvs.Stats) bool {
	ft := tb.(faker).fake()
	var err error
	if dest == nil {
		err = ft.SetServiceStats(svc, s)
	} else {
		err = ft.SetDestStats(svc, *dest, s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

type faker interface{ fake() *fake.Table }

// base is an intact fake; the broken tables embed it and override a
// method.
type base struct {
	ipvs.Table
	ft *fake.Table
}

func (b base) fake() *fake.Table { return b.ft }

// noHashed hides the HASHED flag.
type noHashed struct{ base }

func (n noHashed) Services() ([]ipvs.Service, error) {
	list, err := n.base.Services()
	for i := range list {
		list[i].Flags &^= ipvs.FlagHashed
	}
	return list, err
}

func (n noHashed) Service(k ipvs.ServiceKey) (ipvs.Service, error) {
	s, err := n.base.Service(k)
	s.Flags &^= ipvs.FlagHashed
	return s, err
}

// enoentForESRCH reports a missing service as ENOENT.
type enoentForESRCH struct{ base }

func (e enoentForESRCH) DelService(k ipvs.ServiceKey) error {
	err := e.base.DelService(k)
	if errors.Is(err, syscall.ESRCH) {
		return syscall.ENOENT
	}
	return err
}

// oldestFirst lists destinations in the order they were added.
type oldestFirst struct{ base }

func (o oldestFirst) Dests(k ipvs.ServiceKey) ([]ipvs.Dest, error) {
	list, err := o.base.Dests(k)
	slices.Reverse(list)
	return list, err
}

// zeroIgnoresDests zeroes a service's counters but not its destinations'.
type zeroIgnoresDests struct{ base }

func (z zeroIgnoresDests) ZeroService(k ipvs.ServiceKey) error {
	dests, err := z.base.Dests(k)
	if err != nil {
		return err
	}
	if err := z.base.ZeroService(k); err != nil {
		return err
	}
	for _, d := range dests {
		if err := z.ft.SetDestStats(k, d.Key(), d.Stats); err != nil {
			return err
		}
	}
	return nil
}
