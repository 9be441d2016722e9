package lvsconf

import (
	"math"
	"strconv"
	"time"
)

// Extension is a key lvskit reads beyond Piranha's. Piranha refused every
// one of them ("unknown command"), so a file Piranha accepted means the
// same here; a file that uses them is for lvskit only. This table is the
// one place they are declared: the parser, the printer, lvsd (which hands
// the health-check keys to each nanny as NannyFlag) and lvs.cf(5) follow
// it.
type Extension struct {
	Key   string
	Scope string // "global" or "virtual"
	Value string // what the value is, for documentation
	// Default is the value in effect when the key is absent.
	Default string
	// NannyFlag is the nanny option lvsd appends to a monitor's argv,
	// after Piranha's, when the key is set; empty for keys nanny does not
	// take.
	NannyFlag string
	UsedBy    string
	Doc       string
}

// Extensions lists lvskit's keys.
var Extensions = []Extension{
	{Key: "check", Scope: "virtual", Value: "tcp | send | program | http | https | icmp | udp | dns | smtp",
		Default:   "Piranha's choice: program with send_program, send with send or expect, else a TCP connect (a web request on port 80)",
		NannyFlag: "--check", UsedBy: "nanny",
		Doc: "the kind of health check run against each real server"},
	{Key: "check_interval", Scope: "virtual", Value: "seconds, 1 or more", Default: "timeout",
		NannyFlag: "--check-interval", UsedBy: "nanny",
		Doc: "seconds between two checks; timeout then bounds each check alone"},
	{Key: "fall", Scope: "virtual", Value: "count, 1 or more", Default: "1",
		NannyFlag: "--fall", UsedBy: "nanny",
		Doc: "consecutive failed checks before a real server is taken out of service"},
	{Key: "rise", Scope: "virtual", Value: "count, 1 or more", Default: "reentry / check_interval, at least 1 (Piranha: reentry / timeout)",
		NannyFlag: "--rise", UsedBy: "nanny",
		Doc: "consecutive successful checks before a failed real server returns"},
	{Key: "forward", Scope: "virtual", Value: "nat | direct | tunnel", Default: "network",
		UsedBy: "lvsd, nanny, pulse",
		Doc:    "how this virtual service's real servers are forwarded, where it differs from the global network"},
	{Key: "heartbeat_secret_file", Scope: "global", Value: "absolute path", Default: "none: heartbeats are not authenticated",
		UsedBy: "pulse",
		Doc:    "file holding the secret that authenticates heartbeats (HMAC-SHA256); both directors read the same secret"},
	{Key: "heartbeat_mode", Scope: "global", Value: "lvskit | piranha", Default: "lvskit",
		UsedBy: "pulse",
		Doc:    "lvskit's authenticated heartbeat, or Piranha's 4-byte one to run beside a Piranha pulse"},
	{Key: "failback", Scope: "global", Value: "never | preempt", Default: "never (as Piranha)",
		UsedBy: "pulse",
		Doc:    "whether the better director takes the service back from an active partner"},
	{Key: "failback_delay", Scope: "global", Value: "seconds", Default: "30",
		UsedBy: "pulse",
		Doc:    "with failback = preempt, how long the better director must be up and healthy first"},
	{Key: "primary_priority", Scope: "global", Value: "1 to 255", Default: "100",
		UsedBy: "pulse",
		Doc:    "the primary's priority; the higher priority is the better director, the primary on a tie"},
	{Key: "backup_priority", Scope: "global", Value: "1 to 255", Default: "100",
		UsedBy: "pulse",
		Doc:    "the backup's priority"},
	{Key: "garp_count", Scope: "global", Value: "count, 1 or more", Default: "5 (as Piranha)",
		UsedBy: "pulse",
		Doc:    "gratuitous ARPs (IPv6: neighbour advertisements) sent per VIP on taking over"},
	{Key: "garp_interval", Scope: "global", Value: "seconds", Default: "1 (as Piranha)",
		UsedBy: "pulse",
		Doc:    "time between two of them; the first goes at once"},
	{Key: "garp_refresh", Scope: "global", Value: "seconds, 0 for never", Default: "60",
		UsedBy: "pulse",
		Doc:    "while active, announce every VIP again this often"},
	{Key: "arbitration_gateway", Scope: "global", Value: "IP address", Default: "none: no arbitration",
		UsedBy: "pulse",
		Doc:    "an address (the gateway) the backup must reach before taking over from a silent partner"},
}

