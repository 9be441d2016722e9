// Command diffgolden turns the ipvsadm differential test's scenarios and
// the transcripts of a lab run into golden testscripts that replay every
// scenario against the fake table, expecting upstream ipvsadm's recorded
// behaviour (ours on the lines marked as deliberate differences).
//
//	go run ./testscripts/internal/diffgolden -transcripts DIR [FILTER...]
//
// DIR is the DIFF_OUT directory of testscripts/vm/ipvsadm-diff/diff.sh
// (DIR/upstream/NAME.txt, DIR/ours/NAME.txt). Only scenarios whose name
// contains a FILTER word are generated, if any are given. "make
// goldens-upstream" runs both steps. Run it from the repository root.
//
// The special cases (setup lines, lines the fake cannot reproduce) are in
// special.go, each with its reason.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	defaultScenarios = "testscripts/vm/ipvsadm-diff/scenarios"
	defaultOut       = "testscripts/testdata/upstream"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diffgolden", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenarios := fs.String("scenarios", defaultScenarios, "the scenario `dir`ectory")
	transcripts := fs.String("transcripts", "", "the DIFF_OUT `dir`ectory of a diff.sh run (required)")
	out := fs.String("out", defaultOut, "where the goldens go")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *transcripts == "" {
		fmt.Fprintln(stderr, "diffgolden: -transcripts is required")
		fs.Usage()
		return 2
	}
	if err := generateAll(*scenarios, *transcripts, *out, fs.Args(), stdout); err != nil {
		fmt.Fprintln(stderr, "diffgolden:", err)
		return 1
	}
	return 0
}

// generateAll writes the golden of every scenario that matches a filter
// (every scenario when there is none).
func generateAll(scenDir, transDir, outDir string, filters []string, stdout io.Writer) error {
	names, err := scenarioNames(scenDir)
	if err != nil {
		return err
	}
	var picked []string
	for _, name := range names {
		if len(filters) == 0 || containsAny(name, filters) {
			picked = append(picked, name)
		}
	}
	if len(picked) == 0 {
		return fmt.Errorf("no scenario in %s matches %q", scenDir, filters)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	total := 0
	for _, name := range picked {
		in, err := loadInputs(scenDir, transDir, name)
		if err != nil {
			return err
		}
		data, err := generate(in)
		if err != nil {
			return err
		}
		path := filepath.Join(outDir, name+".txtar")
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, data) {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return err
			}
		}
		n := commandLines(in.Scenario)
		total += n
		fmt.Fprintf(stdout, "%s (%d command lines)\n", path, n)
	}
	if len(filters) == 0 {
		// Goldens of scenarios that no longer exist (only what this
		// generator wrote).
		old, err := filepath.Glob(filepath.Join(outDir, "*.txtar"))
		if err != nil {
			return err
		}
		for _, path := range old {
			name := strings.TrimSuffix(filepath.Base(path), ".txtar")
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if !slices.Contains(names, name) && bytes.HasPrefix(data, []byte(generatedLine)) {
				if err := os.Remove(path); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "removed %s (no such scenario)\n", path)
			}
		}
	}
	fmt.Fprintf(stdout, "diffgolden: %d goldens, %d command lines\n", len(picked), total)
	return nil
}

// scenarioNames lists the scenarios of a directory, in name order.
func scenarioNames(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no scenarios in %s", dir)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".txt")
	}
	return names, nil
}

// loadScenario reads a scenario and the fixtures it uses.
func loadScenario(scenDir, name string) (*scenario, []byte, map[string][]byte, error) {
	raw, err := os.ReadFile(filepath.Join(scenDir, name+".txt"))
	if err != nil {
		return nil, nil, nil, err
	}
	sc, err := parseScenario(name, raw)
	if err != nil {
		return nil, nil, nil, err
	}
	fixtures := map[string][]byte{}
	for _, f := range fixturesUsed(sc) {
		data, err := os.ReadFile(filepath.Join(scenDir, "fixtures", f))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		fixtures[f] = data
	}
	return sc, raw, fixtures, nil
}

// loadInputs reads everything the golden of one scenario is made from.
func loadInputs(scenDir, transDir, name string) (inputs, error) {
	sc, raw, fixtures, err := loadScenario(scenDir, name)
	if err != nil {
		return inputs{}, err
	}
	in := inputs{Scenario: sc, Raw: raw, Fixtures: fixtures}
	for _, side := range []string{"upstream", "ours"} {
		path := filepath.Join(transDir, side, name+".txt")
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return inputs{}, fmt.Errorf("%s: no transcript (run diff.sh with DIFF_OUT=%s)", path, transDir)
		}
		if err != nil {
			return inputs{}, err
		}
		res, err := parseTranscript(data)
		if err != nil {
			return inputs{}, fmt.Errorf("%s: %w", path, err)
		}
		if side == "upstream" {
			in.Upstream = res
		} else {
			in.Ours = res
		}
	}
	return in, nil
}

// commandLines counts a scenario's ipvsadm command lines.
func commandLines(sc *scenario) int {
	n := 0
	for _, it := range sc.Items {
		if it.Kind == itemCommand {
			n++
		}
	}
	return n
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
