// Command nannybench measures what a fleet of nanny processes costs on
// the host that runs them: N nannies, each checking its own loopback
// real server at an interval, started as lvsd starts them (Piranha's argv
// plus lvskit's options, own process group, killed with their parent)
// but with --test-start, so that no IPVS is needed. After a warm-up it
// samples every nanny's /proc entries at the start and end of a window
// and reports resident memory per process, the CPU of the whole fleet
// and the checks the real servers saw, against the targets the README
// quotes:
//
//	1,000 nanny processes checking 1,000 loopback servers at a 1 s
//	interval: under 10 MB resident each (MiB here), under 10% of one
//	core in total.
//
// It exits 0 when every target is met, 1 when one is missed (or checks
// are missing, or a nanny died), 2 when the benchmark itself failed.
//
//	go run ./testscripts/nannybench [-n 1000] [-interval 1s] [-warmup 15s]
//	    [-measure 30s] [-check tcp|http|both] [-nanny PATH] [-log FILE]
//
// GO* variables in the environment (GOGC, GOMAXPROCS, GOMEMLIMIT,
// GODEBUG) reach the nannies, so knobs can be tried without a rebuild;
// the report lists them. Without -nanny, nanny is built with `go build`
// in a temporary directory, under the same environment (CGO_ENABLED=0,
// for one, builds a static binary).
package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The targets, and the share of the expected checks that must be seen.
const (
	targetRSSKiB = 10 << 10 // 10 MiB, largest nanny
	targetCPU    = 10.0     // % of one core, all nannies together
	minChecks    = 0.90
)

// The virtual service every nanny is told its real server belongs to.
const (
	vip   = "10.0.0.1"
	vport = "80"
)

type options struct {
	n        int
	interval time.Duration
	warmup   time.Duration
	measure  time.Duration
	check    string
	nanny    string
	logPath  string
	port     int
	maxLog   int64
	floor    bool
}

func main() {
	// Children get their parent-death signal when the thread that
	// started them exits; all are started from the main goroutine, and
	// locking it keeps it on the main thread, which lives as long as
	// the process.
	runtime.LockOSThread()
	os.Exit(run())
}

