package nanny

import (
	"errors"
	"fmt"
	"syscall"

	"lvskit/internal/daemonlog"
	"lvskit/internal/ipvs"
)

// placement is where a real server should be: in service at a weight
// (0 when its load source drains it), or out of service.
type placement struct {
	in     bool
	weight int32
}

// server is the real server's destination in the IPVS table: the one
// thing nanny changes there. Every change starts from what the kernel
// holds, so that one that is already made is not an error and one that
// someone undid (ipvsadm -d, a service recreated) is made again.
type server struct {
	open    func() (ipvs.Table, error)
	table   ipvs.Table
	svc     ipvs.ServiceKey
	dest    ipvs.Dest // address, port and forwarding method
	quiesce bool      // out of service is weight 0, not removal
	test    bool      // --test-start: log the changes, make none
	log     *daemonlog.Logger
	// pretend is, with --test-start, the entry as the table would hold
	// it had the changes been made: nil for none.
	pretend *ipvs.Dest
}

// errNoService is the virtual service missing from the table: lvsd has
// not created it yet, or removed it; nanny waits for it.
var errNoService = errors.New("no such virtual service")

// lookup reads the destination from the table.
func (s *server) lookup() (*ipvs.Dest, error) {
	if s.test {
		return s.pretend, nil
	}
	if s.table == nil {
		t, err := s.open()
		if err != nil {
			return nil, fmt.Errorf("cannot open the IPVS table: %w", err)
		}
		s.table = t
	}
	dests, err := s.table.Dests(s.svc)
	if err != nil {
		return nil, fmt.Errorf("cannot list the real servers of %s: %w", s.svc.Option(), err)
	}
	for i := range dests {
		if dests[i].Key() == s.dest.Key() {
			return &dests[i], nil
		}
	}
	return nil, nil
}

// sync makes the table hold want, changing only what differs. A weight
// the kernel refuses or a service that is missing is an error for the
// caller to retry. An entry that appeared or vanished between the look
// and the change ("already exists", "not found") is no error: the look
// is taken again.
func (s *server) sync(want placement) error {
	var err error
	for range 3 {
		if err = s.syncOnce(want); !errors.Is(err, errRaced) {
			return err
		}
	}
	return err
}

// errRaced is a change the table overtook.
var errRaced = errors.New("the table changed meanwhile")

func (s *server) syncOnce(want placement) error {
	cur, err := s.lookup()
	if err != nil {
		return err
	}
	var op func(ipvs.Table) error
	var cmd string
	d := s.dest
	switch {
	case want.in && cur == nil:
		d.Weight = want.weight
		op = func(t ipvs.Table) error { return t.AddDest(s.svc, d) }
		cmd = fmt.Sprintf("ipvsadm -a %s -r %s %s -w %d", s.svc.Option(), d.Key(), d.Fwd.Flag(), d.Weight)
	case want.in && cur.Weight != want.weight, !want.in && cur != nil && s.quiesce && cur.Weight != 0:
		// Only the weight is nanny's: the forwarding method and
		// thresholds stay as lvsd or an operator set them.
		d = *cur
		d.Weight = want.weight
		if !want.in {
			d.Weight = 0
		}
		op = func(t ipvs.Table) error { return t.EditDest(s.svc, d) }
		cmd = fmt.Sprintf("ipvsadm -e %s -r %s %s -w %d", s.svc.Option(), d.Key(), d.Fwd.Flag(), d.Weight)
	case !want.in && cur != nil && !s.quiesce:
		op = func(t ipvs.Table) error { return t.DelDest(s.svc, s.dest.Key()) }
		cmd = fmt.Sprintf("ipvsadm -d %s -r %s", s.svc.Option(), s.dest.Key())
		d = ipvs.Dest{}
	default:
		return nil
	}
	if s.test {
		s.log.Infof("test-start, not run: %s", cmd)
		s.pretend = present(d)
		return nil
	}
	err = op(s.table)
	switch {
	case err == nil:
		s.log.Infof("%s", cmd)
		return nil
	case errors.Is(err, syscall.ESRCH):
		return fmt.Errorf("%s: %w", cmd, errNoService)
	case errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.ENOENT):
		// Someone changed the entry between the look and the change;
		// the next sync starts from what is there now.
		return fmt.Errorf("%s: %w (%w)", cmd, errRaced, err)
	}
	return fmt.Errorf("%s: %w", cmd, kernelError{err})
}

// kernelError words a failed kernel call by its errno alone, as ipvsadm
// does ("cannot allocate memory"), keeping the error underneath.
type kernelError struct{ err error }

func (e kernelError) Error() string {
	var errno syscall.Errno
	if errors.As(e.err, &errno) {
		return errno.Error()
	}
	return e.err.Error()
}

func (e kernelError) Unwrap() error { return e.err }

func present(d ipvs.Dest) *ipvs.Dest {
	if !d.Addr.IsValid() {
		return nil
	}
	return &d
}

func (s *server) close() {
	if s.table != nil {
		s.table.Close()
		s.table = nil
	}
}
