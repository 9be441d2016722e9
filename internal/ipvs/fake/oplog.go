package fake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"

	"lvskit/internal/ipvs"
)

// OpLog returns the operation log: one line per command that changes, or
// tries to change, the table, in the order received, e.g.
//
//	NEW_SERVICE TCP 10.0.0.1:80 sched=rr flags=0x0 timeout=0 netmask=0xffffffff
//	NEW_DEST TCP 10.0.0.1:80 -> 192.168.1.10:80 fwd=Masq weight=3 uthresh=0 lthresh=0
//	NEW_SERVICE TCP 10.0.0.1:80 sched=rr flags=0x0 timeout=0 netmask=0xffffffff = EEXIST
//
// A line shows the request as sent, not what was stored; a failed command
// ends in " = " and the errno's name (or ErrNotAvailable). Reads and
// fixtures are not logged.
func (t *Table) OpLog() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.oplog)
}

// ResetOpLog empties the operation log.
func (t *Table) ResetOpLog() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.oplog = nil
}

// record appends a line for a command to the log.
func (t *Table) record(op Op, detail string, err error) {
	var b strings.Builder
	b.WriteString(string(op))
	if detail != "" {
		b.WriteString(" ")
		b.WriteString(detail)
	}
	if err != nil {
		b.WriteString(" = ")
		b.WriteString(errName(err))
	}
	t.oplog = append(t.oplog, b.String())
}

func errName(err error) string {
	if errors.Is(err, ipvs.ErrNotAvailable) {
		return "ErrNotAvailable"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return ErrnoName(e)
	}
	return "error"
}

func fmtService(s ipvs.Service) string {
	pe := ""
	if s.PE != "" {
		pe = " pe=" + s.PE
	}
	return fmt.Sprintf("%s sched=%s%s flags=%#x timeout=%d netmask=%#x",
		s.ServiceKey, s.Scheduler, pe, uint32(s.Flags), s.Timeout, s.Netmask)
}

func fmtDest(k ipvs.ServiceKey, d ipvs.Dest) string {
	s := fmt.Sprintf("%s -> %s fwd=%s weight=%d uthresh=%d lthresh=%d",
		k, d.Key(), d.Fwd, d.Weight, d.UpperThreshold, d.LowerThreshold)
	if d.Fwd == ipvs.Tunnel || d.TunnelType != 0 || d.TunnelPort != 0 || d.TunnelFlags != 0 {
		s += fmt.Sprintf(" tun=%s tunport=%d tunflags=%#x", d.TunnelType, d.TunnelPort, uint16(d.TunnelFlags))
	}
	return s
}

func fmtDaemon(d ipvs.Daemon) string {
	group := "-"
	if d.Group.IsValid() {
		group = d.Group.String()
	}
	return fmt.Sprintf("%s ifn=%s syncid=%d maxlen=%d group=%s port=%d ttl=%d",
		d.State, d.Interface, d.SyncID, d.MaxLen, group, d.Port, d.TTL)
}
