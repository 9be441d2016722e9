package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A result is what one scenario line did on one side of the lab.
type result struct {
	Header string // "=== line N: ..."
	Notes  []string
	Stdout []byte
	Stderr []byte
	Exit   int
}

var (
	headerRE = regexp.MustCompile(`^=== line ([0-9]+): `)
	exitRE   = regexp.MustCompile(`^--- exit ([0-9]+)$`)
)

// parseTranscript reads a transcript that run.sh --dump printed (and
// diff.sh saved under DIFF_OUT): per scenario line a block
//
//	=== line N: ipvsadm ARGS
//	[stdin ...]                          (notes in brackets)
//	--- stdout                           (left out when empty)
//	BYTES
//	\ no newline at end of stdout        (when BYTES lack a final newline)
//	--- stderr                           (the same)
//	--- exit N
//
// In a dumped transcript every block ends with its exit line, marked
// lines included. A section's bytes end at the next section or exit
// line; the caller checks each header against the scenario, so an
// output that happened to contain such a line would not go unnoticed.
func parseTranscript(data []byte) (map[int]*result, error) {
	out := map[int]*result{}
	text := string(data)
	if text == "" {
		return out, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("transcript does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	i := 0
	for i < len(lines) {
		m := headerRE.FindStringSubmatch(lines[i])
		if m == nil {
			return nil, fmt.Errorf("transcript line %d: want a block header, got %q", i+1, lines[i])
		}
		n, _ := strconv.Atoi(m[1])
		if _, dup := out[n]; dup {
			return nil, fmt.Errorf("transcript line %d: scenario line %d twice", i+1, n)
		}
		r := &result{Header: lines[i]}
		i++
		for i < len(lines) && strings.HasPrefix(lines[i], "[") {
			r.Notes = append(r.Notes, lines[i])
			i++
		}
		for _, name := range []string{"stdout", "stderr"} {
			if i >= len(lines) || lines[i] != "--- "+name {
				continue
			}
			i++
			var sec []string
			for i < len(lines) && !exitRE.MatchString(lines[i]) && !(name == "stdout" && lines[i] == "--- stderr") {
				sec = append(sec, lines[i])
				i++
			}
			data := []byte(strings.Join(sec, "\n") + "\n")
			if len(sec) > 0 && sec[len(sec)-1] == `\ no newline at end of `+name {
				data = []byte(strings.Join(sec[:len(sec)-1], "\n"))
			}
			if len(sec) == 0 || len(data) == 0 {
				return nil, fmt.Errorf("block %q: empty %s section", r.Header, name)
			}
			if name == "stdout" {
				r.Stdout = data
			} else {
				r.Stderr = data
			}
		}
		if i >= len(lines) {
			return nil, fmt.Errorf("block %q: no exit line", r.Header)
		}
		m = exitRE.FindStringSubmatch(lines[i])
		if m == nil {
			return nil, fmt.Errorf("block %q: want its exit line, got %q", r.Header, lines[i])
		}
		r.Exit, _ = strconv.Atoi(m[1])
		i++
		out[n] = r
	}
	return out, nil
}
