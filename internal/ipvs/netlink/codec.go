package netlink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"lvskit/internal/ipvs"
)

// This file holds the wire format of the generic netlink family "IPVS"
// (include/uapi/linux/ip_vs.h) as pure functions: encoders build the
// attributes of a request, decoders read the attributes of a reply. Nothing
// here does I/O.

// The family's name and the version every request carries.
const (
	familyName    = "IPVS"
	familyVersion = 1
)

// Commands (IPVS_CMD_*).
const (
	cmdNewService uint8 = iota + 1
	cmdSetService
	cmdDelService
	cmdGetService
	cmdNewDest
	cmdSetDest
	cmdDelDest
	cmdGetDest
	cmdNewDaemon
	cmdDelDaemon
	cmdGetDaemon
	cmdSetConfig
	cmdGetConfig
	cmdSetInfo
	cmdGetInfo
	cmdZero
	cmdFlush
)

var cmdNames = [...]string{
	cmdNewService: "NEW_SERVICE",
	cmdSetService: "SET_SERVICE",
	cmdDelService: "DEL_SERVICE",
	cmdGetService: "GET_SERVICE",
	cmdNewDest:    "NEW_DEST",
	cmdSetDest:    "SET_DEST",
	cmdDelDest:    "DEL_DEST",
	cmdGetDest:    "GET_DEST",
	cmdNewDaemon:  "NEW_DAEMON",
	cmdDelDaemon:  "DEL_DAEMON",
	cmdGetDaemon:  "GET_DAEMON",
	cmdSetConfig:  "SET_CONFIG",
	cmdGetConfig:  "GET_CONFIG",
	cmdSetInfo:    "SET_INFO",
	cmdGetInfo:    "GET_INFO",
	cmdZero:       "ZERO",
	cmdFlush:      "FLUSH",
}

func cmdName(cmd uint8) string {
	if int(cmd) < len(cmdNames) && cmdNames[cmd] != "" {
		return cmdNames[cmd]
	}
	return fmt.Sprintf("command %d", cmd)
}

// Top-level attributes (IPVS_CMD_ATTR_*).
const (
	attrService uint16 = iota + 1
	attrDest
	attrDaemon
	attrTimeoutTCP
	attrTimeoutTCPFin
	attrTimeoutUDP
)

// Service attributes (IPVS_SVC_ATTR_*).
const (
	svcAF uint16 = iota + 1
	svcProtocol
	svcAddr
	svcPort
	svcFwmark
	svcSchedName
	svcFlags
	svcTimeout
	svcNetmask
	svcStats
	svcPEName
	svcStats64
)

// Destination attributes (IPVS_DEST_ATTR_*).
const (
	destAddr uint16 = iota + 1
	destPort
	destFwdMethod
	destWeight
	destUThresh
	destLThresh
	destActiveConns
	destInactConns
	destPersistConns
	destStats
	destAddrFamily
	destStats64
	destTunType
	destTunPort
	destTunFlags
)

// Sync daemon attributes (IPVS_DAEMON_ATTR_*).
const (
	daemonState uint16 = iota + 1
	daemonMcastIfn
	daemonSyncID
	daemonSyncMaxLen
	daemonMcastGroup
	daemonMcastGroup6
	daemonMcastPort
	daemonMcastTTL
)

// Counter attributes of the STATS and STATS64 nests (IPVS_STATS_ATTR_*).
// statsPad only aligns the 64-bit values that follow it
// (nla_put_u64_64bit) and carries nothing.
const (
	statsConns uint16 = iota + 1
	statsInPkts
	statsOutPkts
	statsInBytes
	statsOutBytes
	statsCPS
	statsInPPS
	statsOutPPS
	statsInBPS
	statsOutBPS
	statsPad
)

// Attributes of the GET_INFO reply (IPVS_INFO_ATTR_*).
const (
	infoVersion uint16 = iota + 1
	infoConnTabSize
)

// invalid builds a decoding or validation error. It wraps EINVAL because
// that is what ipvsadm reports for a reply it cannot parse ("Invalid
// operation"), and what the kernel returns for a request it cannot parse.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), syscall.EINVAL)
}

// Encoding.

