package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.loop.EventLoop;

/**
 * One simulated node's {@link EventLoop} in virtual time. All loops of a simulation share one
 * {@link VirtualTimeScheduler} and run on the thread that drives it, so
 * {@link #inEventLoop()} is always true. {@link #close()} is a crash: the node's pending events
 * are dropped and nothing it scheduled runs again.
 */
public final class VirtualEventLoop implements EventLoop {
  private final VirtualTimeScheduler scheduler;
  private final String name;
  private boolean closed;
  private long pausedUntilNanos;

  VirtualEventLoop(VirtualTimeScheduler scheduler, String name) {
    this.scheduler = scheduler;
    this.name = name;
  }

  @Override
  public long nanoTime() {
    return scheduler.nanoTime();
  }

  @Override
  public long epochMillis() {
    return scheduler.epochMillis();
  }

  @Override
  public void execute(Runnable task) {
    if (!closed) {
      scheduler.add(scheduler.nanoTime(), task, this);
    }
  }

  @Override
  public Cancellable schedule(long delayNanos, Runnable task) {
    if (closed) {
      return () -> {};
    }
    VirtualTimeScheduler.Task scheduled =
        scheduler.add(scheduler.nanoTime() + Math.max(0, delayNanos), task, this);
    return () -> scheduled.cancelled = true;
  }

  @Override
  public boolean inEventLoop() {
    return true;
  }

  @Override
  public void close() {
    closed = true;
  }

  /**
   * Freezes the node for {@code nanos} of virtual time, as a long garbage-collection pause would:
   * nothing it scheduled and nothing delivered to it runs until then; afterwards it all runs, in
   * order.
   */
  public void pause(long nanos) {
    pausedUntilNanos = Math.max(pausedUntilNanos, scheduler.nanoTime() + nanos);
  }

  long pausedUntilNanos() {
    return pausedUntilNanos;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "VirtualEventLoop[" + name + (closed ? ", closed]" : "]");
  }
}