func run() int {
	var o options
	flag.IntVar(&o.n, "n", 1000, "number of nannies (and of real servers)")
	flag.DurationVar(&o.interval, "interval", time.Second, "check interval (nanny's -t and --check-interval)")
	flag.DurationVar(&o.warmup, "warmup", 15*time.Second, "time between the last nanny's start and the measurement")
	flag.DurationVar(&o.measure, "measure", 30*time.Second, "length of the measurement window")
	flag.StringVar(&o.check, "check", "tcp", "check kind: tcp, http, or both (one run each)")
	flag.StringVar(&o.nanny, "nanny", "", "nanny binary (default: go build lvskit/cmd/nanny into a temporary directory)")
	flag.StringVar(&o.logPath, "log", "", "file for the nannies' stdout and stderr (default: nannybench-TIME.log in the temporary directory)")
	flag.IntVar(&o.port, "port", 8080, "the real servers' port, on 127.1.x.y (0: any free port)")
	flag.Int64Var(&o.maxLog, "maxlog", 256<<20, "abort when the nannies' log grows past this many bytes")
	flag.BoolVar(&o.floor, "floor", false, "then run the same TCP checks with a C loop (needs cc), for the ratio")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "nannybench: unexpected arguments %q\n", flag.Args())
		return 2
	}
	var kinds []string
	switch o.check {
	case "tcp", "http":
		kinds = []string{o.check}
	case "both":
		kinds = []string{"tcp", "http"}
	default:
		fmt.Fprintf(os.Stderr, "nannybench: -check %q: want tcp, http or both\n", o.check)
		return 2
	}
	switch {
	case o.n < 1 || o.n > 65000:
		fmt.Fprintf(os.Stderr, "nannybench: -n %d: want 1 to 65000\n", o.n)
		return 2
	case o.interval < 10*time.Millisecond:
		fmt.Fprintf(os.Stderr, "nannybench: -interval %s: want at least 10ms\n", o.interval)
		return 2
	case o.measure < o.interval || o.warmup < 0:
		fmt.Fprintf(os.Stderr, "nannybench: -measure must be at least one interval, -warmup not negative\n")
		return 2
	case o.port < 0 || o.port > 65535:
		fmt.Fprintf(os.Stderr, "nannybench: -port %d: not a port\n", o.port)
		return 2
	}

	b := &bench{opt: o, alive: map[int]*proc{}}
	// Listeners, accepted connections, /proc files and the log.
	if err := raiseNofile(uint64(2*o.n + 1024)); err != nil {
		fmt.Fprintf(os.Stderr, "nannybench: %v\n", err)
		return 2
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "\nnannybench: %v: stopping every nanny\n", s)
		b.cleanup()
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
	defer b.cleanup()

	var err error
	if o.nanny == "" {
		if b.tmp, err = os.MkdirTemp("", "nannybench-"); err != nil {
			fmt.Fprintf(os.Stderr, "nannybench: %v\n", err)
			return 2
		}
		fmt.Fprintf(os.Stderr, "nannybench: building nanny\n")
		if b.nanny, err = buildNanny(b.tmp); err != nil {
			fmt.Fprintf(os.Stderr, "nannybench: building nanny: %v (run from the lvskit module, or give -nanny)\n", err)
			return 2
		}
	} else if b.nanny, err = filepath.Abs(o.nanny); err != nil {
		fmt.Fprintf(os.Stderr, "nannybench: %v\n", err)
		return 2
	}
	if err := b.openFiles(); err != nil {
		fmt.Fprintf(os.Stderr, "nannybench: %v\n", err)
		return 2
	}

	// The hard deadline, from here: each run's warm-up and window, and a
	// minute for starting, sampling and stopping.
	deadline := time.Duration(len(kinds))*(o.warmup+o.measure) + time.Minute
	time.AfterFunc(deadline, func() {
		fmt.Fprintf(os.Stderr, "nannybench: not done after %s: aborting\n", deadline)
		b.cleanup()
		os.Exit(2)
	})
	go func() {
		for range time.Tick(200 * time.Millisecond) {
			b.reap()
		}
	}()

	h := hostInfo(b.nanny)
	h.print(os.Stdout, b, kinds)
	var verdicts []string
	status := 0
	var first *result
	for _, kind := range kinds {
		r, err := b.runFleet(kind)
		if err != nil {
			fmt.Fprintf(os.Stderr, "nannybench: %s: %v\n", kind, err)
			return 2
		}
		if first == nil {
			first = r
		}
		r.print(os.Stdout, o, b.clkTck)
		if !r.pass {
			status = 1
		}
		verdicts = append(verdicts, kind+" "+passFail(r.pass))
	}
	if len(kinds) > 1 {
		fmt.Printf("\nRESULT: %s\n", strings.Join(verdicts, ", "))
	}
	if o.floor {
		// The same fleet of TCP checks made by the least a check
		// costs: a C loop of connect and close (floor/floor.c).
		nanny := b.nanny
		defer func() { b.nanny = nanny }()
		if b.nanny, err = buildFloor(); err != nil {
			fmt.Fprintf(os.Stderr, "nannybench: building the floor: %v\n", err)
			return 2
		}
		fmt.Printf("\n== the floor: the same checks by a C loop (testscripts/nannybench/floor/floor.c) ==\n")
		r, err := b.runFleet("tcp")
		if err != nil {
			fmt.Fprintf(os.Stderr, "nannybench: floor: %v\n", err)
			return 2
		}
		r.print(os.Stdout, o, b.clkTck)
		fmt.Printf("floor     the C loop's CPU (schedstat) %.2f%% of one core; nanny's is %.2fx that\n", r.schedCPU, first.schedCPU/r.schedCPU)
	}
	return status
}

// bench is the state cleanup needs, whoever calls it.
type bench struct {
	opt     options
	tmp     string
	nanny   string
	logf    *os.File
	logPath string
	devnull *os.File
	clkTck  float64

	mu       sync.Mutex
	stopping bool
	alive    map[int]*proc // started and not reaped
	deaths   []death       // nannies that ended without being killed
	servers  []*server
}

type proc struct {
	pid    int
	idx    int
	kind   string
	killed bool
}

type death struct {
	pid, idx int
	kind     string
	ws       syscall.WaitStatus
}

func (b *bench) openFiles() error {
	var err error
	if b.devnull, err = os.Open(os.DevNull); err != nil {
		return err
	}
	b.logPath = b.opt.logPath
	if b.logPath == "" {
		b.logPath = filepath.Join(os.TempDir(), "nannybench-"+time.Now().Format("20060102-150405")+".log")
	}
	// O_APPEND: the nannies share the file, each line one write.
	b.logf, err = os.OpenFile(b.logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	b.clkTck = clockTicks()
	return nil
}

// cleanup kills every nanny with its process group, closes the
// listeners and removes the temporary directory. It may run more than
// once, from any goroutine.
func (b *bench) cleanup() {
	b.mu.Lock()
	b.stopping = true
	b.mu.Unlock()
	b.killAll()
	b.mu.Lock()
	for _, s := range b.servers {
		s.ln.Close()
	}
	b.servers = nil
	b.mu.Unlock()
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

// killAll sends SIGKILL to every nanny's process group and reaps them,
// for ten seconds at most.
func (b *bench) killAll() {
	b.mu.Lock()
	for _, p := range b.alive {
		p.killed = true
		if err := syscall.Kill(-p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			fmt.Fprintf(os.Stderr, "nannybench: kill process group %d: %v\n", p.pid, err)
		}
	}
	b.mu.Unlock()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		b.reap()
		b.mu.Lock()
		left := len(b.alive)
		b.mu.Unlock()
		if left == 0 {
			return
		}
	}
	fmt.Fprintf(os.Stderr, "nannybench: some nannies were not reaped in 10s\n")
}

// reap collects the nannies that ended. nannybench starts no other
// children once nanny is built.
func (b *bench) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		b.mu.Lock()
		if p, ok := b.alive[pid]; ok {
			delete(b.alive, pid)
			if !p.killed {
				b.deaths = append(b.deaths, death{pid: pid, idx: p.idx, kind: p.kind, ws: ws})
			}
		}
		b.mu.Unlock()
	}
}

