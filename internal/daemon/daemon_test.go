package daemon

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ReadyNotifier tells the daemonizing parent through its pipe and
// systemd through NOTIFY_SOCKET, once, and leaves neither in the
// environment for the children.
func TestReadyNotifier(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("failed=%v", fail), func(t *testing.T) {
			sockPath := filepath.Join(t.TempDir(), "notify")
			sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			t.Setenv(readyFD, strconv.Itoa(int(w.Fd())))
			t.Setenv("NOTIFY_SOCKET", sockPath)

			ready := ReadyNotifier()
			if v, ok := os.LookupEnv(readyFD); ok {
				t.Errorf("%s still set: %q", readyFD, v)
			}
			if v, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
				t.Errorf("NOTIFY_SOCKET still set: %q", v)
			}
			var err2 error
			want := "ok\n"
			if fail {
				err2 = fmt.Errorf("cannot open the IPVS table")
				want = "cannot open the IPVS table\n"
			}
			ready(err2)
			ready(nil) // a second call tells nobody anything
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("pipe got %q, want %q", got, want)
			}

			sock.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			buf := make([]byte, 256)
			n, _, err := sock.ReadFromUnix(buf)
			if fail {
				if err == nil {
					t.Errorf("systemd told %q after a failure", buf[:n])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := fmt.Sprintf("READY=1\nMAINPID=%d\n", os.Getpid()); string(buf[:n]) != w {
				t.Errorf("systemd got %q, want %q", buf[:n], w)
			}
			sock.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, _, err := sock.ReadFromUnix(buf); err == nil {
				t.Error("systemd told twice")
			}
		})
	}
}
