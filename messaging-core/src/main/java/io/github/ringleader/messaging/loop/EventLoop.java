package io.github.ringleader.messaging.loop;

/**
 * The single thread of control that owns one node's protocol state, and the node's only source of
 * time.
 *
 * <p>Every task submitted to one loop runs one at a time, in submission order for tasks due at
 * the same moment, so the state machines need no locks. Time is read from {@link #nanoTime()} and
 * nowhere else, which is what lets the simulation run a node in virtual time: the real
 * {@link ThreadEventLoop} uses the system clock, the simulation's loop a virtual one.
 */
public interface EventLoop {

  /** Monotonic time in nanoseconds, on the loop's clock. Only differences are meaningful. */
  long nanoTime();

  /**
   * Wall-clock time in milliseconds since the epoch, on the loop's clock. The node reads it once,
   * at start, to pick an incarnation higher than any earlier run's.
   */
  long epochMillis();

  /** Runs {@code task} on the loop as soon as possible. Ignored after {@link #close()}. */
  void execute(Runnable task);

  /**
   * Runs {@code task} on the loop as soon as possible, ahead of the tasks {@link #execute} queued
   * if the loop keeps priorities (the default does not): for the control plane — heartbeats,
   * elections — which must not wait behind a flood of data. Urgent tasks run in the order they
   * were submitted. Ignored after {@link #close()}.
   */
  default void executeUrgent(Runnable task) {
    execute(task);
  }

  /**
   * Runs {@code task} on the loop once {@code delayNanos} have passed (0 or less: as soon as
   * possible). Ignored after {@link #close()}.
   *
   * @return a handle that cancels the task if it has not run yet
   */
  Cancellable schedule(long delayNanos, Runnable task);

  /** Whether the caller is running on this loop. */
  boolean inEventLoop();

  /** Stops running tasks; tasks not yet run are dropped. Idempotent. */
  void close();

  /** A scheduled task that can still be called off. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not run; does nothing otherwise. */
    void cancel();
  }
}