func (b *bench) deathsOf(kind string) []death {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ds []death
	for _, d := range b.deaths {
		if d.kind == kind {
			ds = append(ds, d)
		}
	}
	return ds
}

// argv is what lvsd would run for the real server at rs, plus
// --test-start and the check options.
func (b *bench) argv(rs netip.AddrPort, kind string) []string {
	secs := strconv.FormatFloat(b.opt.interval.Seconds(), 'f', -1, 64)
	return []string{"nanny", "-c", "-h", rs.Addr().String(), "-p", vport, "-r", strconv.Itoa(int(rs.Port())),
		"-a", "1", "-I", "/sbin/ipvsadm", "-t", secs, "-w", "1", "-V", vip, "-M", "m",
		"--lvs", "--test-start", "--check", kind, "--check-interval", secs}
}

func (b *bench) start(idx int, kind string, argv []string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopping {
		return 0, errors.New("stopping")
	}
	p, err := os.StartProcess(b.nanny, argv, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{b.devnull, b.logf, b.logf},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return 0, err
	}
	// reap waits for it; Release frees the pidfd.
	pid := p.Pid
	p.Release()
	b.alive[pid] = &proc{pid: pid, idx: idx, kind: kind}
	return pid, nil
}

// wait sleeps for d, watching the log's size and the nannies' deaths.
func (b *bench) wait(d time.Duration, kind string, n int) error {
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		time.Sleep(min(left, time.Second))
		if fi, err := b.logf.Stat(); err == nil && fi.Size() > b.opt.maxLog {
			return fmt.Errorf("the nannies' log %s grew past %d bytes: log spam (see the file)", b.logPath, b.opt.maxLog)
		}
		if ds := b.deathsOf(kind); len(ds) > n/10 {
			return fmt.Errorf("%d of %d nannies ended (first: pid %d, %s); see %s", len(ds), n, ds[0].pid, waitText(ds[0].ws), b.logPath)
		}
	}
}

// live tells which of pids are nannies not yet reaped: a reaped one's
// pid may be another process's by now.
func (b *bench) live(pids []int) []bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := make([]bool, len(pids))
	for i, pid := range pids {
		_, l[i] = b.alive[pid]
	}
	return l
}

func (b *bench) logSize() int64 {
	fi, err := b.logf.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// runFleet runs one fleet of nannies with one kind of check and
// measures it.
func (b *bench) runFleet(kind string) (*result, error) {
	o := b.opt
	r := &result{kind: kind, n: o.n, interval: o.interval}
	logStart := b.logSize()
	fmt.Fprintf(os.Stderr, "nannybench: %s: starting %d real servers and %d nannies\n", kind, o.n, o.n)
	servers, err := startServers(o.n, o.port, kind == "http")
	b.mu.Lock()
	b.servers = append(b.servers, servers...)
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	defer func() {
		b.killAll()
		for _, s := range servers {
			s.ln.Close()
		}
	}()
	r.argv = b.argv(servers[0].addr, kind)

	t0 := time.Now()
	pids := make([]int, o.n)
	for i, s := range servers {
		if pids[i], err = b.start(i, kind, b.argv(s.addr, kind)); err != nil {
			return nil, fmt.Errorf("starting nanny %d of %d: %v", i+1, o.n, err)
		}
	}
	r.startTime = time.Since(t0)

	fmt.Fprintf(os.Stderr, "nannybench: %s: %d nannies started in %.1fs; warming up for %s\n", kind, o.n, r.startTime.Seconds(), o.warmup)
	if err := b.wait(o.warmup, kind, o.n); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "nannybench: %s: measuring for %s\n", kind, o.measure)
	w0 := b.snapshot(pids, servers)
	m0 := sampleMemory(pids, b.live(pids))
	if err := b.wait(o.measure-time.Since(w0.at), kind, o.n); err != nil {
		return nil, err
	}
	w1 := b.snapshot(pids, servers)
	m1 := sampleMemory(pids, b.live(pids))
	r.logBytes = b.logSize() - logStart
	r.compute(w0, w1, m0, m1, b.clkTck)
	r.age = time.Since(t0)

	r.deaths = b.deathsOf(kind)
	r.alive = o.n - len(r.deaths)
	r.logWindow = w1.logSize - w0.logSize
	r.logLines, r.logTop, r.logWinLines = analyseLog(b.logPath, logStart, w0.logSize, w1.logSize)
	if i := r.maxRSSIdx; i >= 0 {
		r.maps = topMappings(pids[i], 6)
		r.maxRSSPid = pids[i]
	}
	r.judge()
	return r, nil
}

