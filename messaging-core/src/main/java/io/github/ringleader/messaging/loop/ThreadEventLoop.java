package io.github.ringleader.messaging.loop;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link EventLoop} on one daemon thread and the system clock: the loop a node uses in
 * production. A task that throws is logged and the loop carries on.
 */
public final class ThreadEventLoop implements EventLoop {
  private static final Logger log = LoggerFactory.getLogger(ThreadEventLoop.class);

  private final ScheduledThreadPoolExecutor executor;
  private volatile @Nullable Thread thread;

  /** Starts a loop whose thread is called {@code threadName}. */
  public ThreadEventLoop(String threadName) {
    executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t = new Thread(runnable, threadName);
              t.setDaemon(true);
              thread = t;
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
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
    if (executor.isShutdown()) {
      return;
    }
    try {
      executor.execute(guarded(task));
    } catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
      // close() raced with this call: dropping the task is what close() promises.
    }
  }

  @Override
  public Cancellable schedule(long delayNanos, Runnable task) {
    if (executor.isShutdown()) {
      return () -> {};
    }
    try {
      ScheduledFuture<?> future =
          executor.schedule(guarded(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return () -> future.cancel(false);
    } catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
      return () -> {};
    }
  }

  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("Event loop task failed; the loop carries on", e);
      }
    };
  }

  @Override
  public boolean inEventLoop() {
    return Thread.currentThread() == thread;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** Waits up to {@code timeoutMillis} for the loop's thread to finish after {@link #close()}. */
  public boolean awaitTermination(long timeoutMillis) throws InterruptedException {
    return executor.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
  }
}
