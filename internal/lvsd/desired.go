package lvsd

import (
	"encoding/binary"
	"strconv"

	"lvskit/internal/ipvs"
	"lvskit/internal/lvsconf"
)

// Virtual is an active virtual block of lvs.cf as the IPVS table and the
// monitors see it.
type Virtual struct {
	Name    string
	Service ipvs.Service
	Servers []Real
	// Sorry is the sorry server's destination, if the block has one.
	Sorry *ipvs.Dest
	// Port is the virtual port as lvs.cf gives it, even for a
	// firewall-mark service.
	Port uint16
}

// Real is an active real server: its destination at the configured
// weight, and the monitor that puts it into service.
type Real struct {
	Name    string
	Dest    ipvs.Dest
	Monitor []string // the monitor's argv, program first
}

// Options are lvsd's own flags that reach the monitors' argv.
type Options struct {
	Verbose  bool // lvsd -v: every nanny gets -v
	NoDaemon bool // lvsd --nodaemon: every nanny gets --nodaemon
}

// Desired returns the table cfg describes: its active virtual services,
// in file order, each with its active real servers.
func Desired(cfg *lvsconf.Config, opt Options) []Virtual {
	var out []Virtual
	for i := range cfg.Virtuals {
		v := &cfg.Virtuals[i]
		if !v.Active {
			continue
		}
		d := Virtual{Name: v.Name, Service: service(v), Port: v.Port}
		fwd := fwdMethod(cfg.NetworkOf(v))
		for j := range v.Servers {
			s := &v.Servers[j]
			if !s.Active {
				continue
			}
			d.Servers = append(d.Servers, Real{
				Name:    s.Name,
				Dest:    ipvs.Dest{Addr: s.Addr, Port: ipvs.RealPort(d.Service.ServiceKey, fwd, s.Port), Fwd: fwd, Weight: int32(s.Weight)},
				Monitor: nannyArgv(cfg, v, s, opt),
			})
		}
		if v.SorryServer.IsValid() && !v.SorryServer.IsUnspecified() {
			d.Sorry = &ipvs.Dest{Addr: v.SorryServer, Port: ipvs.RealPort(d.Service.ServiceKey, fwd, v.Port), Fwd: fwd, Weight: 1}
		}
		out = append(out, d)
	}
	return out
}

// service is the IPVS service of a virtual block, as ipvsadm -A builds
// it from the options Piranha's lvsd passes: -t/-u VIP:PORT or -f MARK,
// -s SCHED, and -p/-M only with persistence.
func service(v *lvsconf.Virtual) ipvs.Service {
	key := ipvs.AddrKey(ipvs.TCP, v.Addr, v.Port)
	if v.Protocol == "udp" {
		key.Protocol = ipvs.UDP
	}
	if v.Fwmark != 0 {
		key = ipvs.FwmarkKey(ipvs.INET, v.Fwmark)
	}
	s := ipvs.Service{ServiceKey: key, Scheduler: v.Scheduler, Netmask: 0xffffffff}
	if v.Persistent > 0 {
		s.Flags |= ipvs.FlagPersistent
		s.Timeout = uint32(v.Persistent)
		if !v.PMask.IsUnspecified() {
			b := v.PMask.As4()
			s.Netmask = binary.BigEndian.Uint32(b[:])
		}
	}
	return s
}

func fwdMethod(n lvsconf.Network) ipvs.FwdMethod {
	switch n {
	case lvsconf.Direct:
		return ipvs.Route
	case lvsconf.Tunnel:
		return ipvs.Tunnel
	}
	return ipvs.Masq
}

// methodLetter is nanny's -M value: ipvsadm's forwarding flag without
// its dash.
func methodLetter(n lvsconf.Network) string { return fwdMethod(n).Flag()[1:] }

// nannyArgv is the command line Piranha's lvsd builds for a real
// server's monitor, option for option in its order, so that monitors
// written for Piranha keep working; lvskit's extension keys follow as
// long options.
func nannyArgv(cfg *lvsconf.Config, v *lvsconf.Virtual, s *lvsconf.Server, opt Options) []string {
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	a := []string{v.ClientMonitor, "-c", "-h", s.Addr.String(), "-p", itoa(int64(v.Port)), "-r", itoa(int64(s.Port))}
	if v.Fwmark != 0 {
		a = append(a, "-f", itoa(int64(v.Fwmark)))
	}
	if v.Protocol == "udp" {
		a = append(a, "-u")
	}
	// Piranha strips the outer double quotes of these values; lvsconf
	// has already done so, and kept single quotes as Piranha does.
	if v.SendProgram != "" {
		a = append(a, "-e", v.SendProgram)
	}
	if v.Send != "" {
		a = append(a, "-s", v.Send)
	}
	if v.Expect != "" {
		a = append(a, "-x", v.Expect)
	}
	if v.QuiesceServer {
		a = append(a, "-q")
	}
	if v.UseRegex {
		a = append(a, "--regex")
	}
	if opt.Verbose {
		a = append(a, "-v")
	}
	a = append(a, "-a", itoa(v.Reentry), "-I", cfg.Ipvsadm, "-t", itoa(v.Timeout), "-w", itoa(s.Weight),
		"-V", v.Addr.String(), "-M", methodLetter(cfg.NetworkOf(v)))
	if v.LoadMonitor != "" {
		lm := v.LoadMonitor
		if lm == "uptime" {
			lm = cfg.RshCommand
		}
		a = append(a, "-U", lm)
	}
	if opt.NoDaemon || v.SorryServer.IsValid() && !v.SorryServer.IsUnspecified() {
		a = append(a, "--nodaemon")
	}
	a = append(a, "--lvs")
	return append(a, v.NannyArgs()...)
}
