package pulse

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lvskit/internal/daemonlog"
)

// fakeConn is a Transport whose packets the test hands in and whose
// sends it reads.
type fakeConn struct {
	sent    [][]byte
	packets chan Packet
}

func (c *fakeConn) Send(b []byte) error    { c.sent = append(c.sent, b); return nil }
func (c *fakeConn) Packets() <-chan Packet { return c.packets }
func (c *fakeConn) Close() error           { return nil }

// fakeEffects records what the director does.
type fakeEffects struct {
	mu     sync.Mutex
	did    []string
	exited chan string
}

func (f *fakeEffects) add(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, s)
}

func (f *fakeEffects) done() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.did, " ")
}

func (f *fakeEffects) Activate(context.Context) error { f.add("activate"); return nil }
func (f *fakeEffects) Deactivate() error              { f.add("deactivate"); return nil }
func (f *fakeEffects) Announce()                      { f.add("announce") }
func (f *fakeEffects) Exited() <-chan string          { return f.exited }
func (f *fakeEffects) Arbitrate(context.Context) bool { return true }
func (f *fakeEffects) LinksUp() bool                  { return true }
func (f *fakeEffects) Reload()                        { f.add("reload") }
func (f *fakeEffects) Reconfigure(*Settings)          { f.add("reconfigure") }

var (
	primaryIP = netip.MustParseAddr("192.0.2.1")
	backupIP  = netip.MustParseAddr("192.0.2.2")
	key       = []byte("secret")
)

func testDirector(t *testing.T, piranha bool) (*director, *fakeConn, *fakeEffects, *bytes.Buffer, *time.Time) {
	t.Helper()
	set := &Settings{Master: false, Own: backupIP, Partner: primaryIP, Port: 539, Piranha: piranha, Key: key,
		PartnerPriority: 100, Policy: testPolicy(false), Checksum: [8]byte{1, 2, 3}}
	if piranha {
		set.Key = nil
	}
	conn := &fakeConn{packets: make(chan Packet, 8)}
	fx := &fakeEffects{}
	var buf bytes.Buffer
	log := &daemonlog.Logger{W: &buf, Prefix: "pulse"}
	now := t0
	d := newDirector(set, conn, fx, log, 7, func() time.Time { return now })
	d.do(context.Background(), d.m.Start(now, false))
	return d, conn, fx, &buf, &now
}

func heartbeat(t *testing.T, h Heartbeat, k []byte) []byte {
	t.Helper()
	b, err := h.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDirectorReceive(t *testing.T) {
	d, conn, fx, log, _ := testDirector(t, false)
	ctx := context.Background()
	good := Heartbeat{State: StateActive, Priority: 100, Flags: FlagMaster, Node: primaryIP, Epoch: 5, Seq: 1, Checksum: [8]byte{1, 2, 3}}

	// Our own first heartbeat: authenticated, ours, sequence 1.
	if len(conn.sent) != 1 {
		t.Fatalf("sent %d heartbeats at start", len(conn.sent))
	}
	h, err := Unmarshal(conn.sent[0], key)
	if err != nil || h.Node != backupIP || h.Epoch != 7 || h.Seq != 1 || h.State != StateStandby || h.Flags != 0 {
		t.Fatalf("sent %+v, %v", h, err)
	}

	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, good, key)})
	if d.count.Accepted != 1 || !d.m.heard || d.m.partner.State != StateActive {
		t.Fatalf("good heartbeat not taken: %s", d.count.String())
	}
	// The same datagram again, as over a second link: ignored, not a replay.
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, good, key)})
	if d.count.Replayed != 0 || d.count.Accepted != 1 {
		t.Errorf("duplicate: %s", d.count.String())
	}

	forged := good
	forged.Seq, forged.State = 2, StateFault // would make us take over
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, forged, []byte("guess"))})
	if d.count.Forged != 1 || d.m.Active() {
		t.Errorf("forgery: %s, active %v", d.count.String(), d.m.Active())
	}
	old := good
	old.Epoch, old.State = 4, StateFault
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, old, key)})
	if d.count.Stale != 1 || d.m.Active() {
		t.Errorf("stale: %s", d.count.String())
	}
	good.Seq = 3
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, good, key)})
	replay := good
	replay.Seq = 2
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, replay, key)})
	if d.count.Replayed != 1 {
		t.Errorf("replay: %s", d.count.String())
	}
	// From another address, even well signed: ignored.
	d.receive(ctx, Packet{From: netip.MustParseAddr("192.0.2.9"), Data: heartbeat(t, good, key)})
	if d.count.Other != 1 {
		t.Errorf("stranger: %s", d.count.String())
	}
	// Node id must be the partner's.
	wrongNode := good
	wrongNode.Seq, wrongNode.Node = 4, netip.MustParseAddr("192.0.2.9")
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, wrongNode, key)})
	sameRole := good
	sameRole.Seq, sameRole.Flags = 5, 0
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, sameRole, key)})
	if d.count.Malformed != 2 {
		t.Errorf("node and role: %s", d.count.String())
	}
	if fx.done() != "" {
		t.Errorf("rejected packets acted: %v", fx.did)
	}
	for _, want := range []string{"authentication failed", "stale packet", "replayed", "Unexpected heartbeat from 192.0.2.9"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// The partner at fault: we take over, and tell it at once.
	fault := good
	fault.Seq, fault.State, fault.Flags = 10, StateFault, FlagMaster|FlagChildFail
	sent := len(conn.sent)
	d.receive(ctx, Packet{From: primaryIP, Data: heartbeat(t, fault, key)})
	if !d.m.Active() || fx.done() != "activate" || len(conn.sent) != sent+1 {
		t.Errorf("fault: active %v, did %v", d.m.Active(), fx.did)
	}
	if h, _ := Unmarshal(conn.sent[len(conn.sent)-1], key); h.State != StateActive || h.Seq != uint64(len(conn.sent)) {
		t.Errorf("after taking over sent %+v", h)
	}
}

