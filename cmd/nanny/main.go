// Command nanny checks one real server and keeps it in the kernel's IPVS
// table while it passes; lvsd runs one per real server. A successor of
// Piranha's nanny. See man/nanny.8.
package main

import (
	"os"

	"lvskit/nanny"
)

func main() { os.Exit(nanny.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
