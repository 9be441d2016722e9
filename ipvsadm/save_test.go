package ipvsadm

import (
	"testing"

	"lvskit/internal/ipvs"
)

func TestCapturedSave(t *testing.T) {
	r := listResolver{}
	sameListing(t, "-S", saveOutput(t, listSorted(listScenario1()), false, r), s1S)
	sameListing(t, "-Sn", saveOutput(t, listSorted(listScenario1()), true, r), s1Sn)
	sameListing(t, "scenario 2: -S", saveOutput(t, listSorted(listScenario2()), false, r), s2S)
	sameListing(t, "empty: -Sn", saveOutput(t, nil, true, r), emptySn)
}

// Round-trip losses that -S shares with ipvsadm: thresholds are dropped,
// Local becomes -g, and the persistence engine is saved even for a
// service that is not persistent (where -L does not show it).
func TestSaveLosses(t *testing.T) {
	svc := listSvc(ipvs.UDP, "10.0.0.1", 5060, "rr")
	svc.PE = "sip"
	local := listDest("127.0.0.1", 5060, ipvs.LocalNode, 2, 0, 0)
	local.UpperThreshold, local.LowerThreshold = 10, 5
	got := saveOutput(t, []Entry{{Service: svc, Dests: []ipvs.Dest{local}}}, true, nil)
	want := "-A -u 10.0.0.1:5060 -s rr --pe sip\n" +
		"-a -u 10.0.0.1:5060 -r 127.0.0.1:5060 -g -w 2\n"
	sameListing(t, "-Sn", got, want)
}
