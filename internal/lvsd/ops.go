package lvsd

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"lvskit/internal/ipvs"
)

// OpKind is a change to the IPVS table.
type OpKind int

// The changes lvsd makes, one kernel command each.
const (
	SetTimeouts OpKind = iota
	StartDaemon
	StopDaemon
	AddService
	EditService
	DelService
	AddDest
	EditDest
	DelDest
)

// Op is one change to the table, and the virtual service it is for.
type Op struct {
	Kind     OpKind
	Virtual  string // the virtual block's name, empty for global changes
	Service  ipvs.Service
	Dest     ipvs.Dest
	Timeouts ipvs.Timeouts
	Daemon   ipvs.Daemon
}

// Apply makes the change.
func (o Op) Apply(t ipvs.Table) error {
	switch o.Kind {
	case SetTimeouts:
		return t.SetTimeouts(o.Timeouts)
	case StartDaemon:
		return t.StartDaemon(o.Daemon)
	case StopDaemon:
		return t.StopDaemon(o.Daemon.State)
	case AddService:
		return t.AddService(o.Service)
	case EditService:
		return t.EditService(o.Service)
	case DelService:
		return t.DelService(o.Service.ServiceKey)
	case AddDest:
		return t.AddDest(o.Service.ServiceKey, o.Dest)
	case EditDest:
		return t.EditDest(o.Service.ServiceKey, o.Dest)
	case DelDest:
		return t.DelDest(o.Service.ServiceKey, o.Dest.Key())
	}
	return fmt.Errorf("lvsd: unknown operation %d", o.Kind)
}

// String is the change as an ipvsadm command line, which an operator can
// read, and run: it makes the same change.
func (o Op) String() string {
	var b strings.Builder
	b.WriteString("ipvsadm ")
	switch o.Kind {
	case SetTimeouts:
		fmt.Fprintf(&b, "--set %d %d %d", o.Timeouts.TCP, o.Timeouts.TCPFin, o.Timeouts.UDP)
	case StartDaemon:
		fmt.Fprintf(&b, "--start-daemon %s --mcast-interface %s --syncid %d", o.Daemon.State, o.Daemon.Interface, o.Daemon.SyncID)
	case StopDaemon:
		fmt.Fprintf(&b, "--stop-daemon %s", o.Daemon.State)
	case AddService, EditService:
		flag := "-A"
		if o.Kind == EditService {
			flag = "-E"
		}
		fmt.Fprintf(&b, "%s %s -s %s", flag, o.Service.ServiceKey.Option(), o.Service.Scheduler)
		if o.Service.Flags&ipvs.FlagPersistent != 0 {
			fmt.Fprintf(&b, " -p %d", o.Service.Timeout)
			if o.Service.Netmask != 0xffffffff {
				var m [4]byte
				binary.BigEndian.PutUint32(m[:], o.Service.Netmask)
				fmt.Fprintf(&b, " -M %s", netip.AddrFrom4(m))
			}
		}
	case DelService:
		fmt.Fprintf(&b, "-D %s", o.Service.ServiceKey.Option())
	case AddDest, EditDest:
		flag := "-a"
		if o.Kind == EditDest {
			flag = "-e"
		}
		fmt.Fprintf(&b, "%s %s -r %s %s -w %d", flag, o.Service.ServiceKey.Option(), destArg(o.Dest.Key()), o.Dest.Fwd.Flag(), o.Dest.Weight)
		if o.Dest.UpperThreshold != 0 {
			fmt.Fprintf(&b, " -x %d", o.Dest.UpperThreshold)
		}
		if o.Dest.LowerThreshold != 0 {
			fmt.Fprintf(&b, " -y %d", o.Dest.LowerThreshold)
		}
	case DelDest:
		fmt.Fprintf(&b, "-d %s -r %s", o.Service.ServiceKey.Option(), destArg(o.Dest.Key()))
	}
	return b.String()
}

func destArg(k ipvs.DestKey) string { return netip.AddrPortFrom(k.Addr, k.Port).String() }
