// Command lvsd keeps the kernel's IPVS table as lvs.cf describes it and
// runs one monitor per real server; a successor of Piranha's lvsd. See
// man/lvsd.8.
package main

import (
	"os"

	"lvskit/internal/lvsd"
)

func main() { os.Exit(lvsd.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
