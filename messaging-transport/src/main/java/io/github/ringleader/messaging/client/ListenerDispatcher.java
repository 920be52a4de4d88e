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
 *
 * <p><b>A listener that fails never stops the calls after it</b> (as in jnats and OkHttp, whose
 * own threads outlive a callback's failure): whatever it throws is reported once, naming the
 * listener's class and method, and the next call is made as usual. That includes {@link
 * StackOverflowError}, a bug of the listener that has unwound by the time it reaches here. Only
 * the errors after which the JVM itself may be unsound ({@link OutOfMemoryError}, {@link
 * InternalError}, ...) are rethrown, so that the thread's uncaught-exception handler sees them;
 * a new event thread of the same name takes over the queue first, so that later calls still run.
 */
final class ListenerDispatcher {
  private static final Logger log = LoggerFactory.getLogger(ListenerDispatcher.class);

  /** Calls that may wait before the reader stops reading. */
  static final int HIGH_WATER = 16_384;

  /** Where a listener's failure is reported: the log, or a test's recorder. */
  interface FailureReport {
    void listenerFailed(String owner, String listener, Throwable failure, boolean rethrown);
  }

  private static final FailureReport LOG = (owner, listener, failure, rethrown) -> log.error(
      rethrown
          ? "{}: {} threw; rethrown, and a new event thread takes over the calls after it"
          : "{}: {} threw; the event thread goes on with the calls after it",
      owner,
      listener,
      failure);

  /** A listener call, with whom it calls, for the report if it throws. */
  private record ListenerCall(Class<?> listener, String method, Runnable body) implements Runnable {
    @Override
    public void run() {
      body.run();
    }

    @Override
    public String toString() {
      return "listener " + listener.getName() + "." + method;
    }
  }

  private final String owner;
  private final FailureReport failures;
  /** The event thread; replaced after a listener's fatal error (see the class comment). */
  private volatile Thread thread;

  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private boolean stopping;

  ListenerDispatcher(String owner) {
    this(owner, LOG);
  }

  ListenerDispatcher(String owner, FailureReport failures) {
    this.owner = owner;
    this.failures = failures;
    this.thread = startThread();
  }

  private Thread startThread() {
    Thread started = new Thread(this::run, "ringleader-client-events-" + owner);
    started.setDaemon(true);
    started.start();
    return started;
  }

  /** The thread every call runs on (another one after a listener's fatal error). */
  Thread thread() {
    return thread;
  }

  boolean isDispatchThread() {
    return Thread.currentThread() == thread;
  }

  /**
   * Queues a call of {@code listener}'s {@code method} (named if it throws); never blocks.
   * Ignored once {@link #stop} has run.
   *
   * @return whether it was queued
   */
  boolean execute(Object listener, String method, Runnable call) {
    return execute(new ListenerCall(listener.getClass(), method, call));
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

  /**
   * Queues a last call of {@code listener}'s {@code method} and {@link #stop}s, in one step: no
   * call handed over by another thread at the same moment can come after it.
   *
   * @return whether it was queued (false: stopped already)
   */
  boolean executeLast(Object listener, String method, Runnable call) {
    synchronized (queue) {
      boolean queued = execute(listener, method, call);
      stop();
      return queued;
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
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      Thread joined;
      do {
        joined = thread;
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        joined.join(Math.max(1, left));
      } while (joined != thread && deadline - System.nanoTime() > 0); // replaced meanwhile
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      log.debug("{}: the listener did not finish its calls within {}", owner, wait);
    }
  }

  private static String describe(Runnable call) {
    return call instanceof ListenerCall ? call.toString() : "a call of the client (" + call + ")";
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
      } catch (Throwable e) { // a listener's failure, whatever it is: see the class comment
        boolean fatal = e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
        failures.listenerFailed(owner, describe(next), e, fatal);
        if (fatal) {
          thread = startThread(); // this one ends with the error; the calls after it go on there
          throw e;
        }
      }
    }
  }
}
