package fake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"lvskit/internal/ipvs"
)

// fileState is the JSON form of a Table. Every list has a fixed order, so
// the same table always saves to the same bytes.
type fileState struct {
	Info     ipvs.Info
	Timeouts ipvs.Timeouts
	// Services are in creation order; each one's Dests in the kernel's
	// list order (newest first).
	Services      []fileService   `json:",omitempty"`
	Daemons       []ipvs.Daemon   `json:",omitempty"` // master first
	Interfaces    []fileInterface // by name
	LocalPrefixes []netip.Prefix
	Schedulers    []string // sorted
	PEs           []string // sorted
	Faults        fileFaults
	OpLog         []string `json:",omitempty"`
}

// fileService is ipvs.Service and its destinations, leaving out what is
// zero or absent so that fixtures stay short.
type fileService struct {
	Family    ipvs.Family
	Protocol  ipvs.Protocol `json:",omitempty"`
	Addr      netip.Addr    `json:",omitzero"`
	Port      uint16        `json:",omitempty"`
	Fwmark    uint32        `json:",omitempty"`
	Scheduler string
	PE        string `json:",omitempty"`
	Flags     ipvs.ServiceFlags
	Timeout   uint32 `json:",omitempty"`
	Netmask   uint32
	Stats     ipvs.Stats `json:",omitzero"`
	Dests     []fileDest `json:",omitempty"`
}

// fileDest is ipvs.Dest, leaving out what is zero.
type fileDest struct {
	Addr            netip.Addr
	Port            uint16
	Fwd             ipvs.FwdMethod
	Weight          int32
	UpperThreshold  uint32           `json:",omitempty"`
	LowerThreshold  uint32           `json:",omitempty"`
	TunnelType      ipvs.TunnelType  `json:",omitempty"`
	TunnelPort      uint16           `json:",omitempty"`
	TunnelFlags     ipvs.TunnelFlags `json:",omitempty"`
	ActiveConns     uint32           `json:",omitempty"`
	InactiveConns   uint32           `json:",omitempty"`
	PersistentConns uint32           `json:",omitempty"`
	Stats           ipvs.Stats       `json:",omitzero"`
}

func toFile(s *service) fileService {
	f := fileService{
		Family: s.svc.Family, Protocol: s.svc.Protocol, Addr: s.svc.Addr, Port: s.svc.Port, Fwmark: s.svc.Fwmark,
		Scheduler: s.svc.Scheduler, PE: s.svc.PE, Flags: s.svc.Flags, Timeout: s.svc.Timeout, Netmask: s.svc.Netmask,
		Stats: s.svc.Stats,
	}
	for _, d := range s.dests {
		f.Dests = append(f.Dests, fileDest(d))
	}
	return f
}

func fromFile(f fileService) *service {
	s := &service{svc: ipvs.Service{
		ServiceKey: ipvs.ServiceKey{Family: f.Family, Protocol: f.Protocol, Addr: f.Addr, Port: f.Port, Fwmark: f.Fwmark},
		Scheduler:  f.Scheduler, PE: f.PE, Flags: f.Flags, Timeout: f.Timeout, Netmask: f.Netmask, Stats: f.Stats,
	}}
	for _, d := range f.Dests {
		s.dests = append(s.dests, ipvs.Dest(d))
	}
	return s
}

type fileInterface struct {
	Name string
	MTU  int
}

type fileFaults struct {
	Unavailable bool        `json:",omitempty"`
	All         string      `json:",omitempty"` // errno name
	Ops         []fileFault `json:",omitempty"` // by Op
}

type fileFault struct {
	Op    Op
	Errno string
	Once  bool `json:",omitempty"`
}

// Save writes the table to path as indented JSON, replacing the file in
// one step so that a concurrent Load sees the old or the new table.
func (t *Table) Save(path string) error {
	t.mu.Lock()
	st := t.fileState()
	t.mu.Unlock()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("fake ipvs: save: %w", err)
	}
	data = append(data, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), ".ipvsfake-*")
	if err != nil {
		return fmt.Errorf("fake ipvs: save: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("fake ipvs: save: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("fake ipvs: save: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("fake ipvs: save: %w", err)
	}
	return nil
}

// Load reads a table saved by Save. A missing file gives New's pristine
// table, and fields missing from the file keep New's values, so a test
// fixture need only list what it cares about (its services, say).
func Load(path string) (*Table, error) {
	t := New()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fake ipvs: load: %w", err)
	}
	st := t.fileState()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("fake ipvs: load %s: %w", path, err)
	}
	if err := t.restore(st); err != nil {
		return nil, fmt.Errorf("fake ipvs: load %s: %w", path, err)
	}
	return t, nil
}

