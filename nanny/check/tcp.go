package check

import "context"

// TCP passes when a TCP connection to the target is accepted; it is
// Piranha's check without send or expect, and keepalived's TCP_CHECK.
type TCP struct {
	Target Target
}

func (c *TCP) String() string { return "TCP connect to " + c.Target.String() }

func (c *TCP) Check(ctx context.Context) error {
	_, release, err := probeConnect(ctx, c.Target)
	if err != nil {
		return err
	}
	release()
	return nil
}
