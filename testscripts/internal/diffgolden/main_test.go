package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	scen, trans, out := filepath.Join(dir, "scenarios"), filepath.Join(dir, "t"), filepath.Join(dir, "out")
	files := map[string]string{
		"scenarios/01-a.txt":  "# A.\n-Ln\n",
		"scenarios/02-b.txt":  "-C\n",
		"t/upstream/01-a.txt": "=== line 2: ipvsadm -Ln\n--- stdout\nlisting\n--- exit 0\n",
		"t/ours/01-a.txt":     "=== line 2: ipvsadm -Ln\n--- stdout\nlisting\n--- exit 0\n",
		"t/upstream/02-b.txt": "=== line 1: ipvsadm -C\n--- exit 0\n",
		"t/ours/02-b.txt":     "=== line 1: ipvsadm -C\n--- exit 0\n",
		"out/03-gone.txtar":   generatedLine + "an old golden\n",
		"out/04-mine.txtar":   "written by hand\n",
		"out/unrelated.txt":   "kept\n",
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	withRules(t)

	var stdout, stderr bytes.Buffer
	if code := run([]string{"-scenarios", scen, "-out", out}, &stdout, &stderr); code != 2 {
		t.Errorf("without -transcripts: exit %d, want 2", code)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"-scenarios", scen, "-transcripts", trans, "-out", out, "01-"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "02-b.txtar")); err == nil {
		t.Error("a filter did not limit the goldens")
	}
	if _, err := os.Stat(filepath.Join(out, "03-gone.txtar")); err != nil {
		t.Error("a run with a filter removed another golden")
	}
	stdout.Reset()
	if code := run([]string{"-scenarios", scen, "-transcripts", trans, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "diffgolden: 2 goldens, 2 command lines\n") {
		t.Errorf("stdout %q", stdout.String())
	}
	for name, want := range map[string]bool{"01-a.txtar": true, "02-b.txtar": true, "03-gone.txtar": false, "04-mine.txtar": true, "unrelated.txt": true} {
		if _, err := os.Stat(filepath.Join(out, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
	os.Remove(filepath.Join(out, "04-mine.txtar"))
	if errs := checkFresh(scen, out); len(errs) > 0 {
		t.Errorf("the goldens are not fresh: %v", errs)
	}

	// A missing transcript is an error, not a skipped scenario.
	os.Remove(filepath.Join(trans, "ours", "02-b.txt"))
	stderr.Reset()
	if code := run([]string{"-scenarios", scen, "-transcripts", trans, "-out", out}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "no transcript") {
		t.Errorf("a missing transcript: exit %d, stderr %q", code, stderr.String())
	}
}
