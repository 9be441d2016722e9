package lvsd

import (
	"fmt"
	"io"
	"strings"

	"lvskit/internal/daemonlog"
	"lvskit/internal/lvsconf"
)

// writeCheck prints what lvsd would do with cfg on a director whose table
// is empty: the ipvsadm commands that build the table lvs.cf describes,
// with every real server in service, and, as comments, what starts them
// and what is left out. The commands can be run as they are.
func writeCheck(w io.Writer, file string, cfg *lvsconf.Config, opt Options, p daemonlog.Painter) {
	st := StateOf(cfg, opt)
	comment := func(format string, args ...any) { fmt.Fprintln(w, p.Comment("# "+fmt.Sprintf(format, args...))) }
	command := func(o Op) { fmt.Fprintln(w, p.Command(o.String())) }

	nservers := 0
	for _, v := range st.Virtuals {
		nservers += len(v.Servers)
	}
	comment("%s: %s, %s", file, plural(len(st.Virtuals), "active virtual service"), plural(nservers, "active real server"))
	if cfg.Service == "fos" {
		comment("service = fos: pulse runs failover services, not lvsd")
	}
	for _, o := range Plan(nil, st, nil, Actual{}) {
		if o.Kind == SetTimeouts || o.Kind == StartDaemon {
			command(o)
		}
	}
	byName := map[string]*Virtual{}
	for i := range st.Virtuals {
		byName[st.Virtuals[i].Name] = &st.Virtuals[i]
	}
	for _, cv := range cfg.Virtuals {
		fmt.Fprintln(w)
		v := byName[cv.Name]
		if v == nil {
			comment("virtual %s: inactive, ignored", cv.Name)
			continue
		}
		comment("virtual %s", v.Name)
		command(Op{Kind: AddService, Virtual: v.Name, Service: v.Service})
		active := map[string]*Real{}
		for i := range v.Servers {
			active[v.Servers[i].Name] = &v.Servers[i]
		}
		for _, cs := range cv.Servers {
			r := active[cs.Name]
			if r == nil {
				comment("server %s: inactive, ignored", cs.Name)
				continue
			}
			comment("server %s: its monitor adds it after a successful check:", r.Name)
			comment("  %s", shellJoin(r.Monitor))
			command(Op{Kind: AddDest, Virtual: v.Name, Service: v.Service, Dest: r.Dest})
		}
		if v.Sorry != nil {
			comment("sorry server, added by lvsd while no real server is in service:")
			comment("  %s", Op{Kind: AddDest, Virtual: v.Name, Service: v.Service, Dest: *v.Sorry})
		}
	}
	for _, f := range cfg.Failovers {
		fmt.Fprintln(w)
		comment("failover %s: a failover service, run by pulse; lvsd ignores it", f.Name)
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// shellJoin writes argv so that a POSIX shell reads it back.
func shellJoin(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(a))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