// A window edge: every nanny's CPU time, every server's count, the
// machine's and nannybench's own CPU, the log's size.
type snapshot struct {
	at      time.Time // the middle of the CPU reads
	ticks   []uint64  // utime+stime per nanny
	ok      []bool
	runNs   []uint64 // run time of the live threads (schedstat)
	runs    []uint64 // times they were scheduled
	accepts []int64
	answers []int64
	sysBusy uint64 // /proc/stat, all CPUs, in ticks
	steal   uint64
	self    time.Duration
	logSize int64
}

func (b *bench) snapshot(pids []int, servers []*server) *snapshot {
	s := &snapshot{ticks: make([]uint64, len(pids)), ok: make([]bool, len(pids)), runs: make([]uint64, len(pids)), runNs: make([]uint64, len(pids)),
		accepts: make([]int64, len(servers)), answers: make([]int64, len(servers))}
	t0 := time.Now()
	for i, s2 := range servers {
		s.accepts[i] = s2.accepts.Load()
		s.answers[i] = s2.answers.Load()
	}
	live := b.live(pids)
	for i, pid := range pids {
		st, err := readStat(pid)
		s.ticks[i], s.ok[i] = st.ticks, live[i] && err == nil && st.state != 'Z'
	}
	s.sysBusy, s.steal = machineBusy()
	s.self = selfCPU()
	s.logSize = b.logSize()
	t1 := time.Now()
	s.at = t0.Add(t1.Sub(t0) / 2)
	for i, pid := range pids {
		s.runNs[i], s.runs[i] = schedStat(pid)
	}
	return s
}

// memory is one nanny's memory, in KiB.
type memory struct {
	ok                          bool
	rss, anon, file, shmem, hwm uint64
	pss, pssFile                uint64
	threads                     int
}

func sampleMemory(pids []int, live []bool) []memory {
	ms := make([]memory, len(pids))
	for i, pid := range pids {
		if live[i] {
			ms[i] = readMemory(pid)
		}
	}
	return ms
}

type result struct {
	kind      string
	n         int
	interval  time.Duration
	argv      []string
	startTime time.Duration
	window    time.Duration
	age       time.Duration // of the first nanny at the last memory sample

	rss, anon, file, shmem, hwm, pss, threads stats // KiB; threads a count
	pssSum, pssFileSum                        uint64
	maxRSSIdx, maxRSSPid                      int
	maxRSS                                    uint64 // KiB, either edge
	maps                                      []mapping

	cpuTicks     uint64  // all nannies over the window
	cpuTotal     float64 // % of one core
	cpuPer       stats   // % of one core per nanny, from utime+stime
	schedPer     stats   // the same from schedstat, in ns
	runsPerSec   float64 // per nanny
	schedCPU     float64 // % of one core, all nannies, from schedstat
	machineBusy  float64 // % of one core
	steal        float64 // % of one core
	selfCPU      float64 // % of one core
	checks       int64
	answers      int64
	expected     float64
	unchecked    int // servers with no check in the window
	minPerServer int64
	maxPerServer int64
	sampled      int // nannies sampled at both edges

	alive  int
	deaths []death

	logBytes, logWindow int64
	logLines            int
	logWinLines         int
	logTop              []logPattern

	targets []target
	pass    bool
}

type stats struct{ mean, median, max float64 }

