// Command send_arp announces that an IP address is at a MAC address: a
// gratuitous ARP, or for IPv6 an unsolicited neighbor advertisement. A
// successor of Piranha's send_arp, with its command line. See
// man/send_arp.8.
package main

import (
	"os"

	"lvskit/sendarp"
)

func main() { os.Exit(sendarp.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
