package lvsd

import (
	"net/netip"
	"strings"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
	"lvskit/internal/lvsconf"
)

func config(t *testing.T, src string) *lvsconf.Config {
	t.Helper()
	c, _, err := lvsconf.Parse("lvs.cf", []byte(src), lvsconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const base = `network = nat
virtual web {
	active = 1
	address = 10.0.0.1 eth0:1
	sorry_server = 10.9.9.9
	server a {
		address = 192.168.1.1
		active = 1
		weight = 3
	}
	server b {
		address = 192.168.1.2
		active = 1
	}
}
`

var (
	web = ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80)
	rsA = ipvs.Dest{Addr: netip.MustParseAddr("192.168.1.1"), Port: 80, Weight: 3}
	rsB = ipvs.Dest{Addr: netip.MustParseAddr("192.168.1.2"), Port: 80, Weight: 1}
)

// kernel is the table as the kernel lists it after st was built, with
// dests present.
func kernel(st State, dests ...ipvs.Dest) Actual {
	act := Actual{Timeouts: ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}, Services: map[ipvs.ServiceKey]ipvs.Service{},
		Dests: map[ipvs.ServiceKey][]ipvs.Dest{}}
	for _, v := range st.Virtuals {
		s := v.Service
		s.Flags |= ipvs.FlagHashed
		act.Services[s.ServiceKey] = s
	}
	act.Dests[web] = dests
	return act
}

func opStrings(ops []Op) string {
	var s []string
	for _, o := range ops {
		s = append(s, o.String())
	}
	return strings.Join(s, "\n")
}