func statsOf(v []float64) stats {
	if len(v) == 0 {
		return stats{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{mean: sum / float64(len(s)), median: med, max: s[len(s)-1]}
}

func (r *result) compute(w0, w1 *snapshot, m0, m1 []memory, clk float64) {
	r.window = w1.at.Sub(w0.at)
	secs := r.window.Seconds()
	var per, schedPer []float64
	var runs, runNs uint64
	for i := range w0.ticks {
		if !w0.ok[i] || !w1.ok[i] {
			continue
		}
		d := w1.ticks[i] - w0.ticks[i]
		r.cpuTicks += d
		per = append(per, float64(d)/clk/secs*100)
		runs += w1.runs[i] - w0.runs[i]
		if w1.runNs[i] >= w0.runNs[i] {
			runNs += w1.runNs[i] - w0.runNs[i]
			schedPer = append(schedPer, float64(w1.runNs[i]-w0.runNs[i])/1e9/secs*100)
		}
		r.sampled++
	}
	r.cpuTotal = float64(r.cpuTicks) / clk / secs * 100
	r.cpuPer, r.schedPer = statsOf(per), statsOf(schedPer)
	if r.sampled > 0 {
		r.runsPerSec = float64(runs) / float64(r.sampled) / secs
	}
	r.schedCPU = float64(runNs) / 1e9 / secs * 100
	r.machineBusy = float64(w1.sysBusy-w0.sysBusy) / clk / secs * 100
	r.steal = float64(w1.steal-w0.steal) / clk / secs * 100
	r.selfCPU = (w1.self - w0.self).Seconds() / secs * 100

	r.minPerServer = -1
	for i := range w0.accepts {
		d := w1.accepts[i] - w0.accepts[i]
		r.checks += d
		r.answers += w1.answers[i] - w0.answers[i]
		if d == 0 {
			r.unchecked++
		}
		if r.minPerServer < 0 || d < r.minPerServer {
			r.minPerServer = d
		}
		r.maxPerServer = max(r.maxPerServer, d)
	}
	r.expected = float64(r.n) * secs / r.interval.Seconds()

	// Memory as it is at the end of the window; the largest RSS seen at
	// either edge is the one judged.
	var rss, anon, file, shmem, hwm, pss, threads []float64
	r.maxRSSIdx = -1
	for i, m := range m1 {
		if !m.ok {
			continue
		}
		rss = append(rss, float64(m.rss))
		anon = append(anon, float64(m.anon))
		file = append(file, float64(m.file))
		shmem = append(shmem, float64(m.shmem))
		hwm = append(hwm, float64(m.hwm))
		pss = append(pss, float64(m.pss))
		threads = append(threads, float64(m.threads))
		r.pssSum += m.pss
		r.pssFileSum += m.pssFile
		if r.maxRSSIdx < 0 || m.rss > m1[r.maxRSSIdx].rss {
			r.maxRSSIdx = i
		}
		r.maxRSS = max(r.maxRSS, m.rss, m0[i].rss)
	}
	r.rss, r.anon, r.file, r.shmem = statsOf(rss), statsOf(anon), statsOf(file), statsOf(shmem)
	r.hwm, r.pss, r.threads = statsOf(hwm), statsOf(pss), statsOf(threads)
}

type target struct {
	what string
	ok   bool
}

func (r *result) judge() {
	seen := 0.0
	if r.expected > 0 {
		seen = float64(r.checks) / r.expected
	}
	r.targets = []target{
		{fmt.Sprintf("RSS of the largest nanny %.2f MiB < %d MiB", mib(r.maxRSS), targetRSSKiB>>10), r.maxRSS < targetRSSKiB && r.maxRSS > 0},
		// schedstat counts the threads' run time in nanoseconds;
		// utime+stime are sampled at ticks and miss short bursts (a
		// C loop doing the same checks shows 0.03% there, 6.7% here).
		{fmt.Sprintf("CPU of all nannies (schedstat) %.2f%% < %.0f%% of one core", r.schedCPU, targetCPU), r.schedCPU < targetCPU},
		{fmt.Sprintf("checks seen %.1f%% of expected >= %.0f%%", 100*seen, 100*minChecks), seen >= minChecks},
		{fmt.Sprintf("nannies alive and sampled %d/%d", min(r.alive, r.sampled), r.n), r.alive == r.n && r.sampled == r.n},
	}
	r.pass = true
	for _, t := range r.targets {
		r.pass = r.pass && t.ok
	}
}

func mib(kib uint64) float64 { return float64(kib) / 1024 }

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func (r *result) print(w io.Writer, o options, clk float64) {
	secs := r.window.Seconds()
	fmt.Fprintf(w, "\n== %s check: %d nannies, one check each every %s; warm-up %s, window %.1fs ==\n",
		r.kind, r.n, r.interval, o.warmup, secs)
	fmt.Fprintf(w, "argv      %s\n", strings.Join(r.argv, " "))
	fmt.Fprintf(w, "started   %d nannies in %.1fs; %d alive at the end\n", r.n, r.startTime.Seconds(), r.alive)
	for i, d := range r.deaths {
		if i == 5 {
			fmt.Fprintf(w, "          ... and %d more\n", len(r.deaths)-5)
			break
		}
		fmt.Fprintf(w, "          nanny %d (pid %d) %s\n", d.idx, d.pid, waitText(d.ws))
	}
	fmt.Fprintf(w, "memory    per nanny, at %3.0f s of age, MiB:      mean  median     max\n", r.age.Seconds())
	row := func(name string, s stats, note string) {
		fmt.Fprintf(w, "  %-40s %7.2f %7.2f %7.2f%s\n", name, s.mean/1024, s.median/1024, s.max/1024, note)
	}
	row("RSS (VmRSS)", r.rss, "")
	row("  anonymous (RssAnon)", r.anon, "")
	row("  file: binary, libc (RssFile)", r.file, "")
	if r.shmem.max > 0 {
		row("  shared memory (RssShmem)", r.shmem, "")
	}
	row("peak RSS since start (VmHWM)", r.hwm, "")
	row("PSS (shared pages split among sharers)", r.pss, fmt.Sprintf("   all nannies %.1f MiB, of which file %.1f", mib(r.pssSum), mib(r.pssFileSum)))
	fmt.Fprintf(w, "  %-40s %7.1f %7.0f %7.0f\n", "threads", r.threads.mean, r.threads.median, r.threads.max)
	if len(r.maps) > 0 {
		fmt.Fprintf(w, "  largest nanny (pid %d), RSS by mapping:", r.maxRSSPid)
		for _, m := range r.maps {
			fmt.Fprintf(w, " %s %.2f;", m.name, mib(m.rss))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "cpu       all nannies: %.2f%% of one core (%.2f s of CPU in %.1f s; utime+stime, %g ticks/s)\n",
		r.cpuTotal, float64(r.cpuTicks)/clk, secs, clk)
	fmt.Fprintf(w, "          per nanny: mean %.4f%%, median %.4f%%, max %.4f%% of one core (in whole ticks)\n", r.cpuPer.mean, r.cpuPer.median, r.cpuPer.max)
	fmt.Fprintf(w, "          threads' run time (schedstat, ns): all %.2f%%; per nanny mean %.4f%%, median %.4f%%, max %.4f%%\n",
		r.schedCPU, r.schedPer.mean, r.schedPer.median, r.schedPer.max)
	if r.checks > 0 {
		fmt.Fprintf(w, "          %.0f µs of CPU per check; each nanny put on a CPU %.1f times a second (all threads)\n",
			float64(r.cpuTicks)/clk/float64(r.checks)*1e6, r.runsPerSec)
	}
	fmt.Fprintf(w, "          nannybench itself (the servers) %.1f%% of one core; the host busy %.1f%% in all, steal %.1f%%\n"+
		"          (/proc/stat samples at each tick and misses short bursts like the nannies' on a tickless kernel)\n",
		r.selfCPU, r.machineBusy, r.steal)
	if other := r.machineBusy - r.cpuTotal - r.selfCPU; other > 25 {
		fmt.Fprintf(w, "          WARNING: other work took at least %.0f%% of one core during the window; the figures are not reliable\n", other)
	}
	fmt.Fprintf(w, "checks    %d connections in %.1f s = %.1f/s; expected %.1f/s (%.1f%%)\n",
		r.checks, secs, float64(r.checks)/secs, r.expected/secs, 100*float64(r.checks)/max(r.expected, 1))
	fmt.Fprintf(w, "          per server: %d to %d; servers never checked: %d", r.minPerServer, r.maxPerServer, r.unchecked)
	if r.kind == "http" {
		fmt.Fprintf(w, "; HTTP requests answered: %d", r.answers)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "log       %s in this run (%d lines), %s (%d lines) during the window\n",
		size(r.logBytes), r.logLines, size(r.logWindow), r.logWinLines)
	for _, p := range r.logTop {
		fmt.Fprintf(w, "          %6d x %s\n", p.count, p.text)
	}
	fmt.Fprintf(w, "targets\n")
	for _, t := range r.targets {
		fmt.Fprintf(w, "  %-60s %s\n", t.what, passFail(t.ok))
	}
	fmt.Fprintf(w, "RESULT %s: %s\n", r.kind, passFail(r.pass))
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func waitText(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	}
	return fmt.Sprintf("ended (wait status %#x)", uint32(ws))
}

// host describes the machine and the nanny binary.
type host struct {
	goVersion, kernel, cpuModel string
	cpus                        int
	memTotal                    uint64 // KiB
	nannySize                   int64
	nannyGo, nannyCgo           string
	dynamic                     bool
	syslog                      bool
	env                         []string
	pidMax                      int
}

func hostInfo(nanny string) *host {
	h := &host{goVersion: runtime.Version(), cpus: runtime.NumCPU()}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		h.kernel = cstr(u.Release[:])
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if kv, err := readKV("/proc/meminfo"); err == nil {
		h.memTotal = kv["MemTotal"]
	}
	if fi, err := os.Stat(nanny); err == nil {
		h.nannySize = fi.Size()
	}
	if bi, err := buildinfo.ReadFile(nanny); err == nil {
		h.nannyGo = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" {
				h.nannyCgo = s.Value
			}
		}
	}
	if f, err := elf.Open(nanny); err == nil {
		for _, p := range f.Progs {
			h.dynamic = h.dynamic || p.Type == elf.PT_INTERP
		}
		f.Close()
	}
	_, err := os.Stat("/dev/log")
	h.syslog = err == nil
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "GO") && !strings.HasPrefix(e, "GOPATH=") && !strings.HasPrefix(e, "GOROOT=") {
			h.env = append(h.env, e)
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		h.pidMax, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	return h
}

func (h *host) print(w io.Writer, b *bench, kinds []string) {
	fmt.Fprintf(w, "nannybench: %d nanny processes checking %d loopback servers every %s (%s)\n",
		b.opt.n, b.opt.n, b.opt.interval, strings.Join(kinds, ", then "))
	fmt.Fprintf(w, "host      %s; kernel %s; %d CPUs (%s); %.1f GiB RAM; pid_max %d\n",
		h.goVersion, h.kernel, h.cpus, h.cpuModel, float64(h.memTotal)/(1<<20), h.pidMax)
	link := "static"
	if h.dynamic {
		link = "dynamically linked"
	}
	build := "no Go build information"
	if h.nannyGo != "" {
		build = h.nannyGo + ", CGO_ENABLED=" + h.nannyCgo
	}
	fmt.Fprintf(w, "nanny     %s: %.1f MiB, %s, %s\n", b.nanny, float64(h.nannySize)/(1<<20), build, link)
	env := "none"
	if len(h.env) > 0 {
		env = strings.Join(h.env, " ")
	}
	fmt.Fprintf(w, "env       GO* variables the nannies inherit: %s\n", env)
	where := "no /dev/log, so nannies log to stderr: into " + b.logPath
	if h.syslog {
		where = "/dev/log exists, so nannies log to syslog; " + b.logPath + " gets only their stderr"
	}
	fmt.Fprintf(w, "logs      %s\n", where)
	fmt.Fprintf(w, "targets   RSS of each nanny < %d MiB; CPU of all < %.0f%% of one core; checks >= %.0f%% of expected\n",
		targetRSSKiB>>10, targetCPU, 100*minChecks)
}

func cstr(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// server is one loopback real server; it counts the connections it
// accepts, and with HTTP the requests it answers.
type server struct {
	ln      net.Listener
	addr    netip.AddrPort
	accepts atomic.Int64
	answers atomic.Int64
}

// startServers listens on 127.1.x.y, one address per server.
func startServers(n, port int, http bool) ([]*server, error) {
	servers := make([]*server, 0, n)
	for i := range n {
		a := netip.AddrFrom4([4]byte{127, 1, byte((i + 1) >> 8), byte(i + 1)})
		ln, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(port)).String())
		if err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			return nil, fmt.Errorf("real server %d: %v (another -port, or 0 for any free one)", i+1, err)
		}
		s := &server{ln: ln, addr: ln.Addr().(*net.TCPAddr).AddrPort()}
		servers = append(servers, s)
		go s.serve(http)
	}
	return servers, nil
}

