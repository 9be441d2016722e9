//go:build linux

package nstest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// nsOf names the network namespace of one thread ("net:[4026531840]").
func nsOf(t *testing.T, path string) string {
	t.Helper()
	link, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// threadNamespaces returns the network namespaces of all the process's
// threads.
func threadNamespaces(t *testing.T) map[string]bool {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range tasks {
		// A thread may exit between Glob and Readlink.
		if link, err := os.Readlink(p); err == nil {
			seen[link] = true
		}
	}
	return seen
}

func TestNamespaces(t *testing.T) {
	// Pin the test goroutine so that "its namespace" is one thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	host := nsOf(t, threadNS)

	probe, err := Open()
	if err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	probe.Close()

	var seen []string
	for i := range 2 {
		ns := New(t)
		var inside string
		err := ns.Do(func() error {
			var err error
			if inside, err = os.Readlink(threadNS); err != nil {
				return err
			}
			lo, err := net.InterfaceByName("lo")
			if err != nil {
				return err
			}
			if lo.Flags&net.FlagUp == 0 {
				return fmt.Errorf("lo is down: %v", lo.Flags)
			}
			for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("%s is not local: %w", addr, err)
				}
				ln.Close()
			}
			return nil
		})
		if err != nil {
			t.Fatalf("namespace %d: %v", i, err)
		}
		if handle := nsOf(t, fmt.Sprintf("/proc/self/fd/%d", ns.FD())); handle != inside {
			t.Errorf("namespace %d: handle is %s, Do ran in %s", i, handle, inside)
		}
		if inside == host {
			t.Errorf("namespace %d: Do ran in the test's namespace %s", i, host)
		}
		for j, prev := range seen {
			if prev == inside {
				t.Errorf("namespaces %d and %d are both %s", j, i, inside)
			}
		}
		seen = append(seen, inside)
	}

	if got := nsOf(t, threadNS); got != host {
		t.Errorf("test goroutine's namespace is %s after Do, want %s", got, host)
	}
	for ns := range threadNamespaces(t) {
		if ns != host {
			t.Errorf("a thread of the process is left in %s", ns)
		}
	}
}

func TestDoReturnsError(t *testing.T) {
	ns, err := Open()
	if err != nil {
		t.Skipf("cannot create network namespaces here: %v", err)
	}
	defer ns.Close()
	want := fmt.Errorf("from fn")
	if err := ns.Do(func() error { return want }); err != want {
		t.Errorf("Do = %v, want %v", err, want)
	}
}
