package ipvsadm

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds Parse command lines made of the input split at NUL
// bytes (argv words cannot contain one). Parse must never panic, must
// return either a command or an *Error with one of ipvsadm's statuses,
// and what it returns must be consistent with its own rules. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("-A\x00-t\x0010.0.0.1:80\x00-s\x00rr\x00-p")
	f.Add("-Lnc")
	f.Fuzz(func(t *testing.T, in string) {
		args := append([]string{"ipvsadm"}, strings.Split(in, "\x00")...)
		c, err := Parse(args, parseTestResolver{})
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want exactly one", args, c, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T", args, err)
			}
			switch e.Status {
			case 1, 2, 255:
			default:
				t.Fatalf("Parse(%q) status %d", args, e.Status)
			}
			text := e.Text
			if text == "-6 used before -f\n" {
				text = strings.TrimSuffix(text, "\n") // the one text with its own empty line
			}
			// Texts quote the user's words verbatim, which may end in a
			// newline; otherwise no text carries the final one.
			if text == "" || strings.HasSuffix(text, "\n") && !strings.Contains(in, "\n") {
				t.Fatalf("Parse(%q) text %q", args, e.Text)
			}
			return
		}
		c2, err2 := Parse(args, parseTestResolver{})
		if err2 != nil || *c2 != *c {
			t.Fatalf("Parse(%q) not deterministic: %+v / %+v %v", args, *c, c2, err2)
		}
		switch c.Cmd {
		case CmdHelp, CmdVersion:
			if c.Opts != 0 {
				t.Fatalf("Parse(%q): %v with options %#x", args, c.Cmd, c.Opts)
			}
			return
		}
		if c.Cmd < CmdAddService || c.Cmd > CmdZero {
			t.Fatalf("Parse(%q): command %d", args, c.Cmd)
		}
		if e := checkMatrix(c.Cmd, c.Opts); e != nil {
			t.Fatalf("Parse(%q) accepted what the matrix refuses: %s", args, e.Text)
		}
		if c.Has(OptService) {
			if err := c.Service.Validate(); err != nil {
				t.Fatalf("Parse(%q): service %+v: %v", args, c.Service, err)
			}
		}
		if c.Has(OptRealServer) && !c.Dest.Addr.IsValid() {
			t.Fatalf("Parse(%q): real server without an address", args)
		}
		if (c.Cmd == CmdAddService || c.Cmd == CmdEditService) && c.Service.Scheduler == "" {
			t.Fatalf("Parse(%q): no scheduler", args)
		}
		if len(c.Service.Scheduler) > schedNameMax || len(c.Service.PE) > peNameMax || len(c.Daemon.Interface) > ifNameMax {
			t.Fatalf("Parse(%q): name not truncated: %+v", args, c)
		}
	})
}
