package nanny

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestProbeContextDeadline(t *testing.T) {
	dl := time.Now().Add(50 * time.Millisecond)
	ctx := newProbeContext(dl)
	if got, ok := ctx.Deadline(); !ok || !got.Equal(dl) {
		t.Errorf("Deadline() = %v, %v; want %v, true", got, ok, dl)
	}
	if ctx.Err() != nil {
		t.Fatalf("Err() = %v before the deadline", ctx.Err())
	}
	if ctx.timer != nil || ctx.done != nil {
		t.Error("a timer or channel made before anyone waited")
	}
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err() = %v, want deadline exceeded", ctx.Err())
	}
	<-ran
	<-child.Done()
	if !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Errorf("child's Err() = %v, want deadline exceeded", child.Err())
	}
}

// Err looks at the clock: a context nobody waits on ends on time.
func TestProbeContextErrWithoutTimer(t *testing.T) {
	ctx := newProbeContext(time.Now().Add(-time.Millisecond))
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err() = %v, want deadline exceeded", ctx.Err())
	}
	select {
	case <-ctx.Done():
	default:
		t.Error("Done open after Err said the deadline passed")
	}
	if ctx.timer != nil {
		t.Error("timer made for a passed deadline")
	}
}

func TestProbeContextCancel(t *testing.T) {
	ctx := newProbeContext(time.Now().Add(time.Hour))
	ran := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { close(ran) })
	stopped := context.AfterFunc(ctx, func() { t.Error("stopped AfterFunc ran") })
	if !stopped() {
		t.Error("stop of a pending AfterFunc said false")
	}
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	ctx.cancel(context.Canceled)
	ctx.cancel(context.DeadlineExceeded) // no effect
	<-ran
	if stop() {
		t.Error("stop of an AfterFunc that ran said true")
	}
	<-ctx.Done()
	<-child.Done()
	if ctx.Err() != context.Canceled || child.Err() != context.Canceled {
		t.Errorf("Err() = %v, child's %v; want canceled", ctx.Err(), child.Err())
	}
	if ctx.timer.Stop() {
		t.Error("timer still pending after cancel")
	}
	late := make(chan struct{})
	context.AfterFunc(ctx, func() { close(late) })
	<-late
}
