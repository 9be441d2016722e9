package fake

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"syscall"

	"lvskit/internal/ipvs"
)

// service is a stored virtual service with its destinations.
type service struct {
	svc ipvs.Service
	seq uint64 // creation order
	// dests are in the order of svc->destinations: __ip_vs_update_dest
	// adds a new destination at the head of the list, so newest first.
	dests []ipvs.Dest
}

const (
	schedNameMax = 15 // IPVS_SVC_ATTR_SCHED_NAME: IP_VS_SCHEDNAME_MAXLEN - 1
	peNameMax    = 16 // IPVS_SVC_ATTR_PE_NAME: IP_VS_PENAME_MAXLEN

	svcTabBits = 8 // IP_VS_SVC_TAB_BITS
	svcTabMask = 1<<svcTabBits - 1
	// hashSalt stands in for the netns_ipvs pointer that
	// ip_vs_svc_hashkey mixes into the bucket, so that the dump order
	// looks like the kernel's without depending on an address.
	hashSalt = 0x5a
)

// parseKey checks a service key as ip_vs_genl_parse_service does and
// returns the key the service is stored under.
func parseKey(op Op, k ipvs.ServiceKey) (ipvs.ServiceKey, error) {
	// The family is required, and either the fwmark or all of protocol,
	// address and port; a missing one is EINVAL before the family is
	// even looked at.
	if k.Fwmark == 0 && !k.Addr.IsValid() {
		return ipvs.ServiceKey{}, fail(op, syscall.EINVAL, k.String()+": neither fwmark nor address")
	}
	// ip_vs_is_af_valid
	if k.Family != ipvs.INET && k.Family != ipvs.INET6 {
		return ipvs.ServiceKey{}, fail(op, syscall.EAFNOSUPPORT, k.String())
	}
	if k.Fwmark != 0 {
		// With a fwmark the kernel ignores protocol, address and port,
		// and reports none of them back.
		return ipvs.FwmarkKey(k.Family, k.Fwmark), nil
	}
	addr := k.Addr.WithZone("")
	if ipvs.FamilyOf(addr) != k.Family {
		// The kernel would read the 16-byte address union in the other
		// family; the fake refuses the request instead.
		return ipvs.ServiceKey{}, fail(op, syscall.EINVAL, fmt.Sprintf("%s: address is not %s", k, k.Family))
	}
	return ipvs.ServiceKey{Family: k.Family, Protocol: k.Protocol, Addr: addr, Port: k.Port}, nil
}

// checkNames applies the attribute policy (ip_vs_svc_policy) that the
// kernel enforces before anything else: over-long names are EINVAL.
func checkNames(op Op, s ipvs.Service) error {
	if len(s.Scheduler) > schedNameMax {
		return fail(op, syscall.EINVAL, fmt.Sprintf("scheduler name %q longer than %d", s.Scheduler, schedNameMax))
	}
	if len(s.PE) > peNameMax {
		return fail(op, syscall.EINVAL, fmt.Sprintf("persistence engine name %q longer than %d", s.PE, peNameMax))
	}
	return nil
}

// checkSettings applies the checks ip_vs_add_service and
// ip_vs_edit_service share, in their order: scheduler, persistence
// engine, IPv6 prefix length.
func (t *Table) checkSettings(op Op, k ipvs.ServiceKey, s ipvs.Service) error {
	// "none" means no scheduler; anything else, "" included, must be a
	// module the kernel can load.
	if s.Scheduler != "none" && !t.schedulers[s.Scheduler] {
		return fail(op, syscall.ENOENT, fmt.Sprintf("%s: scheduler %q not found", k, s.Scheduler))
	}
	if s.PE != "" && !t.pes[s.PE] {
		return fail(op, syscall.ENOENT, fmt.Sprintf("%s: persistence engine %q not found", k, s.PE))
	}
	// Fwmark services of family INET6 are checked too.
	if k.Family == ipvs.INET6 && (s.Netmask < 1 || s.Netmask > 128) {
		return fail(op, syscall.EINVAL, fmt.Sprintf("%s: IPv6 prefix length %d not in 1..128", k, s.Netmask))
	}
	return nil
}