func TestPlan(t *testing.T) {
	st := StateOf(config(t, base), Options{})
	other := ipvs.Service{ServiceKey: ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.8.8.8"), 80), Scheduler: "rr", Netmask: 0xffffffff}
	stale := ipvs.Service{ServiceKey: ipvs.FwmarkKey(ipvs.INET, 7), Scheduler: "rr", Netmask: 0xffffffff}
	sorry := ipvs.Dest{Addr: netip.MustParseAddr("10.9.9.9"), Port: 80, Weight: 1}
	edit := func(src string) State { return StateOf(config(t, src), Options{}) }

	for _, tc := range []struct {
		name    string
		prev    *State
		want    State
		managed []ipvs.ServiceKey
		act     Actual
		ops     string
	}{
		{name: "empty table: the service only; monitors add the servers",
			want: st, act: kernel(State{}), ops: "ipvsadm -A -t 10.0.0.1:80 -s wlc"},
		{name: "adopted as it is: nothing (HASHED is the kernel's)",
			want: st, act: kernel(st, rsA, rsB, sorry)},
		{name: "a server down (its monitor removed it): left to the monitor",
			prev: &st, want: st, act: kernel(st, rsB)},
		{name: "a quiesced server keeps weight 0",
			prev: &st, want: st, act: kernel(st, ipvs.Dest{Addr: rsA.Addr, Port: 80, Weight: 0}, rsB)},
		{name: "a ramping server keeps its weight",
			prev: &st, want: st, act: kernel(st, ipvs.Dest{Addr: rsA.Addr, Port: 80, Weight: 1}, rsB)},
		{name: "weight changed in lvs.cf: set on a server in service",
			prev: &st, want: edit(strings.Replace(base, "weight = 3", "weight = 7", 1)), act: kernel(st, rsA, rsB),
			ops: "ipvsadm -e -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 7"},
		{name: "weight changed in lvs.cf: not on a quiesced server",
			prev: &st, want: edit(strings.Replace(base, "weight = 3", "weight = 7", 1)),
			act: kernel(st, ipvs.Dest{Addr: rsA.Addr, Port: 80, Weight: 0}, rsB)},
		{name: "thresholds set by hand are kept in an edit",
			prev: &st, want: edit(strings.Replace(base, "weight = 3", "weight = 7", 1)),
			act: kernel(st, ipvs.Dest{Addr: rsA.Addr, Port: 80, Weight: 3, UpperThreshold: 50}, rsB),
			ops: "ipvsadm -e -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 7 -x 50"},
		{name: "a server no longer in lvs.cf goes; the sorry server stays",
			prev: &st, want: edit(strings.Replace(base, "active = 1\n\t\tweight = 3", "active = 0\n\t\tweight = 3", 1)),
			act: kernel(st, rsA, sorry),
			ops: "ipvsadm -d -t 10.0.0.1:80 -r 192.168.1.1:80"},
		{name: "sorry server dropped from lvs.cf: deleted",
			prev: &st, want: edit(strings.Replace(base, "\tsorry_server = 10.9.9.9\n", "", 1)), act: kernel(st, sorry),
			ops: "ipvsadm -d -t 10.0.0.1:80 -r 10.9.9.9:80"},
		{name: "forwarding method corrected in place",
			prev: &st, want: st, act: kernel(st, ipvs.Dest{Addr: rsA.Addr, Port: 80, Weight: 3, Fwd: ipvs.Route}),
			ops: "ipvsadm -e -t 10.0.0.1:80 -r 192.168.1.1:80 -m -w 3"},
		{name: "scheduler and persistence: one edit",
			prev: &st, want: edit(strings.Replace(base, "sorry_server", "scheduler = rr\n\tpersistent = 60\n\tpmask = 255.255.0.0\n\tsorry_server", 1)),
			act: kernel(st), ops: "ipvsadm -E -t 10.0.0.1:80 -s rr -p 60 -M 255.255.0.0"},
		{name: "persistence dropped: one edit",
			prev: &st, want: st,
			act: func() Actual {
				a := kernel(st)
				s := a.Services[web]
				s.Flags, s.Timeout = ipvs.FlagPersistent|ipvs.FlagHashed, 300
				a.Services[web] = s
				return a
			}(),
			ops: "ipvsadm -E -t 10.0.0.1:80 -s wlc"},
		{name: "services lvsd never managed are never touched",
			want: st, act: func() Actual { a := kernel(st); a.Services[other.ServiceKey] = other; return a }()},
		{name: "a service managed before (state file) and gone from lvs.cf is deleted",
			want: st, managed: []ipvs.ServiceKey{stale.ServiceKey, web},
			act: func() Actual { a := kernel(st); a.Services[stale.ServiceKey] = stale; return a }(),
			ops: "ipvsadm -D -f 7"},
		{name: "a virtual service removed on reload",
			prev: &st, want: edit("virtual web {\n}\n"), act: kernel(st, rsA), ops: "ipvsadm -D -t 10.0.0.1:80"},
		{name: "a changed VIP is another service",
			prev: &st, want: edit(strings.Replace(base, "10.0.0.1 eth0:1", "10.0.0.2 eth0:1", 1)), act: kernel(st, rsA),
			ops: "ipvsadm -D -t 10.0.0.1:80\nipvsadm -A -t 10.0.0.2:80 -s wlc"},
		{name: "timeouts: only those set and different",
			want: edit("tcp_timeout = 900\nudp_timeout = 60\n"), act: kernel(State{}), ops: "ipvsadm --set 0 0 60"},
		{name: "sync daemon started",
			want: edit("syncdaemon = 1\nsyncd_iface = eth1\n"), act: kernel(State{}),
			ops: "ipvsadm --start-daemon master --mcast-interface eth1 --syncid 0"},
		{name: "sync daemon on another interface: restarted",
			want: edit("syncdaemon = 1\nsyncd_iface = eth1\n"),
			act: func() Actual {
				a := kernel(State{})
				a.Daemons = []ipvs.Daemon{{State: ipvs.Master, Interface: "eth0"}}
				return a
			}(),
			ops: "ipvsadm --stop-daemon master\nipvsadm --start-daemon master --mcast-interface eth1 --syncid 0"},
		{name: "sync daemon lvsd did not start is not stopped",
			want: edit("service = lvs\n"),
			act: func() Actual {
				a := kernel(State{})
				a.Daemons = []ipvs.Daemon{{State: ipvs.Master, Interface: "eth0"}}
				return a
			}()},
		{name: "sync daemon dropped from lvs.cf is stopped",
			prev: func() *State { s := edit("syncdaemon = 1\n"); return &s }(), want: edit("service = lvs\n"),
			act: func() Actual {
				a := kernel(State{})
				a.Daemons = []ipvs.Daemon{{State: ipvs.Backup, Interface: "eth0"}, {State: ipvs.Master, Interface: "eth0"}}
				return a
			}(),
			ops: "ipvsadm --stop-daemon master"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := opStrings(Plan(tc.prev, tc.want, tc.managed, tc.act)); got != tc.ops {
				t.Errorf("ops:\n%s\nwant:\n%s", got, tc.ops)
			}
		})
	}
}

