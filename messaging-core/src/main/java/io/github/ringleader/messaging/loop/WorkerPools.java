package io.github.ringleader.messaging.loop;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounded pools of daemon threads for slow work that must stay off every event loop (a password
 * hash costs tens to hundreds of milliseconds). Made here, beside {@link ThreadEventLoop}, so
 * that the node's threads are made in one package and the state machines only get an executor.
 */
public final class WorkerPools {
  private WorkerPools() {}

  /**
   * {@code threads} daemon threads named {@code namePrefix-1}, {@code -2}, …, and at most {@code
   * queue} tasks waiting; {@code execute} throws {@link
   * java.util.concurrent.RejectedExecutionException} beyond that, so a flood is refused at once
   * instead of piling up.
   */
  public static ExecutorService bounded(String namePrefix, int threads, int queue) {
    if (threads < 1 || queue < 1) {
      throw new IllegalArgumentException(
          "threads and queue must be >= 1, were " + threads + ", " + queue);
    }
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads,
        threads,
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queue),
        runnable -> {
          Thread thread = new Thread(runnable, namePrefix + "-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        },
        new ThreadPoolExecutor.AbortPolicy());
  }
}