var httpReply = []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")

func (s *server) serve(http bool) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like
			continue
		}
		s.accepts.Add(1)
		if !http {
			c.Close()
			continue
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			var req []byte
			buf := make([]byte, 1024)
			for !bytes.Contains(req, []byte("\r\n\r\n")) {
				n, err := c.Read(buf)
				req = append(req, buf[:n]...)
				if err != nil || len(req) > 16<<10 {
					return
				}
			}
			if _, err := c.Write(httpReply); err == nil {
				s.answers.Add(1)
			}
		}()
	}
}

type statLine struct {
	state   byte
	ticks   uint64
	threads int
}

// readStat reads utime+stime and the thread count from /proc/PID/stat.
func readStat(pid int) (statLine, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return statLine{}, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return statLine{}, fmt.Errorf("pid %d: bad stat", pid)
	}
	// From field 3, state: utime is field 14, stime 15, num_threads 20.
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 18 {
		return statLine{}, fmt.Errorf("pid %d: short stat", pid)
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	th, _ := strconv.Atoi(f[17])
	return statLine{state: f[0][0], ticks: ut + st, threads: th}, nil
}

// schedStat sums the schedstat of the process's threads: the time they
// ran, in ns, and how many times they were put on a CPU. Threads that
// ended are missing from it.
func schedStat(pid int) (runNs, runs uint64) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		data, err := os.ReadFile(dir + e.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) >= 3 {
			ns, _ := strconv.ParseUint(f[0], 10, 64)
			n, _ := strconv.ParseUint(f[2], 10, 64)
			runNs += ns
			runs += n
		}
	}
	return runNs, runs
}

