package io.github.ringleader.messaging.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Virtual time for a whole simulated cluster: one queue of events ordered by (time, order of
 * scheduling), run one at a time on the caller's thread. Time moves only when the next event is
 * due, so minutes of cluster life take milliseconds, and a run is a pure function of its inputs
 * and seeds.
 *
 * <p>Each simulated node gets its own {@link VirtualEventLoop} on this scheduler; closing a loop
 * (a crash) drops its pending events. Checks registered with {@link #afterEachEvent} run after
 * every event, which is where simulation tests check their invariants.
 */
public final class VirtualTimeScheduler {

  /** The wall clock at virtual time 0: 2025-01-01T00:00:00Z, fixed so runs are reproducible. */
  public static final long DEFAULT_EPOCH_MILLIS = 1_735_689_600_000L;

  /** A scheduled event. */
  static final class Task implements Comparable<Task> {
    long atNanos;
    long order;
    final Runnable action;
    final @Nullable VirtualEventLoop owner;
    boolean cancelled;

    Task(long atNanos, long order, Runnable action, @Nullable VirtualEventLoop owner) {
      this.atNanos = atNanos;
      this.order = order;
      this.action = action;
      this.owner = owner;
    }

    @Override
    public int compareTo(Task other) {
      int byTime = Long.compare(atNanos, other.atNanos);
      return byTime != 0 ? byTime : Long.compare(order, other.order);
    }
  }

  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private final List<Runnable> checks = new ArrayList<>();
  private final long epochMillisAtZero;
  private long nowNanos;
  private long nextOrder;
  private long eventsRun;
  private @Nullable VirtualEventLoop lastEventLoop;

  public VirtualTimeScheduler() {
    this(DEFAULT_EPOCH_MILLIS);
  }

  /** A scheduler whose wall clock reads {@code epochMillisAtZero} at virtual time 0. */
  public VirtualTimeScheduler(long epochMillisAtZero) {
    this.epochMillisAtZero = epochMillisAtZero;
  }

  /** Virtual nanoseconds since the start of the simulation. */
  public long nanoTime() {
    return nowNanos;
  }

  /** The virtual wall clock, in milliseconds since the epoch. */
  public long epochMillis() {
    return epochMillisAtZero + nowNanos / 1_000_000;
  }

  /** Virtual time since the start of the simulation. */
  public Duration elapsed() {
    return Duration.ofNanos(nowNanos);
  }

  /** A new event loop for one simulated node. */
  public VirtualEventLoop newLoop(String name) {
    return new VirtualEventLoop(this, name);
  }

  /** Runs {@code action} (not owned by any node) after {@code delay}. */
  public void schedule(Duration delay, Runnable action) {
    add(nowNanos + Math.max(0, delay.toNanos()), action, null);
  }

  Task add(long atNanos, Runnable action, @Nullable VirtualEventLoop owner) {
    Task task = new Task(Math.max(atNanos, nowNanos), nextOrder++, action, owner);
    queue.add(task);
    return task;
  }

  /** The loop whose event ran last (null for an event of no node's loop), for the checks. */
  @Nullable
  VirtualEventLoop lastEventLoop() {
    return lastEventLoop;
  }

  /** Registers a check to run after every event; a check that throws stops the run. */
  public void afterEachEvent(Runnable check) {
    checks.add(check);
  }

  /**
   * Runs the next event, advancing time to it.
   *
   * @return false if there was none
   */
  public boolean step() {
    return step(Long.MAX_VALUE);
  }

  /**
   * Runs the next event if it is due no later than {@code limitNanos}. Cancelled events, events of
   * crashed nodes and events of frozen nodes are dealt with first, so they never make a later
   * event run early.
   */
  private boolean step(long limitNanos) {
    Task task;
    while ((task = queue.peek()) != null) {
      VirtualEventLoop owner = task.owner;
      if (task.cancelled || (owner != null && owner.isClosed())) {
        queue.poll();
        continue;
      }
      if (owner != null && owner.pausedUntilNanos() > task.atNanos) {
        // The node is frozen (a long GC pause): its work waits, in order, until it wakes.
        queue.poll();
        task.atNanos = owner.pausedUntilNanos();
        task.order = nextOrder++;
        queue.add(task);
        continue;
      }
      if (task.atNanos > limitNanos) {
        return false;
      }
      queue.poll();
      nowNanos = task.atNanos;
      lastEventLoop = owner;
      task.action.run();
      eventsRun++;
      for (Runnable check : checks) {
        check.run();
      }
      return true;
    }
    return false;
  }

  /** Runs every event due within {@code duration}, then sets the clock to its end. */
  public void runFor(Duration duration) {
    long end = nowNanos + duration.toNanos();
    while (step(end)) {
      // keep going
    }
    nowNanos = Math.max(nowNanos, end);
  }

  /**
   * Runs events until {@code condition} holds (checked before the first and after every event) or
   * {@code limit} of virtual time has passed.
   *
   * @return whether the condition was met
   */
  public boolean runUntil(BooleanSupplier condition, Duration limit) {
    long end = nowNanos + limit.toNanos();
    if (condition.getAsBoolean()) {
      return true;
    }
    while (step(end)) {
      if (condition.getAsBoolean()) {
        return true;
      }
    }
    nowNanos = Math.max(nowNanos, end);
    return condition.getAsBoolean();
  }

  /** Events run so far. */
  public long eventsRun() {
    return eventsRun;
  }
}
