package ipvsadm

import (
	"bytes"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

// FuzzRestore feeds arbitrary input to ipvsadm -R over a fresh fake
// table: it must never panic, and every input ends with one of ipvsadm's
// exit statuses.
func FuzzRestore(f *testing.F) {
	for _, seed := range []string{
		"-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.1.10 -m -w 3\n",
		"ipvsadm -A -t [2001:db8::1]:80\r\n-a -t [2001:db8::1]:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080\n",
		"# comment\n-C\n",
		"-A -f 7 -6 -p -M 64\n-E -f 7 -6 -s sh -b sh-port\n-Sn\n-L --stats --exact\n",
		"-R\n",
		"--start-daemon master --mcast-interface lo\n-L --daemon\n--stop-daemon master\n",
		"-A -t 10.0.0.1:80 -b ,\n-Z\n--set 1 2 3\n-L --timeout\n-D -t 10.0.0.1:80\n",
		"\t\t\n   \n-A\t-t\t10.0.0.1:http\n-Lc\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		ft := fake.New()
		var out, errs bytes.Buffer
		env := &Env{
			Stdin:  bytes.NewBufferString(input),
			Stdout: &out, Stderr: &errs,
			Open:     func() (ipvs.Table, error) { return ft.Open() },
			Resolver: parseTestResolver{},
			ConnPath: "/nonexistent/ip_vs_conn",
		}
		switch st := env.Run([]string{"ipvsadm", "-R"}); st {
		case 0, 1, 2, 255:
		default:
			t.Fatalf("exit status %d for input %q", st, input)
		}
	})
}