// misread refuses a key whose address is not of the key's family. The
// kernel would read the 16-byte address in the key's family and act on an
// address nobody asked for (a service at a00:1:: for 10.0.0.1), so the
// client reports EINVAL instead of sending it. Every other malformed key
// goes to the kernel as it is, for the kernel's own answer: no address is
// EINVAL, an unknown family EAFNOSUPPORT, and both an empty GET_DEST dump
// (ip_vs_genl_parse_service, ip_vs_genl_dump_dests).
func misread(k ipvs.ServiceKey) error {
	if k.Fwmark != 0 || !k.Addr.IsValid() || (k.Family != ipvs.INET && k.Family != ipvs.INET6) {
		return nil
	}
	if ipvs.FamilyOf(k.Addr) != k.Family {
		return invalid("ipvs: service %s: address is not %s", k, k.Family)
	}
	return nil
}

// encoder appends netlink attributes to a buffer. Nests are opened with
// begin and closed with end, which fills in their length. An attribute
// too long for the 16-bit length field (only an absurd name can be) is
// recorded as an error that bytes reports.
type encoder struct {
	b   []byte
	err error
}

// put appends the attribute typ with the payload v, padded to 4 bytes.
func (e *encoder) put(typ uint16, v ...byte) {
	if e.header(typ, len(v)) {
		e.b = append(e.b, v...)
		e.pad()
	}
}

// header appends an attribute header for a payload of n bytes, or records
// that the payload is too long and reports false.
func (e *encoder) header(typ uint16, n int) bool {
	if nlaHeaderLen+n > 0xffff {
		e.err = fmt.Errorf("ipvs: attribute %d of %d bytes is too long for netlink: %w", typ, n, syscall.EINVAL)
		return false
	}
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(nlaHeaderLen+n))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
	return true
}

// pad aligns the buffer to 4 bytes with zeros.
func (e *encoder) pad() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) u8(typ uint16, v uint8) { e.put(typ, v) }

func (e *encoder) u16(typ uint16, v uint16) {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	e.put(typ, b[:]...)
}

func (e *encoder) u32(typ uint16, v uint32) {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	e.put(typ, b[:]...)
}

// be16 is a port in network byte order (the kernel reads ports with
// nla_get_be16).
func (e *encoder) be16(typ uint16, v uint16) {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	e.put(typ, b[:]...)
}

// str is a NUL-terminated string (NLA_NUL_STRING, NLA_STRING).
func (e *encoder) str(typ uint16, v string) {
	if e.header(typ, len(v)+1) {
		e.b = append(e.b, v...)
		e.b = append(e.b, 0)
		e.pad()
	}
}

// addr16 is the kernel's union nf_inet_addr: 16 bytes, an IPv4 address in
// the first four.
func (e *encoder) addr16(typ uint16, a netip.Addr) {
	var b [16]byte
	if a.Is4() {
		v4 := a.As4()
		copy(b[:], v4[:])
	} else {
		b = a.As16()
	}
	e.put(typ, b[:]...)
}

// begin opens the nest typ (flagged NLA_F_NESTED) and returns its offset
// for end.
func (e *encoder) begin(typ uint16) int {
	at := len(e.b)
	e.b = binary.NativeEndian.AppendUint16(e.b, 0)
	e.b = binary.NativeEndian.AppendUint16(e.b, typ|nlaFNested)
	return at
}

// end closes the nest begun at offset at.
func (e *encoder) end(at int) {
	n := len(e.b) - at
	if n > 0xffff {
		e.err = fmt.Errorf("ipvs: nest of %d bytes is too long for netlink: %w", n, syscall.EINVAL)
		return
	}
	binary.NativeEndian.PutUint16(e.b[at:], uint16(n))
}

func (e *encoder) bytes() ([]byte, error) { return e.b, e.err }

// netmask encodes a persistence netmask. The kernel stores an IPv4 mask
// as a __be32 and reads the attribute with nla_get_be32, so the mask
// bytes go in network order; for IPv6 it compares the same field with 128
// as a prefix length (ip_vs_add_service), so that is a host-order number.
func (e *encoder) netmask(f ipvs.Family, mask uint32) {
	var b [4]byte
	if f == ipvs.INET6 {
		binary.NativeEndian.PutUint32(b[:], mask)
	} else {
		binary.BigEndian.PutUint32(b[:], mask)
	}
	e.put(svcNetmask, b[:]...)
}