// persistTimeout is what the kernel reports for a persistence timeout of
// sec seconds: it stores sec * HZ in an unsigned int (ip_vs_add_service,
// ip_vs_edit_service) and reports it divided by HZ
// (ip_vs_genl_fill_service), so values above UINT_MAX / HZ wrap.
func persistTimeout(sec uint32) uint32 { return sec * hz / hz }

// settings returns the stored form of a request's changeable fields.
func settings(k ipvs.ServiceKey, s ipvs.Service) ipvs.Service {
	return ipvs.Service{
		ServiceKey: k,
		Scheduler:  s.Scheduler,
		PE:         s.PE,
		// ip_vs_add_service clears HASHED and ip_vs_svc_hash sets it;
		// ip_vs_edit_service ORs it in.
		Flags:   s.Flags | ipvs.FlagHashed,
		Timeout: persistTimeout(s.Timeout),
		Netmask: s.Netmask,
	}
}

// AddService creates a service (IPVS_CMD_NEW_SERVICE).
func (t *Table) AddService(s ipvs.Service) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.addService(s)
	t.record(OpNewService, fmtService(s), err)
	return err
}

func (t *Table) addService(s ipvs.Service) error {
	if err := t.fault(OpNewService); err != nil {
		return err
	}
	if err := checkNames(OpNewService, s); err != nil {
		return err
	}
	k, err := parseKey(OpNewService, s.ServiceKey)
	if err != nil {
		return err
	}
	// ip_vs_genl_set_cmd looks the service up before ip_vs_add_service
	// resolves the scheduler: an existing service wins over a bad name.
	if _, ok := t.services[k]; ok {
		return fail(OpNewService, syscall.EEXIST, k.String())
	}
	if err := t.checkSettings(OpNewService, k, s); err != nil {
		return err
	}
	t.seq++
	t.services[k] = &service{svc: settings(k, s), seq: t.seq}
	return nil
}

// EditService changes the scheduler, persistence engine, flags, timeout
// and netmask of a service (IPVS_CMD_SET_SERVICE).
func (t *Table) EditService(s ipvs.Service) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.editService(s)
	t.record(OpSetService, fmtService(s), err)
	return err
}

func (t *Table) editService(s ipvs.Service) error {
	if err := t.fault(OpSetService); err != nil {
		return err
	}
	if err := checkNames(OpSetService, s); err != nil {
		return err
	}
	stored, err := t.lookup(OpSetService, s.ServiceKey)
	if err != nil {
		return err
	}
	k := stored.svc.ServiceKey
	if err := t.checkSettings(OpSetService, k, s); err != nil {
		return err
	}
	// The request's flags replace the old ones (ipvsadm sends the mask
	// 0xffffffff); an empty PE removes the engine. Counters stay.
	stats := stored.svc.Stats
	stored.svc = settings(k, s)
	stored.svc.Stats = stats
	return nil
}

// lookup finds the service a command names: EINVAL or EAFNOSUPPORT for
// a malformed key, ESRCH for a missing service (ip_vs_genl_set_cmd).
func (t *Table) lookup(op Op, k ipvs.ServiceKey) (*service, error) {
	key, err := parseKey(op, k)
	if err != nil {
		return nil, err
	}
	s, ok := t.services[key]
	if !ok {
		return nil, fail(op, syscall.ESRCH, key.String())
	}
	return s, nil
}

// DelService removes a service and its destinations
// (IPVS_CMD_DEL_SERVICE).
func (t *Table) DelService(k ipvs.ServiceKey) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.delService(k)
	t.record(OpDelService, k.String(), err)
	return err
}

