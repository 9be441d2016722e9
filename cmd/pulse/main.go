// Command pulse runs the heartbeat between two directors; the one that
// should serve holds the virtual IPs and runs lvsd. A successor of
// Piranha's pulse. See man/pulse.8.
package main

import (
	"os"

	"lvskit/pulse"
)

func main() { os.Exit(pulse.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
