package io.github.ringleader.messaging.loop;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventLoop} on one daemon thread and the system clock: the loop a node uses in
 * production. A task that throws is logged and the loop carries on.
 *
 * <p><b>Priorities.</b> Due timers and {@linkplain #executeUrgent urgent} tasks run before the
 * ordinary tasks queued with {@link #execute}, and between every {@value #TASKS_PER_TURN} of them:
 * a flood of client traffic can delay the node's heartbeats and its judging of the others'
 * silence by at most that many tasks, not by the length of the queue; and at most {@value
 * #URGENT_PER_TURN} urgent tasks run in a row, so a flood of them cannot starve the rest either.
 * Ordinary tasks run in the order they were submitted, urgent ones too, and timers in the order of
 * their deadlines (then of scheduling). An {@link Error} thrown by a task is logged and ends the
 * loop: nothing more is queued or run on it.
 *
 * <p><b>Cost.</b> Submitting a task is a lock-free enqueue, and wakes the thread only if it sleeps;
 * a loop that keeps busy is never woken at all.
 */
public final class ThreadEventLoop implements EventLoop {
  private static final Logger log = LoggerFactory.getLogger(ThreadEventLoop.class);

  /** Ordinary tasks run between two looks at the timers and the urgent tasks, at most. */
  static final int TASKS_PER_TURN = 64;

  /** Urgent tasks run in one turn, at most: a flood of them still leaves room for the rest. */
  static final int URGENT_PER_TURN = 64;

  /** Cancelled timers tolerated in the queue before it is swept. */
  private static final int MAX_CANCELLED_TIMERS = 1024;

  private static final class Timer implements Cancellable {
    final long dueNanos;
    final long order;
    final Runnable task;
    volatile boolean cancelled;

    Timer(long dueNanos, long order, Runnable task) {
      this.dueNanos = dueNanos;
      this.order = order;
      this.task = task;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Runnable> urgent = new ConcurrentLinkedQueue<>();
  /** Timers scheduled from other threads, moved into {@link #timers} by the loop. */
  private final ConcurrentLinkedQueue<Timer> newTimers = new ConcurrentLinkedQueue<>();
  /** The loop thread's own. */
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
      ? Long.compare(a.dueNanos, b.dueNanos)
      : Long.compare(a.order, b.order));

  private final AtomicLong timerOrder = new AtomicLong();
  private final Thread thread;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean sleeping;
  private volatile boolean closed;

  /** Starts a loop whose thread is called {@code threadName}. */
  public ThreadEventLoop(String threadName) {
    thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long epochMillis() {
    return System.currentTimeMillis();
  }

  @Override
  public void execute(Runnable task) {
    if (!closed) {
      tasks.add(task);
      wake();
    }
  }

  /**
   * Runs {@code task} as soon as possible, ahead of the ordinary tasks queued: for the control
   * plane (heartbeats, elections), which must not wait behind a flood of data.
   */
  @Override
  public void executeUrgent(Runnable task) {
    if (!closed) {
      urgent.add(task);
      wake();
    }
  }

  @Override
  public Cancellable schedule(long delayNanos, Runnable task) {
    if (closed) {
      return () -> {};
    }
    Timer timer =
        new Timer(System.nanoTime() + Math.max(0, delayNanos), timerOrder.getAndIncrement(), task);
    if (inEventLoop()) {
      timers.add(timer);
    } else {
      newTimers.add(timer);
      wake();
    }
    return timer;
  }

  private void wake() {
    if (sleeping) {
      LockSupport.unpark(thread);
    }
  }

  @Override
  public boolean inEventLoop() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
  }

  /** Waits up to {@code timeoutMillis} for the loop's thread to finish after {@link #close()}. */
  public boolean awaitTermination(long timeoutMillis) throws InterruptedException {
    return terminated.await(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void run() {
    try {
      while (!closed) {
        boolean worked = runUrgentWork();
        for (int i = 0; i < TASKS_PER_TURN && !closed; i++) {
          Runnable task = tasks.poll();
          if (task == null) {
            break;
          }
          guarded(task);
          worked = true;
        }
        if (!worked) {
          sleepUntilWork();
        }
      }
    } catch (Error e) {
      log.error("Event loop {} stopped by an error; nothing more runs on it", thread.getName(), e);
      throw e;
    } finally {
      closed = true; // so that nothing more is queued for a loop that no longer runs
      tasks.clear();
      urgent.clear();
      newTimers.clear();
      timers.clear();
      terminated.countDown();
    }
  }

  /** Runs the urgent tasks and the due timers; whether there were any. */
  private boolean runUrgentWork() {
    boolean worked = false;
    Runnable task;
    for (int i = 0; i < URGENT_PER_TURN && !closed && (task = urgent.poll()) != null; i++) {
      guarded(task);
      worked = true;
    }
    Timer timer;
    while ((timer = newTimers.poll()) != null) {
      timers.add(timer);
    }
    long now = System.nanoTime();
    while (!closed
        && (timer = timers.peek()) != null
        && (timer.cancelled || timer.dueNanos <= now)) {
      timers.poll();
      if (!timer.cancelled) {
        guarded(timer.task);
        worked = true;
      }
    }
    if (timers.size() > MAX_CANCELLED_TIMERS) {
      timers.removeIf(t -> t.cancelled);
    }
    return worked;
  }

  private void sleepUntilWork() {
    Timer next = timers.peek();
    sleeping = true;
    try {
      // Checked again after raising the flag: a task added meanwhile has seen it and unparks.
      if (closed || !tasks.isEmpty() || !urgent.isEmpty() || !newTimers.isEmpty()) {
        return;
      }
      if (next == null) {
        LockSupport.park(this);
      } else {
        long wait = next.dueNanos - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(this, wait);
        }
      }
    } finally {
      sleeping = false;
    }
  }

  private static void guarded(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("Event loop task failed; the loop carries on", e);
    }
  }
}