// readKV reads "Key:   123 kB" lines.
func readKV(path string) (map[string]uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kv := map[string]uint64{}
	for l := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseUint(f[0], 10, 64); err == nil {
			kv[k] = n
		}
	}
	return kv, nil
}

func readMemory(pid int) memory {
	p := "/proc/" + strconv.Itoa(pid)
	st, err := readKV(p + "/status")
	if _, ok := st["VmRSS"]; err != nil || !ok { // gone, or a zombie
		return memory{}
	}
	m := memory{ok: true, rss: st["VmRSS"], anon: st["RssAnon"], file: st["RssFile"], shmem: st["RssShmem"],
		hwm: st["VmHWM"], threads: int(st["Threads"])}
	if sr, err := readKV(p + "/smaps_rollup"); err == nil {
		m.pss, m.pssFile = sr["Pss"], sr["Pss_File"]
	}
	return m
}

type mapping struct {
	name string
	rss  uint64 // KiB
}

// topMappings sums a process's RSS by mapped file (or kind of anonymous
// memory) and permissions, largest first.
func topMappings(pid, n int) []mapping {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		return nil
	}
	defer f.Close()
	sums := map[string]uint64{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 5 && strings.Contains(fs[0], "-") && len(fs[1]) == 4 {
			name := "anon"
			if len(fs) >= 6 {
				name = filepath.Base(fs[5])
			}
			cur = name + " " + fs[1]
			continue
		}
		if len(fs) >= 2 && fs[0] == "Rss:" {
			v, _ := strconv.ParseUint(fs[1], 10, 64)
			sums[cur] += v
		}
	}
	var ms []mapping
	for k, v := range sums {
		if v > 0 {
			ms = append(ms, mapping{k, v})
		}
	}
	slices.SortFunc(ms, func(a, b mapping) int { return int(b.rss) - int(a.rss) })
	if len(ms) > n {
		ms = ms[:n]
	}
	return ms
}

