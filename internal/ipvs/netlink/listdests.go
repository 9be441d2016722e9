package netlink

import "lvskit/internal/ipvs"

// ListDests implements ipvs.Table. The dumps run on a goroutine of their
// own, ahead of each: that goroutine only sends requests and copies the
// replies, in chunks of listChunk services, and the caller's goroutine
// decodes them and runs each. A listing of thousands of services is
// mostly the kernel's work on the dumps; with a second CPU, the decoding
// and the caller's work (ipvsadm's sorting and formatting) overlap it
// instead of adding to it.
//
// The dumps are the ones Dests sends, one per service in order, each
// under the client's lock, so other commands on the client interleave
// with a listing as they would with a loop of Dests calls. When each
// fails, the fetching stops after the dump in flight, and ListDests
// returns once it has.
func (c *Client) ListDests(keys []ipvs.ServiceKey, each func(i int, dests []ipvs.Dest) error) error {
	if len(keys) == 0 {
		return nil
	}
	stop := make(chan struct{})
	full := make(chan *destChunk, listChunks)
	free := make(chan *destChunk, listChunks+2)
	go c.fetchDests(keys, stop, full, free)
	defer func() {
		// However decoding ended, even by a panic in each, the
		// fetching goroutine ends before ListDests does.
		close(stop)
		for range full {
		}
	}()
	return decodeChunks(keys, full, free, each)
}

// listChunk services make a chunk; up to listChunks full chunks wait for
// the decoder. A chunk is small enough that the first lines of a listing
// come out at once, large enough that handing it over is rare.
const (
	listChunk  = 64
	listChunks = 4
)

// destChunk holds the raw replies of the dumps of up to listChunk
// consecutive services, from keys[first] on.
type destChunk struct {
	first int
	msgs  []byte // the replies' attributes, back to back
	ends  []int  // where each reply ends in msgs
	svcs  []int  // for each service, len(ends) after its dump
	err   error  // the dump of keys[first+len(svcs)] failed
}

// fetchDests dumps the destinations of keys in order into chunks, which
// it sends on full; it takes chunks to reuse from free. It closes full
// when it is done, has failed or is stopped.
func (c *Client) fetchDests(keys []ipvs.ServiceKey, stop <-chan struct{}, full chan<- *destChunk, free <-chan *destChunk) {
	defer close(full)
	ch := newChunk(free, 0)
	add := func(b []byte) error {
		ch.msgs = append(ch.msgs, b...)
		ch.ends = append(ch.ends, len(ch.msgs))
		return nil
	}
	for i, k := range keys {
		select {
		case <-stop:
			return
		default:
		}
		// A key that names no service the kernel could have is an
		// empty list, as in Dests.
		if misread(k) == nil {
			attrs, err := serviceKeyAttrs(k)
			if err == nil {
				err = c.execute(cmdGetDest, dumpFlags, attrs, add)
			}
			if err != nil {
				ch.err = err
				full <- ch
				return
			}
		}
		ch.svcs = append(ch.svcs, len(ch.ends))
		if len(ch.svcs) == listChunk {
			full <- ch
			ch = newChunk(free, i+1)
		}
	}
	if len(ch.svcs) > 0 {
		full <- ch
	}
}

// newChunk returns an empty chunk starting at the service first, reusing
// one from free if there is one.
func newChunk(free <-chan *destChunk, first int) *destChunk {
	var ch *destChunk
	select {
	case ch = <-free:
		ch.msgs, ch.ends, ch.svcs, ch.err = ch.msgs[:0], ch.ends[:0], ch.svcs[:0], nil
	default:
		ch = &destChunk{}
	}
	ch.first = first
	return ch
}

// decodeChunks decodes the chunks from full and passes each service's
// destinations to each, returning chunks for reuse on free. It returns
// the first error: a failed dump, a reply that does not decode, or each's.
func decodeChunks(keys []ipvs.ServiceKey, full <-chan *destChunk, free chan<- *destChunk, each func(int, []ipvs.Dest) error) error {
	for ch := range full {
		// One array holds the chunk's destinations; each service gets
		// a slice of it that it cannot append into its neighbour's.
		all := make([]ipvs.Dest, len(ch.ends))
		m, start := 0, 0
		for j, n := range ch.svcs {
			i := ch.first + j
			first := m
			for ; m < n; m++ {
				d, err := decodeDestMsg(ch.msgs[start:ch.ends[m]], keys[i].Family)
				if err != nil {
					return cmdError(cmdGetDest, err)
				}
				all[m] = d
				start = ch.ends[m]
			}
			if err := each(i, all[first:m:m]); err != nil {
				return err
			}
		}
		if ch.err != nil {
			return ch.err
		}
		free <- ch
	}
	return nil
}