// Every op applies to a table and does what its ipvsadm form says.
func TestOpApply(t *testing.T) {
	st := StateOf(config(t, base), Options{})
	v := st.Virtuals[0]
	ft := fake.New()
	tb, _ := ft.Open()
	ops := []Op{
		{Kind: SetTimeouts, Timeouts: ipvs.Timeouts{UDP: 60}},
		{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "lo"}},
		{Kind: AddService, Service: v.Service},
		{Kind: EditService, Service: v.Service},
		{Kind: AddDest, Service: v.Service, Dest: v.Servers[0].Dest},
		{Kind: EditDest, Service: v.Service, Dest: v.Servers[0].Dest},
		{Kind: DelDest, Service: v.Service, Dest: v.Servers[0].Dest},
		{Kind: DelService, Service: v.Service},
		{Kind: StopDaemon, Daemon: ipvs.Daemon{State: ipvs.Master}},
	}
	for _, o := range ops {
		if err := o.Apply(tb); err != nil {
			t.Fatalf("%s: %v", o, err)
		}
	}
	var got []string
	for _, l := range ft.OpLog() {
		got = append(got, strings.Fields(l)[0])
	}
	want := "SET_CONFIG NEW_DAEMON NEW_SERVICE SET_SERVICE NEW_DEST SET_DEST DEL_DEST DEL_SERVICE DEL_DAEMON"
	if strings.Join(got, " ") != want {
		t.Errorf("kernel commands %s, want %s", got, want)
	}
	if err := (Op{Kind: OpKind(99)}).Apply(tb); err == nil {
		t.Error("unknown op applied")
	}
}

// The monitor's argv is Piranha's, option for option.
func TestNannyArgv(t *testing.T) {
	c := config(t, `network = tunnel
rsh_command = ssh
ipvsadm = /usr/sbin/ipvsadm
virtual v {
	active = 1
	address = 10.0.0.1 eth0:1
	fwmark = 9
	protocol = udp
	send_program = "/bin/chk %h %p"
	send = "ping"
	expect = "pong"
	quiesce_server = 1
	use_regex = 1
	load_monitor = uptime
	reentry = 30
	timeout = 3
	client_monitor = /opt/mon
	server s {
		address = 192.168.1.1
		port = 5353
		active = 1
		weight = 4
	}
}
`)
	got := strings.Join(Desired(c, Options{Verbose: true})[0].Servers[0].Monitor, " ")
	want := "/opt/mon -c -h 192.168.1.1 -p 80 -r 5353 -f 9 -u -e /bin/chk %h %p -s ping -x pong -q --regex -v -a 30 -I /usr/sbin/ipvsadm -t 3 -w 4 -V 10.0.0.1 -M i -U ssh --lvs"
	if got != want {
		t.Errorf("argv\n got %s\nwant %s", got, want)
	}
	// A fwmark service keeps the real port even with tunnelling.
	if d := Desired(c, Options{})[0].Servers[0].Dest; d.Port != 5353 || d.Fwd != ipvs.Tunnel {
		t.Errorf("dest %+v", d)
	}
}

// forward (an lvskit key) gives one virtual service its own forwarding
// method: one lvs.cf holds a NAT and a direct-routing service.
func TestForwardPerVirtual(t *testing.T) {
	c := config(t, `network = nat
virtual nat {
	active = 1
	address = 10.0.0.1 eth0:1
	server s {
		address = 192.168.1.1
		port = 8080
		active = 1
	}
}
virtual dr {
	active = 1
	address = 10.0.0.2 eth0:2
	forward = direct
	server s {
		address = 192.168.1.1
		port = 8080
		active = 1
	}
}
`)
	d := Desired(c, Options{})
	for i, want := range []struct {
		fwd  ipvs.FwdMethod
		port uint16
		m    string
	}{{ipvs.Masq, 8080, "-M m"}, {ipvs.Route, 80, "-M g"}} {
		s := d[i].Servers[0]
		if s.Dest.Fwd != want.fwd || s.Dest.Port != want.port || !strings.Contains(strings.Join(s.Monitor, " "), want.m) {
			t.Errorf("%s: dest %+v, monitor %q", d[i].Name, s.Dest, s.Monitor)
		}
	}
}