// fileState returns the table's JSON form. t.mu must be held.
func (t *Table) fileState() fileState {
	st := fileState{
		Info:          t.info,
		Timeouts:      t.timeouts,
		LocalPrefixes: slices.Clone(t.local),
		Schedulers:    sortedNames(t.schedulers),
		PEs:           sortedNames(t.pes),
		OpLog:         slices.Clone(t.oplog),
		Faults: fileFaults{
			Unavailable: t.faults.unavailable,
		},
	}
	if st.LocalPrefixes == nil {
		st.LocalPrefixes = []netip.Prefix{}
	}
	services := make([]*service, 0, len(t.services))
	for _, s := range t.services {
		services = append(services, s)
	}
	slices.SortFunc(services, func(a, b *service) int { return cmp.Compare(a.seq, b.seq) })
	for _, s := range services {
		st.Services = append(st.Services, toFile(s))
	}
	for _, d := range []*ipvs.Daemon{t.master, t.backup} {
		if d != nil {
			st.Daemons = append(st.Daemons, *d)
		}
	}
	st.Interfaces = []fileInterface{}
	for name, mtu := range t.interfaces {
		st.Interfaces = append(st.Interfaces, fileInterface{Name: name, MTU: mtu})
	}
	slices.SortFunc(st.Interfaces, func(a, b fileInterface) int { return strings.Compare(a.Name, b.Name) })
	if t.faults.all != 0 {
		st.Faults.All = ErrnoName(t.faults.all)
	}
	for op, f := range t.faults.ops {
		st.Faults.Ops = append(st.Faults.Ops, fileFault{Op: op, Errno: ErrnoName(f.errno), Once: f.once})
	}
	slices.SortFunc(st.Faults.Ops, func(a, b fileFault) int { return strings.Compare(string(a.Op), string(b.Op)) })
	return st
}

func sortedNames(m map[string]bool) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// restore replaces t's contents with st, checking what JSON cannot.
func (t *Table) restore(st fileState) error {
	t.info = st.Info
	t.timeouts = st.Timeouts
	t.local = slices.Clone(st.LocalPrefixes)
	t.schedulers = set(st.Schedulers)
	t.pes = set(st.PEs)
	t.oplog = slices.Clone(st.OpLog)

	t.services = map[ipvs.ServiceKey]*service{}
	t.seq = 0
	for _, f := range st.Services {
		s := fromFile(f)
		k, err := parseKey("load", s.svc.ServiceKey)
		if err != nil {
			return err
		}
		if _, dup := t.services[k]; dup {
			return fmt.Errorf("service %s listed twice", k)
		}
		s.svc.ServiceKey = k
		// The kernel never stores a service without HASHED.
		s.svc.Flags |= ipvs.FlagHashed
		for i, d := range s.dests {
			if !d.Addr.IsValid() {
				return fmt.Errorf("service %s: destination without an address", k)
			}
			if s.find(d.Key()) != i {
				return fmt.Errorf("service %s: destination %s listed twice", k, d.Key())
			}
		}
		t.seq++
		s.seq = t.seq
		t.services[k] = s
	}

	t.master, t.backup = nil, nil
	for _, d := range st.Daemons {
		switch {
		case d.State == ipvs.Master && t.master == nil:
			t.master = &d
		case d.State == ipvs.Backup && t.backup == nil:
			t.backup = &d
		default:
			return fmt.Errorf("unexpected %s sync daemon", d.State)
		}
	}

	t.interfaces = map[string]int{}
	for _, i := range st.Interfaces {
		t.interfaces[i.Name] = i.MTU
	}

	t.faults = faults{unavailable: st.Faults.Unavailable, ops: map[Op]opFault{}}
	if st.Faults.All != "" {
		e, err := ParseErrno(st.Faults.All)
		if err != nil {
			return err
		}
		t.faults.all = e
	}
	for _, f := range st.Faults.Ops {
		op, err := ParseOp(string(f.Op))
		if err != nil {
			return err
		}
		e, err := ParseErrno(f.Errno)
		if err != nil {
			return err
		}
		t.faults.ops[op] = opFault{errno: e, once: f.Once}
	}
	return nil
}
