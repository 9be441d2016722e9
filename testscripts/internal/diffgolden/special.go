package main

import (
	"fmt"
	"slices"
)

// The generator's configuration: the few places where the lab's
// recording cannot be replayed against the fake as it is. Each entry says
// why. Everything not listed here is compared byte for byte.

// setupMap is what a setup line ("! COMMAND", run in the side's network
// namespace) becomes in a golden: ipvsfake commands that give the fake
// what the command gave the kernel.
type setupMap struct {
	Cmds []string
	Why  string
}

// setups maps setup lines, as written in a scenario, to their golden
// form. A setup line not listed here is an error: the generator cannot
// know what an arbitrary shell command did to the kernel.
var setups = map[string]setupMap{
	"! ip link add eth0 type dummy && ip link set eth0 up": {
		Cmds: []string{"exec ipvsfake iface eth0 1500"},
		Why:  "the fake knows interfaces by name and MTU only, not their link state; a dummy device has MTU 1500",
	},
	"! ip link add veth0 type veth peer name veth1 && ip link set veth0 up && ip link set veth1 up": {
		Cmds: []string{"exec ipvsfake iface veth0 1500", "exec ipvsfake iface veth1 1500"},
		Why:  "the fake knows interfaces by name and MTU only, not their link state; both ends of a veth pair have MTU 1500",
	},
}

// ruleMode is how a special-cased line's stdout is compared.
type ruleMode string

// lineRule singles out one command line of one scenario. Cmd must be the
// line's command as written (without its suffixes), so that a rule cannot
// silently move to another line when the scenario changes.
type lineRule struct {
	Scenario string
	Line     int
	Cmd      string
	Mode     ruleMode
	Why      string
}

func (r lineRule) String() string {
	return fmt.Sprintf("%s:%d %q %s: %s", r.Scenario, r.Line, r.Cmd, r.Mode, r.Why)
}

// modeAnyServiceOrder compares stdout with "cmpgroups" (registered in
// testscripts/script_test.go): the same groups, each a line that does
// not start with a blank or "-a " together with the lines after it that
// do (a service and its real servers, in -L and in -S form), in any
// order. Real servers keep their order within their service, and every
// byte of every line is still compared.
const modeAnyServiceOrder ruleMode = "any-service-order"

// ruleModes are the known modes.
var ruleModes = []ruleMode{modeAnyServiceOrder}

// hashOrder is why a listing of 18-sort-cycles can only be compared up to
// the order of its services.
const hashOrder = "the kernel dumps services in hash order, and ip_vs_svc_hashkey and ip_vs_svc_fwm_hashkey mix the " +
	"netns_ipvs pointer into the bucket, so the order differs from one network namespace to the next; --nosort " +
	"prints it as it is, and the cycles of the wrapping sort comparator make the sorted order depend on it too. " +
	"The fake's fixed salt gives another order than the lab's namespace had, so the services are compared in any " +
	"order, each with its real servers in theirs"

// lineRules are the special-cased command lines.
var lineRules = []lineRule{
	{"18-sort-cycles", 23, "-Ln", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 24, "-L", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 25, "-Sn", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 26, "-S", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 27, "-Ln --nosort", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 48, "-Ln", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 49, "-L", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 50, "-Sn", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 51, "-S", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 52, "-Ln --stats", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 53, "-Ln --nosort", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 54, "-L --nosort", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 55, "-Ln --nosort --rate", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 56, "-Ln --nosort --thresholds", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 57, "-Ln --nosort --persistent-conn", modeAnyServiceOrder, hashOrder},
	{"18-sort-cycles", 58, "-Ln --nosort --tun-info", modeAnyServiceOrder, hashOrder},
}

// rulesFor returns the rules of one scenario, by line.
func rulesFor(scenario string) map[int]lineRule {
	m := map[int]lineRule{}
	for _, r := range lineRules {
		if r.Scenario == scenario {
			m[r.Line] = r
		}
	}
	return m
}

// checkRules checks that every rule names a command line of its scenario
// with the command it says, and a known mode.
func checkRules(sc *scenario, rules map[int]lineRule) error {
	for _, r := range rules {
		i := slices.IndexFunc(sc.Items, func(it item) bool { return it.Kind == itemCommand && it.Line == r.Line })
		if i < 0 {
			return fmt.Errorf("rule %s: line %d is not a command line", r, r.Line)
		}
		if sc.Items[i].Cmd != r.Cmd {
			return fmt.Errorf("rule %s: line %d is %q now", r, r.Line, sc.Items[i].Cmd)
		}
		if sc.Items[i].ID != "" {
			return fmt.Errorf("rule %s: line %d is an expected difference (#@ %s) already", r, r.Line, sc.Items[i].ID)
		}
		if !slices.Contains(ruleModes, r.Mode) {
			return fmt.Errorf("rule %s: unknown mode %q", r, r.Mode)
		}
		if r.Why == "" {
			return fmt.Errorf("rule %s: no reason given", r)
		}
	}
	return nil
}
