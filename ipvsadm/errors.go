package ipvsadm

import (
	"errors"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// ctx is the kernel operation a failure is reported for. ipvsadm 1.31
// translates an errno by the last library call that set its context
// (ipvs_strerror) and keeps it across the lines of a restore; the
// executor does the same, except that a flush has a context of its own
// (none) instead of inheriting the previous line's.
type ctx int

const (
	ctxNone ctx = iota
	ctxAddService
	ctxEditService
	ctxDelService
	ctxZero
	ctxAddDest
	ctxEditDest
	ctxDelDest
	ctxStartDaemon
	ctxStopDaemon
	ctxGetServices
	ctxGetDests
	ctxGetService
	ctxSetTimeout
	// ipvs_get_timeout and ipvs_get_daemon set the context too; no
	// errno has a text of theirs, but they hide the one before.
	ctxGetTimeout
	ctxGetDaemon
)

// ctxMessages are the texts ipvs_strerror has for one operation.
var ctxMessages = map[ctx]map[syscall.Errno]string{
	ctxAddService:  {syscall.EEXIST: "Service already exists", syscall.ENOENT: "Scheduler or persistence engine not found"},
	ctxEditService: {syscall.ESRCH: "No such service", syscall.ENOENT: "Scheduler or persistence engine not found"},
	ctxDelService:  {syscall.ESRCH: "No such service"},
	ctxZero:        {syscall.ESRCH: "No such service"},
	ctxAddDest:     {syscall.ESRCH: "Service not defined", syscall.EEXIST: "Destination already exists"},
	ctxEditDest:    {syscall.ESRCH: "Service not defined", syscall.ENOENT: "No such destination"},
	ctxDelDest:     {syscall.ESRCH: "Service not defined", syscall.ENOENT: "No such destination"},
	ctxStartDaemon: {syscall.EEXIST: "Daemon has already run"},
	ctxStopDaemon:  {syscall.ESRCH: "No daemon is running"},
	ctxGetServices: {syscall.ESRCH: "No such service"},
	ctxGetDests:    {syscall.ESRCH: "No such service"},
	ctxGetService:  {syscall.ESRCH: "No such service"},
}

// anyMessages are ipvs_strerror's texts for any operation. The two spaces
// after "operation." are ipvsadm's.
var anyMessages = map[syscall.Errno]string{
	syscall.EPERM:        "Permission denied (you must be root)",
	syscall.EINVAL:       "Invalid operation.  Possibly wrong module version, address not unicast, ...",
	syscall.ENOPROTOOPT:  "Protocol not available",
	syscall.ENOMEM:       "Memory allocation problem",
	syscall.EOPNOTSUPP:   "Operation not supported with IPv6",
	syscall.EAFNOSUPPORT: "Operation not supported with specified address family",
	syscall.EMSGSIZE:     "Module is wrong version",
}

// strerror is the message ipvsadm prints for err in context c. A failure
// that carries no errno (a reply that could not be parsed, no reply at
// all) is EINVAL, as ipvsadm reports every non-kernel failure in netlink
// mode.
func strerror(c ctx, err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.EINVAL
	}
	if m, ok := ctxMessages[c][errno]; ok {
		return m
	}
	if m, ok := anyMessages[errno]; ok {
		return m
	}
	return libcStrerror(errno)
}

// libcStrerror is glibc's strerror text. Go's texts are glibc's with the
// first letter lowered.
func libcStrerror(e syscall.Errno) string {
	s := e.Error()
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