func (t *Table) delService(k ipvs.ServiceKey) error {
	if err := t.fault(OpDelService); err != nil {
		return err
	}
	s, err := t.lookup(OpDelService, k)
	if err != nil {
		return err
	}
	delete(t.services, s.svc.ServiceKey)
	return nil
}

// Flush removes every service (IPVS_CMD_FLUSH).
func (t *Table) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.fault(OpFlush)
	if err == nil {
		clear(t.services)
	}
	t.record(OpFlush, "", err)
	return err
}

// Service returns one service (IPVS_CMD_GET_SERVICE).
func (t *Table) Service(k ipvs.ServiceKey) (ipvs.Service, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetService); err != nil {
		return ipvs.Service{}, err
	}
	s, err := t.lookup(OpGetService, k)
	if err != nil {
		return ipvs.Service{}, err
	}
	return s.svc, nil
}

// Services dumps every service in the kernel's order
// (IPVS_CMD_GET_SERVICE with NLM_F_DUMP).
func (t *Table) Services() ([]ipvs.Service, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetService); err != nil {
		return nil, err
	}
	list := t.ordered()
	out := make([]ipvs.Service, len(list))
	for i, s := range list {
		out[i] = s.svc
	}
	return out, nil
}

// ordered returns the services in the order ip_vs_genl_dump_services
// walks them: the buckets of the <protocol, address, port> table, then
// those of the fwmark table; within a bucket the newest first, since
// ip_vs_svc_hash adds at the head.
func (t *Table) ordered() []*service {
	list := make([]*service, 0, len(t.services))
	for _, s := range t.services {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b *service) int {
		fa, fb := a.svc.Fwmark != 0, b.svc.Fwmark != 0
		if fa != fb {
			if fa {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(bucket(a.svc.ServiceKey), bucket(b.svc.ServiceKey)); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	return list
}

// bucket is ip_vs_svc_hashkey, or ip_vs_svc_fwm_hashkey for a fwmark
// service, with hashSalt for the namespace pointer.
func bucket(k ipvs.ServiceKey) uint32 {
	if k.Fwmark != 0 {
		return (hashSalt ^ k.Fwmark) & svcTabMask
	}
	var fold uint32
	if k.Addr.Is4() {
		a := k.Addr.As4()
		fold = binary.BigEndian.Uint32(a[:])
	} else {
		a := k.Addr.As16()
		for i := 0; i < 16; i += 4 {
			fold ^= binary.BigEndian.Uint32(a[i:])
		}
	}
	porth := uint32(k.Port)
	return (uint32(k.Protocol) ^ fold ^ hashSalt ^ porth>>svcTabBits ^ porth) & svcTabMask
}

// ZeroAll zeroes the counters and rates of every service and destination
// (IPVS_CMD_ZERO without a service, ip_vs_zero_all).
func (t *Table) ZeroAll() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.fault(OpZero)
	if err == nil {
		for _, s := range t.services {
			s.zero()
		}
	}
	t.record(OpZero, "", err)
	return err
}

// ZeroService zeroes the counters and rates of one service and its
// destinations (IPVS_CMD_ZERO, ip_vs_zero_service).
func (t *Table) ZeroService(k ipvs.ServiceKey) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.zeroService(k)
	t.record(OpZero, k.String(), err)
	return err
}

func (t *Table) zeroService(k ipvs.ServiceKey) error {
	if err := t.fault(OpZero); err != nil {
		return err
	}
	s, err := t.lookup(OpZero, k)
	if err != nil {
		return err
	}
	s.zero()
	return nil
}

// zero is ip_vs_zero_stats on the service and each destination: counters
// and rate estimates restart from zero; connection counts are not stats
// and stay.
func (s *service) zero() {
	s.svc.Stats = ipvs.Stats{}
	for i := range s.dests {
		s.dests[i].Stats = ipvs.Stats{}
	}
}
