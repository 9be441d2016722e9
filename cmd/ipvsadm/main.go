// Command ipvsadm administers the kernel's IP Virtual Server table; it is
// a drop-in replacement for ipvsadm 1.31. See man/ipvsadm.8.
package main

import (
	"os"

	"lvskit/ipvsadm"
)

func main() { os.Exit(ipvsadm.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