func netmaskValue(f ipvs.Family, b []byte) uint32 {
	if f == ipvs.INET6 {
		return binary.NativeEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

// putServiceKey writes the identifying attributes of a service nest, which
// is all the kernel reads except for NEW_SERVICE and SET_SERVICE
// (ip_vs_genl_parse_service with full_entry false). With a fwmark the
// kernel ignores protocol, address and port, so they are not sent; a
// missing address is left out for the kernel to refuse.
func (e *encoder) putServiceKey(k ipvs.ServiceKey) {
	e.u16(svcAF, uint16(k.Family))
	if k.Fwmark != 0 {
		e.u32(svcFwmark, k.Fwmark)
		return
	}
	e.u16(svcProtocol, uint16(k.Protocol))
	if k.Addr.IsValid() {
		e.addr16(svcAddr, k.Addr)
	}
	e.be16(svcPort, k.Port)
}

func (e *encoder) putService(s *ipvs.Service) {
	e.putServiceKey(s.ServiceKey)
	e.str(svcSchedName, s.Scheduler)
	if s.PE != "" {
		// The kernel treats a present PE_NAME as a request for that
		// engine, so "none" is expressed by leaving it out.
		e.str(svcPEName, s.PE)
	}
	// {flags, mask}: the kernel replaces the bits in mask with those in
	// flags. HASHED is the kernel's own bookkeeping, which it sets itself
	// (ip_vs_svc_hash); a caller echoing a listed service must not send it.
	var fm [8]byte
	binary.NativeEndian.PutUint32(fm[:], uint32(s.Flags&^ipvs.FlagHashed))
	binary.NativeEndian.PutUint32(fm[4:], 0xffffffff)
	e.put(svcFlags, fm[:]...)
	e.u32(svcTimeout, s.Timeout)
	e.netmask(s.Family, s.Netmask)
}

func (e *encoder) putDest(d *ipvs.Dest) {
	e.putDestKey(d.Key())
	e.u32(destFwdMethod, uint32(d.Fwd))
	// The kernel reads the weight as a u32 into an int and refuses a
	// negative one with ERANGE, so the int32 bits go as they are.
	e.u32(destWeight, uint32(d.Weight))
	e.u8(destTunType, uint8(d.TunnelType))
	e.be16(destTunPort, d.TunnelPort)
	e.u16(destTunFlags, uint16(d.TunnelFlags))
	e.u32(destUThresh, d.UpperThreshold)
	e.u32(destLThresh, d.LowerThreshold)
}

// putDestKey writes the attributes that identify a destination.
// ADDR_FAMILY lets a destination differ from its service's family (tunnel
// forwarding only); without it the kernel assumes the service's family. A
// missing address is left out, with its family, for the kernel to refuse
// (ip_vs_genl_parse_dest) after it has looked the service up.
func (e *encoder) putDestKey(k ipvs.DestKey) {
	if k.Addr.IsValid() {
		e.u16(destAddrFamily, uint16(ipvs.FamilyOf(k.Addr)))
		e.addr16(destAddr, k.Addr)
	}
	e.be16(destPort, k.Port)
}

// serviceKeyAttrs is the payload of DEL_SERVICE, ZERO (one service),
// GET_SERVICE (one service) and GET_DEST.
func serviceKeyAttrs(k ipvs.ServiceKey) ([]byte, error) {
	return commandAttrs(k, func(e *encoder) { e.putServiceKey(k) }, nil)
}

// serviceAttrs is the payload of NEW_SERVICE and SET_SERVICE.
func serviceAttrs(s ipvs.Service) ([]byte, error) {
	return commandAttrs(s.ServiceKey, func(e *encoder) { e.putService(&s) }, nil)
}

// destAttrs is the payload of NEW_DEST and SET_DEST.
func destAttrs(k ipvs.ServiceKey, d ipvs.Dest) ([]byte, error) {
	return commandAttrs(k,
		func(e *encoder) { e.putServiceKey(k) },
		func(e *encoder) { e.putDest(&d) })
}

// destKeyAttrs is the payload of DEL_DEST, for which the kernel reads only
// the address, port and family (ip_vs_genl_parse_dest, full_entry false).
func destKeyAttrs(k ipvs.ServiceKey, dk ipvs.DestKey) ([]byte, error) {
	return commandAttrs(k,
		func(e *encoder) { e.putServiceKey(k) },
		func(e *encoder) { e.putDestKey(dk) })
}

// commandAttrs builds the payload of a service or destination command: the
// service nest filled by svc, then, unless dest is nil, the destination
// nest. A key the kernel would misread is refused before anything is
// encoded.
func commandAttrs(k ipvs.ServiceKey, svc, dest func(*encoder)) ([]byte, error) {
	if err := misread(k); err != nil {
		return nil, err
	}
	e := encoder{b: make([]byte, 0, 128)}
	at := e.begin(attrService)
	svc(&e)
	e.end(at)
	if dest != nil {
		at := e.begin(attrDest)
		dest(&e)
		e.end(at)
	}
	return e.bytes()
}

// daemonAttrs is the payload of NEW_DAEMON. STATE, MCAST_IFN and SYNC_ID
// are mandatory (ip_vs_genl_new_daemon); the rest are sent only when set,
// as ipvsadm does, so that the kernel applies its defaults.
func daemonAttrs(d ipvs.Daemon) ([]byte, error) {
	var e encoder
	at := e.begin(attrDaemon)
	e.u32(daemonState, uint32(d.State))
	e.str(daemonMcastIfn, d.Interface)
	e.u32(daemonSyncID, d.SyncID)
	if d.MaxLen != 0 {
		e.u16(daemonSyncMaxLen, d.MaxLen)
	}
	switch {
	case d.Group.Is4():
		v4 := d.Group.As4()
		e.put(daemonMcastGroup, v4[:]...)
	case d.Group.IsValid():
		v6 := d.Group.As16()
		e.put(daemonMcastGroup6, v6[:]...)
	}
	if d.Port != 0 {
		// Unlike every other port in this family, the sync port is a
		// host-order u16 (nla_get_u16 in ip_vs_genl_new_daemon).
		e.u16(daemonMcastPort, d.Port)
	}
	if d.TTL != 0 {
		e.u8(daemonMcastTTL, d.TTL)
	}
	e.end(at)
	return e.bytes()
}

// daemonStateAttrs is the payload of DEL_DAEMON. The kernel reads only
// STATE; the empty interface and zero sync ID are what ipvsadm sends.
func daemonStateAttrs(s ipvs.DaemonState) ([]byte, error) {
	return daemonAttrs(ipvs.Daemon{State: s})
}

// timeoutAttrs is the payload of SET_CONFIG. All three are always sent, as
// ipvsadm does: the kernel leaves a timeout unchanged when its value is 0
// (ip_vs_set_timeout).
func timeoutAttrs(t ipvs.Timeouts) ([]byte, error) {
	var e encoder
	e.u32(attrTimeoutTCP, t.TCP)
	e.u32(attrTimeoutTCPFin, t.TCPFin)
	e.u32(attrTimeoutUDP, t.UDP)
	return e.bytes()
}

// Decoding.

// Attribute header layout (struct nlattr).
const (
	nlaHeaderLen = 4
	// nlaTypeMask strips NLA_F_NESTED and NLA_F_NET_BYTEORDER.
	nlaTypeMask = 0x3fff
	nlaFNested  = 0x8000
)

// attrs walks a buffer of netlink attributes in place, without copying or
// allocating: a listing decodes thousands of them. The typed getters check
// the attribute's length and, on a mismatch, record an error that stops
// the walk, so a caller checks err once after the loop.
type attrs struct {
	what string // the nest being read, for error messages
	b    []byte // not yet read
	typ  uint16
	data []byte
	err  error
}

func newAttrs(what string, b []byte) attrs { return attrs{what: what, b: b} }

func (a *attrs) next() bool {
	if a.err != nil || len(a.b) == 0 {
		return false
	}
	if len(a.b) < nlaHeaderLen {
		a.err = invalid("ipvs: %s: %d trailing bytes", a.what, len(a.b))
		return false
	}
	n := int(binary.NativeEndian.Uint16(a.b))
	if n < nlaHeaderLen || n > len(a.b) {
		a.err = invalid("ipvs: %s: attribute length %d out of range", a.what, n)
		return false
	}
	a.typ = binary.NativeEndian.Uint16(a.b[2:]) & nlaTypeMask
	a.data = a.b[nlaHeaderLen:n:n]
	// Attributes are padded to 4 bytes; the last one's padding may be
	// missing.
	adv := (n + 3) &^ 3
	a.b = a.b[min(adv, len(a.b)):]
	return true
}

// fixed returns the attribute's payload if it is exactly n bytes long.
func (a *attrs) fixed(n int) []byte {
	if len(a.data) != n {
		a.err = invalid("ipvs: %s: attribute %d has length %d, want %d", a.what, a.typ, len(a.data), n)
		return nil
	}
	return a.data
}

func (a *attrs) u8() uint8 {
	if b := a.fixed(1); b != nil {
		return b[0]
	}
	return 0
}

func (a *attrs) u16() uint16 {
	if b := a.fixed(2); b != nil {
		return binary.NativeEndian.Uint16(b)
	}
	return 0
}

func (a *attrs) be16() uint16 {
	if b := a.fixed(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (a *attrs) u32() uint32 {
	if b := a.fixed(4); b != nil {
		return binary.NativeEndian.Uint32(b)
	}
	return 0
}

func (a *attrs) u64() uint64 {
	if b := a.fixed(8); b != nil {
		return binary.NativeEndian.Uint64(b)
	}
	return 0
}

// str returns a NUL-terminated string attribute without its terminator.
func (a *attrs) str() string {
	b := a.data
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// nest returns the payload of the top-level attribute typ of a message.
func nest(what string, b []byte, typ uint16) ([]byte, error) {
	a := newAttrs("message", b)
	for a.next() {
		if a.typ == typ {
			return a.data, nil
		}
	}
	if a.err != nil {
		return nil, a.err
	}
	return nil, invalid("ipvs: reply without a %s attribute", what)
}

// missing reports the first attribute in want that is not in seen (both
// bit sets indexed by attribute type).
func missing(what string, seen, want uint32) error {
	if seen&want == want {
		return nil
	}
	for t := range uint16(32) {
		if want&(1<<t) != 0 && seen&(1<<t) == 0 {
			return invalid("ipvs: %s: missing attribute %d", what, t)
		}
	}
	return nil
}

// bit is the member of an attribute set for type t; types beyond 31 are
// never required, so they have none.
func bit(t uint16) uint32 {
	if t >= 32 {
		return 0
	}
	return 1 << t
}

func bits(ts ...uint16) uint32 {
	var s uint32
	for _, t := range ts {
		s |= bit(t)
	}
	return s
}

// inetAddr reads a 16-byte nf_inet_addr as an address of family f. An IPv4
// address is in the first four bytes, as ipvsadm reads it.
func inetAddr(what string, f ipvs.Family, b []byte) (netip.Addr, error) {
	switch f {
	case ipvs.INET:
		return netip.AddrFrom4([4]byte(b[:4])), nil
	case ipvs.INET6:
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, invalid("ipvs: %s: unknown address family %d", what, f)
}

// decodeServiceMsg decodes one message of a GET_SERVICE reply or dump.
func decodeServiceMsg(b []byte) (ipvs.Service, error) {
	n, err := nest("service", b, attrService)
	if err != nil {
		return ipvs.Service{}, err
	}
	return decodeService(n)
}

// decodeService decodes a service nest (ip_vs_genl_fill_service), requiring
// what ipvsadm requires (ipvs_services_parse_cb).
func decodeService(b []byte) (ipvs.Service, error) {
	var (
		s                             ipvs.Service
		seen                          uint32
		addr, netmask, stats, stats64 []byte
	)
	a := newAttrs("service", b)
	for a.next() {
		seen |= bit(a.typ)
		switch a.typ {
		case svcAF:
			s.Family = ipvs.Family(a.u16())
		case svcProtocol:
			s.Protocol = ipvs.Protocol(a.u16())
		case svcAddr:
			addr = a.fixed(16)
		case svcPort:
			s.Port = a.be16()
		case svcFwmark:
			s.Fwmark = a.u32()
		case svcSchedName:
			s.Scheduler = a.str()
		case svcPEName:
			s.PE = a.str()
		case svcFlags:
			// struct ip_vs_flags {flags, mask}: only the bits in mask
			// are meaningful (the kernel sends mask ~0).
			if f := a.fixed(8); f != nil {
				s.Flags = ipvs.ServiceFlags(binary.NativeEndian.Uint32(f) & binary.NativeEndian.Uint32(f[4:]))
			}
		case svcTimeout:
			s.Timeout = a.u32()
		case svcNetmask:
			netmask = a.fixed(4)
		case svcStats:
			stats = a.data
		case svcStats64:
			stats64 = a.data
		}
	}
	if a.err != nil {
		return ipvs.Service{}, a.err
	}
	want := bits(svcAF, svcSchedName, svcFlags, svcTimeout, svcNetmask)
	if s.Fwmark == 0 {
		want |= bits(svcProtocol, svcAddr, svcPort)
	}
	if err := missing("service", seen, want); err != nil {
		return ipvs.Service{}, err
	}
	if s.Family != ipvs.INET && s.Family != ipvs.INET6 {
		return ipvs.Service{}, invalid("ipvs: service: unknown address family %d", s.Family)
	}
	if s.Fwmark != 0 {
		// The ipvs.ServiceKey convention for firewall-mark services.
		s.Protocol, s.Addr, s.Port = 0, netip.Addr{}, 0
	} else {
		s.Addr, _ = inetAddr("service", s.Family, addr)
	}
	s.Netmask = netmaskValue(s.Family, netmask)
	var err error
	s.Stats, err = decodeStatsPair("service stats", "service stats64", stats, stats64)
	if err != nil {
		return ipvs.Service{}, err
	}
	return s, nil
}

// decodeDestMsg decodes one message of a GET_DEST dump; f is the service's
// family, which the destination has unless it says otherwise.
func decodeDestMsg(b []byte, f ipvs.Family) (ipvs.Dest, error) {
	n, err := nest("destination", b, attrDest)
	if err != nil {
		return ipvs.Dest{}, err
	}
	return decodeDest(n, f)
}

// decodeDest decodes a destination nest (ip_vs_genl_fill_dest), requiring
// what ipvsadm requires (ipvs_dests_parse_cb). ADDR_FAMILY (kernel 3.18)
// and the tunnel attributes (5.2) are optional.
func decodeDest(b []byte, f ipvs.Family) (ipvs.Dest, error) {
	var (
		d                    ipvs.Dest
		seen                 uint32
		addr, stats, stats64 []byte
	)
	a := newAttrs("destination", b)
	for a.next() {
		seen |= bit(a.typ)
		switch a.typ {
		case destAddr:
			addr = a.fixed(16)
		case destPort:
			d.Port = a.be16()
		case destFwdMethod:
			d.Fwd = ipvs.FwdMethod(a.u32())
		case destWeight:
			d.Weight = int32(a.u32())
		case destUThresh:
			d.UpperThreshold = a.u32()
		case destLThresh:
			d.LowerThreshold = a.u32()
		case destActiveConns:
			d.ActiveConns = a.u32()
		case destInactConns:
			d.InactiveConns = a.u32()
		case destPersistConns:
			d.PersistentConns = a.u32()
		case destAddrFamily:
			f = ipvs.Family(a.u16())
		case destTunType:
			d.TunnelType = ipvs.TunnelType(a.u8())
		case destTunPort:
			d.TunnelPort = a.be16()
		case destTunFlags:
			d.TunnelFlags = ipvs.TunnelFlags(a.u16())
		case destStats:
			stats = a.data
		case destStats64:
			stats64 = a.data
		}
	}
	if a.err != nil {
		return ipvs.Dest{}, a.err
	}
	want := bits(destAddr, destPort, destFwdMethod, destWeight, destUThresh, destLThresh,
		destActiveConns, destInactConns, destPersistConns)
	if err := missing("destination", seen, want); err != nil {
		return ipvs.Dest{}, err
	}
	var err error
	if d.Addr, err = inetAddr("destination", f, addr); err != nil {
		return ipvs.Dest{}, err
	}
	if d.Stats, err = decodeStatsPair("destination stats", "destination stats64", stats, stats64); err != nil {
		return ipvs.Dest{}, err
	}
	return d, nil
}

// decodeStatsPair prefers STATS64 (kernel 4.1), whose counters are all 64
// bits wide, over STATS, which truncates all but the byte counters. As in
// ipvsadm, the one not chosen is not read, and neither is required. The
// names are for errors; they are constants so that a listing does not
// build them for every message.
func decodeStatsPair(name, name64 string, stats, stats64 []byte) (ipvs.Stats, error) {
	switch {
	case stats64 != nil:
		return decodeStats(name64, stats64, true)
	case stats != nil:
		return decodeStats(name, stats, false)
	}
	return ipvs.Stats{}, nil
}

// decodeStats decodes a STATS (wide false) or STATS64 (wide true) nest.
// Every counter is required, as in ipvsadm (ipvs_parse_stats); PAD and
// unknown attributes are skipped.
func decodeStats(what string, b []byte, wide bool) (ipvs.Stats, error) {
	var (
		s    ipvs.Stats
		seen uint32
	)
	// In STATS the byte counters are u64 and the others u32.
	narrow := func(a *attrs) uint64 {
		if wide {
			return a.u64()
		}
		return uint64(a.u32())
	}
	a := newAttrs(what, b)
	for a.next() {
		seen |= bit(a.typ)
		switch a.typ {
		case statsConns:
			s.Conns = narrow(&a)
		case statsInPkts:
			s.InPkts = narrow(&a)
		case statsOutPkts:
			s.OutPkts = narrow(&a)
		case statsInBytes:
			s.InBytes = a.u64()
		case statsOutBytes:
			s.OutBytes = a.u64()
		case statsCPS:
			s.CPS = narrow(&a)
		case statsInPPS:
			s.InPPS = narrow(&a)
		case statsOutPPS:
			s.OutPPS = narrow(&a)
		case statsInBPS:
			s.InBPS = narrow(&a)
		case statsOutBPS:
			s.OutBPS = narrow(&a)
		}
	}
	if a.err != nil {
		return ipvs.Stats{}, a.err
	}
	want := bits(statsConns, statsInPkts, statsOutPkts, statsInBytes, statsOutBytes,
		statsCPS, statsInPPS, statsOutPPS, statsInBPS, statsOutBPS)
	if err := missing(what, seen, want); err != nil {
		return ipvs.Stats{}, err
	}
	return s, nil
}

// decodeDaemonMsg decodes one message of a GET_DAEMON dump.
func decodeDaemonMsg(b []byte) (ipvs.Daemon, error) {
	n, err := nest("daemon", b, attrDaemon)
	if err != nil {
		return ipvs.Daemon{}, err
	}
	return decodeDaemon(n)
}

// decodeDaemon decodes a daemon nest (ip_vs_genl_fill_daemon). STATE,
// MCAST_IFN and SYNC_ID are required as in ipvsadm; the others appeared in
// kernel 4.3 and are optional.
func decodeDaemon(b []byte) (ipvs.Daemon, error) {
	var (
		d    ipvs.Daemon
		seen uint32
	)
	a := newAttrs("daemon", b)
	for a.next() {
		seen |= bit(a.typ)
		switch a.typ {
		case daemonState:
			d.State = ipvs.DaemonState(a.u32())
		case daemonMcastIfn:
			d.Interface = a.str()
		case daemonSyncID:
			d.SyncID = a.u32()
		case daemonSyncMaxLen:
			d.MaxLen = a.u16()
		case daemonMcastGroup:
			if g := a.fixed(4); g != nil {
				d.Group = netip.AddrFrom4([4]byte(g))
			}
		case daemonMcastGroup6:
			if g := a.fixed(16); g != nil {
				d.Group = netip.AddrFrom16([16]byte(g))
			}
		case daemonMcastPort:
			d.Port = a.u16()
		case daemonMcastTTL:
			d.TTL = a.u8()
		}
	}
	if a.err != nil {
		return ipvs.Daemon{}, a.err
	}
	if err := missing("daemon", seen, bits(daemonState, daemonMcastIfn, daemonSyncID)); err != nil {
		return ipvs.Daemon{}, err
	}
	return d, nil
}

// decodeInfo decodes the GET_INFO reply; both attributes are required, as
// in ipvsadm (ipvs_getinfo_parse_cb).
func decodeInfo(b []byte) (ipvs.Info, error) {
	var (
		info ipvs.Info
		seen uint32
	)
	a := newAttrs("info", b)
	for a.next() {
		seen |= bit(a.typ)
		switch a.typ {
		case infoVersion:
			info.Version = a.u32()
		case infoConnTabSize:
			info.ConnTabSize = a.u32()
		}
	}
	if a.err != nil {
		return ipvs.Info{}, a.err
	}
	if err := missing("info", seen, bits(infoVersion, infoConnTabSize)); err != nil {
		return ipvs.Info{}, err
	}
	return info, nil
}

// decodeTimeouts decodes the GET_CONFIG reply. Each timeout is optional:
// the kernel leaves out those of protocols it was built without.
func decodeTimeouts(b []byte) (ipvs.Timeouts, error) {
	var t ipvs.Timeouts
	a := newAttrs("config", b)
	for a.next() {
		switch a.typ {
		case attrTimeoutTCP:
			t.TCP = a.u32()
		case attrTimeoutTCPFin:
			t.TCPFin = a.u32()
		case attrTimeoutUDP:
			t.UDP = a.u32()
		}
	}
	if a.err != nil {
		return ipvs.Timeouts{}, a.err
	}
	return t, nil
}
