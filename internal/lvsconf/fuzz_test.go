package lvsconf

import (
	"os"
	"reflect"
	"testing"
)

// FuzzParse: no input panics, and every accepted file formats to one
// that parses back to the same configuration.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"sample.cf", "gui-direct.cf", "direct-8080.cf"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("virtual v{\n send = \"a b\" # c\n expect='x y'\n dirs = [ a \"]\" ]\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse("fuzz", data, testOptions)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := Format(c)
		if err != nil {
			return // a value no lvs.cf can hold; Format says so
		}
		c2, _, err := Parse("formatted", out, Options{})
		if err != nil {
			t.Fatalf("Parse(Format(c)): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("Parse(Format(c)) differs:\n got %+v\nwant %+v\n%s", c2, c, out)
		}
	})
}