func TestDirectorChecksumWarning(t *testing.T) {
	d, _, _, log, _ := testDirector(t, false)
	h := Heartbeat{State: StateStandby, Priority: 100, Flags: FlagMaster, Node: primaryIP, Epoch: 1, Seq: 1, Checksum: [8]byte{9}}
	for seq := uint64(1); seq <= 3; seq++ {
		h.Seq = seq
		d.receive(context.Background(), Packet{From: primaryIP, Data: heartbeat(t, h, key)})
	}
	if n := strings.Count(log.String(), "the partner runs another configuration"); n != 1 {
		t.Errorf("%d warnings for one mismatch:\n%s", n, log)
	}
}

func TestDirectorPiranhaMode(t *testing.T) {
	d, conn, fx, _, now := testDirector(t, true)
	ctx := context.Background()
	if len(conn.sent) != 1 || !bytes.Equal(conn.sent[0], []byte{0xbd, 0xda, 0xbd, 0xad}) {
		t.Fatalf("sent %x, want LVS stopped bd da bd ad", conn.sent)
	}
	d.receive(ctx, Packet{From: primaryIP, Data: EncodePiranha(LVSRunning)})
	if d.m.partner.State != StateActive || !d.m.partner.Master {
		t.Errorf("running read as %+v", d.m.partner)
	}
	d.receive(ctx, Packet{From: primaryIP, Data: EncodePiranha(FOSRunning)})
	d.receive(ctx, Packet{From: primaryIP, Data: []byte{1, 2, 3}})
	if d.count.Incompatible != 1 || d.count.Malformed != 1 {
		t.Errorf("counters: %s", d.count.String())
	}
	// The Piranha primary falls silent: we take over and say running.
	*now = now.Add(time.Second)
	d.do(ctx, d.m.Tick(*now))
	if !d.m.Active() || fx.done() != "activate" {
		t.Fatalf("no takeover: %v", fx.did)
	}
	if last := conn.sent[len(conn.sent)-1]; !bytes.Equal(last, []byte{0xda, 0xdb, 0xad, 0xbd}) {
		t.Errorf("active sends %x, want LVS running da db ad bd", last)
	}
	// It comes back running: the primary wins, we let go.
	d.receive(ctx, Packet{From: primaryIP, Data: EncodePiranha(LVSRunning)})
	if d.m.Active() {
		t.Errorf("still active beside a running Piranha primary: %v", fx.did)
	}
}

func TestDirectorRun(t *testing.T) {
	// The loop itself: lvsd's death and signals reach the machine.
	d, _, fx, _, _ := testDirector(t, false)
	var log lockedBuffer
	d.log = &daemonlog.Logger{W: &log, Prefix: "pulse"}
	d.now = time.Now
	d.m = NewMachine(Policy{Master: false, Priority: 100, Solo: true, Keepalive: time.Second, Deadtime: 3 * time.Second})
	fx.exited = make(chan string, 1)
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	go func() {
		d.run(context.Background(), false, sigs, func() *Settings { return nil })
		close(done)
	}()
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(fx.done(), what); {
			if time.Now().After(deadline) {
				t.Fatalf("no %q; did %q\n%s", what, fx.done(), log.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("deactivate activate")
	fx.exited <- "(pid 42) exited with status 1"
	waitFor("deactivate activate deactivate")
	sigs <- syscall.SIGHUP
	waitFor("reload")
	sigs <- syscall.SIGTERM
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not end on SIGTERM")
	}
	out := log.String()
	for _, want := range []string{"no backup director: activating lvs", "lvsd (pid 42) exited with status 1", "rereading configuration file", "Terminating due to signal 15", "heartbeats: accepted 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if got := fx.done(); got != "deactivate activate deactivate reload" {
		t.Errorf("did %q", got)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDirectorWatchesLinks(t *testing.T) {
	d, _, _, log, now := testDirector(t, false)
	private := netip.MustParseAddr("10.0.0.1")
	d.set.Private, d.set.PrivatePartner = netip.MustParseAddr("10.0.0.2"), private
	h := Heartbeat{State: StateActive, Priority: 100, Flags: FlagMaster, Node: primaryIP, Epoch: 1, Checksum: [8]byte{1, 2, 3}}
	ctx := context.Background()
	send := func(seq uint64, links ...netip.Addr) {
		h.Seq = seq
		b := heartbeat(t, h, key)
		for _, l := range links {
			d.receive(ctx, Packet{From: l, Data: b})
		}
		*now = now.Add(100 * time.Millisecond)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		send(seq, primaryIP, private) // both links carry each heartbeat
	}
	for seq := uint64(4); seq <= 12; seq++ {
		send(seq, primaryIP) // the private link is cut
	}
	send(13, private, primaryIP)
	out := log.String()
	for _, want := range []string{
		"no heartbeat over the private link (10.0.0.1) for 500ms; the public link still carries them",
		"heartbeats over the private link (10.0.0.1) are back",
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("log has %q %d times, want once:\n%s", want, strings.Count(out, want), out)
		}
	}
	if d.count.Replayed != 0 || d.count.Accepted != 13 {
		t.Errorf("copies over the second link counted: %s", d.count.String())
	}
}
