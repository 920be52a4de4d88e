package io.github.ringleader.messaging.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread of a client on which every listener call and every send future completes, in
 * the order they were handed over: the reader, the timer and the user's threads hand calls over
 * and never run them themselves, so that a listener is never called concurrently, nor on a thread
 * that holds a lock of the client.
 *
 * <p>Handing over never blocks (the queue is unbounded), so it may happen under the client's
 * session lock, which fixes the order. The reader bounds the queue instead: after each event it
 * waits ({@link #awaitRoom}) while more than {@link #HIGH_WATER} calls wait, so a slow listener
 * slows the reading (and the server's sending), as it did when the reader called it directly.
 */
final class ListenerDispatcher {
  private static final Logger log = LoggerFactory.getLogger(ListenerDispatcher.class);

  /** Calls that may wait before the reader stops reading. */
  static final int HIGH_WATER = 16_384;

  private final String owner;
  private final Thread thread;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean stopping;

  ListenerDispatcher(String owner) {
    this.owner = owner;
    this.thread = new Thread(this::run, "ringleader-client-events-" + owner);
    thread.setDaemon(true);
    thread.start();
  }

  /** The thread every call runs on. */
  Thread thread() {
    return thread;
  }

  boolean isDispatchThread() {
    return Thread.currentThread() == thread;
  }

  /**
   * Queues {@code call}; never blocks. Ignored once {@link #stop} has run.
   *
   * @return whether it was queued
   */
  boolean execute(Runnable call) {
    synchronized (queue) {
      if (stopping) {
        log.debug("{}: a listener call after the end was dropped", owner);
        return false;
      }
      queue.add(call);
      queue.notifyAll();
      return true;
    }
  }

  /** Waits while more than {@link #HIGH_WATER} calls are queued (not on the dispatch thread). */
  void awaitRoom() throws InterruptedException {
    if (isDispatchThread()) {
      return;
    }
    synchronized (queue) {
      while (queue.size() > HIGH_WATER && !stopping) {
        queue.wait();
      }
    }
  }

  /**
   * Waits up to {@code wait} until every call queued before this one has run; at once on the
   * dispatch thread (which cannot wait for itself).
   */
  void drain(Duration wait) {
    if (isDispatchThread()) {
      return;
    }
    CountDownLatch done = new CountDownLatch(1);
    if (!execute(done::countDown)) {
      return; // stopped: what was queued runs (or ran) anyway, and nothing more will
    }
    try {
      if (!done.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.debug("{}: the listener did not finish its calls within {}", owner, wait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs what is queued, then ends the thread; later calls are dropped. */
  void stop() {
    synchronized (queue) {
      stopping = true;
      queue.notifyAll();
    }
  }

  /**
   * Waits up to {@code wait} for the thread to end after {@link #stop} (at once on the dispatch
   * thread, which cannot wait for itself).
   */
  void awaitStopped(Duration wait) {
    if (isDispatchThread()) {
      return;
    }
    try {
      thread.join(Math.max(1, wait.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.debug("{}: the listener did not finish its calls within {}", owner, wait);
    }
  }

  private void run() {
    while (true) {
      Runnable next;
      synchronized (queue) {
        while (queue.isEmpty() && !stopping) {
          try {
            queue.wait();
          } catch (InterruptedException e) {
            // Only stop() ends this thread: what is queued must still run.
          }
        }
        if (queue.isEmpty()) {
          return; // stopping, and everything has run
        }
        next = queue.poll();
        if (queue.size() == HIGH_WATER) {
          queue.notifyAll(); // the reader may go on
        }
      }
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError) {
          throw e;
        }
        log.error("{}: a listener threw", owner, e);
      }
    }
  }
}
