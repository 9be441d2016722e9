package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGoldensFresh fails when a golden of testscripts/testdata/upstream
// was not generated from the current scenario (its command lines, stdin,
// fixtures), from the current special cases, or by the current format;
// and when a scenario has no golden or a golden no scenario. The fix is
// "make goldens-upstream".
func TestGoldensFresh(t *testing.T) {
	scenarios := filepath.Join("..", "..", "vm", "ipvsadm-diff", "scenarios")
	goldens := filepath.Join("..", "..", "testdata", "upstream")
	for _, err := range checkFresh(scenarios, goldens) {
		t.Error(err)
	}
}

// checkFresh compares the goldens in goldenDir with the scenarios in
// scenDir.
func checkFresh(scenDir, goldenDir string) []error {
	names, err := scenarioNames(scenDir)
	if err != nil {
		return []error{err}
	}
	var errs []error
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.txtar"))
	if err != nil {
		return []error{err}
	}
	for _, path := range paths {
		if name := strings.TrimSuffix(filepath.Base(path), ".txtar"); !slices.Contains(names, name) {
			errs = append(errs, fmt.Errorf("%s: no scenario %s.txt; run make goldens-upstream", path, name))
		}
	}
	for _, name := range names {
		sc, raw, fixtures, err := loadScenario(scenDir, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := checkRules(sc, rulesFor(name)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		path := filepath.Join(goldenDir, name+".txtar")
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("scenario %s has no golden: %w; run make goldens-upstream", name, err))
			continue
		}
		m := digestRE.FindSubmatch(data)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: no inputs digest line", path))
			continue
		}
		if want := digest(sc, raw, fixtures); string(m[1]) != want {
			errs = append(errs, fmt.Errorf("%s is stale: made from inputs %s, the scenario's are %s now; run make goldens-upstream", path, m[1], want))
		}
	}
	for _, r := range lineRules {
		if !slices.Contains(names, r.Scenario) {
			errs = append(errs, fmt.Errorf("rule %s: no such scenario", r))
		}
	}
	return errs
}

func TestCheckFresh(t *testing.T) {
	dir := t.TempDir()
	scen, gold := filepath.Join(dir, "scenarios"), filepath.Join(dir, "goldens")
	for _, d := range []string{filepath.Join(scen, "fixtures"), gold} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(scen, "01-a.txt"), "-Ln\n")
	write(filepath.Join(scen, "02-b.txt"), "-R < f\n")
	write(filepath.Join(scen, "fixtures", "f"), "-C\n")
	upstream := map[string]string{
		"01-a": "=== line 1: ipvsadm -Ln\n--- exit 0\n",
		"02-b": "=== line 1: ipvsadm -R\n[stdin < f]\n--- exit 0\n",
	}
	for name, tr := range upstream {
		in := testInputs(t, mustRead(t, filepath.Join(scen, name+".txt")), tr, tr, map[string][]byte{"f": []byte("-C\n")})
		in.Scenario.Name = name
		out, err := generate(in)
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(gold, name+".txtar"), string(out))
	}
	withRules(t)
	if errs := checkFresh(scen, gold); len(errs) > 0 {
		t.Fatalf("fresh goldens: %v", errs)
	}
	expect := func(what string, wantErrs int) {
		t.Helper()
		if errs := checkFresh(scen, gold); len(errs) != wantErrs {
			t.Errorf("%s: %d errors, want %d: %v", what, len(errs), wantErrs, errs)
		}
	}
	write(filepath.Join(scen, "fixtures", "f"), "-C\n-C\n")
	expect("a changed fixture", 1)
	write(filepath.Join(scen, "fixtures", "f"), "-C\n")
	write(filepath.Join(scen, "01-a.txt"), "-Ln \n")
	expect("a changed scenario", 1)
	write(filepath.Join(scen, "01-a.txt"), "-Ln\n")
	write(filepath.Join(gold, "03-c.txtar"), "")
	expect("a golden without a scenario", 1)
	os.Remove(filepath.Join(gold, "03-c.txtar"))
	os.Remove(filepath.Join(gold, "02-b.txtar"))
	expect("a scenario without a golden", 1)
	withRules(t, lineRule{"01-a", 1, "-Ln", modeAnyServiceOrder, "x"})
	expect("a new special case", 2)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
