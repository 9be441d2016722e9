package fake

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"lvskit/internal/ipvs"
)

// Op names a kernel command: the IPVS_CMD_* name of
// include/uapi/linux/ip_vs.h without its prefix. Faults are injected per
// Op, and the operation log starts each line with one.
type Op string

// The kernel commands behind the Table methods.
const (
	OpNewService Op = "NEW_SERVICE" // AddService
	OpSetService Op = "SET_SERVICE" // EditService
	OpDelService Op = "DEL_SERVICE" // DelService
	OpGetService Op = "GET_SERVICE" // Service, Services
	OpNewDest    Op = "NEW_DEST"    // AddDest
	OpSetDest    Op = "SET_DEST"    // EditDest
	OpDelDest    Op = "DEL_DEST"    // DelDest
	OpGetDest    Op = "GET_DEST"    // Dests
	OpFlush      Op = "FLUSH"       // Flush
	OpZero       Op = "ZERO"        // ZeroAll, ZeroService
	OpGetInfo    Op = "GET_INFO"    // Info
	OpGetConfig  Op = "GET_CONFIG"  // Timeouts
	OpSetConfig  Op = "SET_CONFIG"  // SetTimeouts
	OpNewDaemon  Op = "NEW_DAEMON"  // StartDaemon
	OpDelDaemon  Op = "DEL_DAEMON"  // StopDaemon
	OpGetDaemon  Op = "GET_DAEMON"  // Daemons
)

var allOps = []Op{
	OpNewService, OpSetService, OpDelService, OpGetService,
	OpNewDest, OpSetDest, OpDelDest, OpGetDest,
	OpFlush, OpZero, OpGetInfo, OpGetConfig, OpSetConfig,
	OpNewDaemon, OpDelDaemon, OpGetDaemon,
}

// ParseOp returns the Op named s, ignoring case and an IPVS_CMD_ prefix.
func ParseOp(s string) (Op, error) {
	name := strings.TrimPrefix(strings.ToUpper(s), "IPVS_CMD_")
	for _, op := range allOps {
		if string(op) == name {
			return op, nil
		}
	}
	return "", fmt.Errorf("fake ipvs: unknown command %q", s)
}

// opFault is an errno injected for one command.
type opFault struct {
	errno syscall.Errno
	once  bool
}

// faults are the injected failures, checked before a command does
// anything else.
type faults struct {
	unavailable bool
	all         syscall.Errno
	ops         map[Op]opFault
}

// SetUnavailable makes the table behave like a kernel without IPVS: Open
// and every command fail with ipvs.ErrNotAvailable.
func (t *Table) SetUnavailable(on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.faults.unavailable = on
}

// FailAll makes every command fail with errno (EPERM, say, for a caller
// without CAP_NET_ADMIN). Zero stops it.
func (t *Table) FailAll(errno syscall.Errno) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.faults.all = errno
}

// FailOp makes the command op fail with errno: only the next call if once
// is set, every call otherwise. A per-command fault takes precedence over
// FailAll. Zero removes the fault.
func (t *Table) FailOp(op Op, errno syscall.Errno, once bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if errno == 0 {
		delete(t.faults.ops, op)
		return
	}
	t.faults.ops[op] = opFault{errno: errno, once: once}
}

// ClearFaults removes every injected fault, SetUnavailable included.
func (t *Table) ClearFaults() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.faults = faults{ops: map[Op]opFault{}}
}

// fault returns the injected failure of op, if any, and uses up a
// one-shot fault.
func (t *Table) fault(op Op) error {
	if t.faults.unavailable {
		return fmt.Errorf("fake ipvs: %s: %w", op, ipvs.ErrNotAvailable)
	}
	if f, ok := t.faults.ops[op]; ok {
		if f.once {
			delete(t.faults.ops, op)
		}
		return fail(op, f.errno, "(injected)")
	}
	if t.faults.all != 0 {
		return fail(op, t.faults.all, "(injected)")
	}
	return nil
}

// errnoNames are the symbolic names of the errnos worth naming in a test.
var errnoNames = map[syscall.Errno]string{
	syscall.EPERM:           "EPERM",
	syscall.ENOENT:          "ENOENT",
	syscall.ESRCH:           "ESRCH",
	syscall.EINTR:           "EINTR",
	syscall.EIO:             "EIO",
	syscall.ENXIO:           "ENXIO",
	syscall.E2BIG:           "E2BIG",
	syscall.EBADF:           "EBADF",
	syscall.EAGAIN:          "EAGAIN",
	syscall.ENOMEM:          "ENOMEM",
	syscall.EACCES:          "EACCES",
	syscall.EFAULT:          "EFAULT",
	syscall.EBUSY:           "EBUSY",
	syscall.EEXIST:          "EEXIST",
	syscall.ENODEV:          "ENODEV",
	syscall.EINVAL:          "EINVAL",
	syscall.ENFILE:          "ENFILE",
	syscall.EMFILE:          "EMFILE",
	syscall.ENOSPC:          "ENOSPC",
	syscall.ERANGE:          "ERANGE",
	syscall.ENOSYS:          "ENOSYS",
	syscall.EMSGSIZE:        "EMSGSIZE",
	syscall.ENOPROTOOPT:     "ENOPROTOOPT",
	syscall.EPROTONOSUPPORT: "EPROTONOSUPPORT",
	syscall.EOPNOTSUPP:      "EOPNOTSUPP",
	syscall.EAFNOSUPPORT:    "EAFNOSUPPORT",
	syscall.EADDRINUSE:      "EADDRINUSE",
	syscall.EADDRNOTAVAIL:   "EADDRNOTAVAIL",
	syscall.ENETDOWN:        "ENETDOWN",
	syscall.ENETUNREACH:     "ENETUNREACH",
	syscall.ENOBUFS:         "ENOBUFS",
	syscall.ETIMEDOUT:       "ETIMEDOUT",
	syscall.ECONNREFUSED:    "ECONNREFUSED",
	syscall.EHOSTUNREACH:    "EHOSTUNREACH",
}

// ErrnoName returns the symbolic name of e ("EEXIST"), or "errno(N)" for
// one without a known name.
func ErrnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno(%d)", uint(e))
}

// ParseErrno returns the errno named s: a symbolic name in any case
// ("EPERM", "eperm"), a decimal number, or "errno(N)".
func ParseErrno(s string) (syscall.Errno, error) {
	up := strings.ToUpper(s)
	for e, n := range errnoNames {
		if n == up {
			return e, nil
		}
	}
	num := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(s), "errno("), ")")
	if n, err := strconv.ParseUint(num, 10, 16); err == nil && n > 0 {
		return syscall.Errno(n), nil
	}
	return 0, fmt.Errorf("fake ipvs: unknown errno %q", s)
}