// Checks are the values of the check key.
var Checks = []string{"tcp", "send", "program", "http", "https", "icmp", "udp", "dns", "smtp"}

// NannyArgs returns the nanny options for v's extension keys that are
// set, in the order of Extensions.
func (v *Virtual) NannyArgs() []string {
	var args []string
	add := func(flag, value string) { args = append(args, flag, value) }
	if v.Check != "" {
		add("--check", v.Check)
	}
	if v.CheckInterval != 0 {
		add("--check-interval", strconv.FormatInt(v.CheckInterval, 10))
	}
	if v.Fall != 0 {
		add("--fall", strconv.FormatInt(v.Fall, 10))
	}
	if v.Rise != 0 {
		add("--rise", strconv.FormatInt(v.Rise, 10))
	}
	return args
}

// extKeys adds the extension keys to keys.
func extKeys() map[string]keyDef {
	vb, g := []scope{virtualBlock}, []scope{global}
	vs := func(p *parser) *Virtual { return p.vs }
	return map[string]keyDef{
		"check":          {vb, 1, false, enumKey(func(p *parser) *string { return &vs(p).Check }, Checks...)},
		"check_interval": {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).CheckInterval }, 1, math.MaxInt32)},
		"fall":           {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).Fall }, 1, math.MaxInt32)},
		"rise":           {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).Rise }, 1, math.MaxInt32)},
		"heartbeat_secret_file": {g, 1, false, func(p *parser, key string, v []token) error {
			if v[0].text == "" || v[0].text[0] != '/' {
				return p.err(v[0].col, key, "absolute path expected, got "+strconv.Quote(v[0].text), "pulse may run from any directory")
			}
			p.cfg.HeartbeatSecretFile = v[0].text
			return nil
		}},
		"forward": {vb, 1, false, func(p *parser, key string, v []token) error {
			var n string
			if err := enumKey(func(*parser) *string { return &n }, string(NAT), string(Direct), string(Tunnel))(p, key, v); err != nil {
				return err
			}
			p.vs.Forward = Network(n)
			return nil
		}},
		"heartbeat_mode":   {g, 1, false, enumKey(func(p *parser) *string { return &p.cfg.HeartbeatMode }, "lvskit", "piranha")},
		"failback":         {g, 1, false, enumKey(func(p *parser) *string { return &p.cfg.Failback }, "never", "preempt")},
		"failback_delay":   {g, 1, false, secondsKey(func(p *parser) *time.Duration { return &p.cfg.FailbackDelay }, 0)},
		"primary_priority": {g, 1, false, intKey(func(p *parser) *int64 { return &p.cfg.PrimaryPriority }, 1, 255)},
		"backup_priority":  {g, 1, false, intKey(func(p *parser) *int64 { return &p.cfg.BackupPriority }, 1, 255)},
		"garp_count":       {g, 1, false, intKey(func(p *parser) *int64 { return &p.cfg.GARPCount }, 1, 1000)},
		"garp_interval":    {g, 1, false, secondsKey(func(p *parser) *time.Duration { return &p.cfg.GARPInterval }, time.Millisecond)},
		"garp_refresh":     {g, 1, false, secondsKey(func(p *parser) *time.Duration { return &p.cfg.GARPRefresh }, 0)},
		"arbitration_gateway": {g, 1, false, func(p *parser, key string, v []token) error {
			a, err := p.host(key, v[0])
			if err == nil && a.IsUnspecified() {
				err = p.err(v[0].col, key, "invalid host name or ip address \"0.0.0.0\"", "the address pulse pings, typically the default gateway")
			}
			p.cfg.ArbitrationGateway = a
			return err
		}},
	}
}