// machineBusy is the time all CPUs spent on anything but idling, and
// the time the hypervisor stole, in clock ticks.
func machineBusy() (busy, steal uint64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	l, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(l)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	// user nice system idle iowait irq softirq steal
	for i, v := range f[1:9] {
		n, _ := strconv.ParseUint(v, 10, 64)
		switch i {
		case 3, 4:
		case 7:
			steal = n
		default:
			busy += n
		}
	}
	return busy, steal
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the unit of /proc's CPU times (AT_CLKTCK in the
// auxiliary vector; 100 on Linux everywhere that matters).
func clockTicks() float64 {
	const atClkTck = 17
	data, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for i := 0; i+16 <= len(data); i += 16 {
			k, v := binary.NativeEndian.Uint64(data[i:]), binary.NativeEndian.Uint64(data[i+8:])
			if k == atClkTck && v > 0 {
				return float64(v)
			}
		}
	}
	return 100
}

type logPattern struct {
	text  string
	count int
}

var (
	reNum  = regexp.MustCompile(`[0-9]+`)
	reAddr = regexp.MustCompile(`#\.#\.#\.#(:#)?`)
)

// analyseLog counts the run's log lines (from offset start), those
// written in the window [w0, w1), and the most frequent kinds of line,
// numbers and addresses masked.
func analyseLog(path string, start, w0, w1 int64) (lines int, top []logPattern, winLines int) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, 0
	}
	defer f.Close()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return 0, nil, 0
	}
	counts := map[string]int{}
	off := start
	rd := bufio.NewReaderSize(f, 1<<16)
	for {
		l, err := rd.ReadString('\n')
		if l != "" {
			if off >= w0 && off < w1 {
				winLines++
			}
			off += int64(len(l))
			lines++
			k := reAddr.ReplaceAllString(reNum.ReplaceAllString(strings.TrimSpace(l), "#"), "ADDR")
			if len(k) > 110 {
				k = k[:110] + "..."
			}
			counts[k]++
		}
		if err != nil {
			break
		}
	}
	for k, v := range counts {
		top = append(top, logPattern{k, v})
	}
	slices.SortFunc(top, func(a, b logPattern) int {
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(a.text, b.text)
	})
	if len(top) > 8 {
		top = top[:8]
	}
	return lines, top, winLines
}

// raiseNofile makes the soft limit on open files at least need, raising
// the hard limit too when allowed (root).
func raiseNofile(need uint64) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return err
	}
	if rl.Cur >= need {
		return nil
	}
	want := rl
	want.Cur = need
	want.Max = max(rl.Max, need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		want.Max = rl.Max
		want.Cur = rl.Max
		if rl.Max < need || syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) != nil {
			return fmt.Errorf("need %d open files, the limit is %d (hard %d): raise ulimit -n", need, rl.Cur, rl.Max)
		}
	}
	return nil
}

// buildNanny builds lvskit's nanny into dir.
func buildNanny(dir string) (string, error) {
	out := filepath.Join(dir, "nanny")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// As the Makefile builds the daemons: static, without urfave/cli's
	// man-page generator, whose start-up work each process would repeat.
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "urfave_cli_no_docs", "-o", out, "lvskit/cmd/nanny")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return out, cmd.Run()
}

// buildFloor compiles floor/floor.c beside this file's package with cc.
func buildFloor() (string, error) {
	src, err := filepath.Abs("testscripts/nannybench/floor/floor.c")
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "nannybench-floor-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "floor")
	cmd := exec.Command("cc", "-O2", "-o", out, src)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return out, cmd.Run()
}
