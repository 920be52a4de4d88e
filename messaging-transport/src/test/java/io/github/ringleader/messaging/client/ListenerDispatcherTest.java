package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The event thread of a client: order, one thread, a listener that throws (even an error), back-pressure.
 */
class ListenerDispatcherTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void callsFromManyThreadsRunOneAtATimeOnTheOneThreadInTheOrderHandedOver() throws Exception {
    ListenerDispatcher dispatcher = new ListenerDispatcher("alice");
    List<Integer> order = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 1000; i++) {
      int n = i;
      dispatcher.execute(() -> {
        order.add(n);
        threads.add(Thread.currentThread());
      });
    }
    dispatcher.stop();
    dispatcher.awaitStopped(WAIT);

    assertThat(order).hasSize(1000).isSorted();
    assertThat(threads).allSatisfy(t -> assertThat(t).isSameAs(dispatcher.thread()));
    assertThat(dispatcher.thread().getName()).isEqualTo("ringleader-client-events-alice");
    assertThat(dispatcher.thread().isAlive()).as("ended after stop").isFalse();
  }

  @Test
  void aCallThatThrowsIsLoggedAndTheNextOnesStillRun() throws Exception {
    ListenerDispatcher dispatcher = new ListenerDispatcher("bob");
    CountDownLatch after = new CountDownLatch(1);
    dispatcher.execute(() -> {
      throw new IllegalStateException("a listener's bug");
    });
    dispatcher.execute(after::countDown);
    assertThat(after.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    dispatcher.stop();
  }

  @Test
  void drainWaitsForEveryCallHandedOverBeforeIt() {
    ListenerDispatcher dispatcher = new ListenerDispatcher("carol");
    AtomicBoolean ran = new AtomicBoolean();
    dispatcher.execute(() -> {
      sleep(50);
      ran.set(true);
    });
    dispatcher.drain(WAIT);
    assertThat(ran).isTrue();
    dispatcher.stop();
  }

  @Test
  void theReaderWaitsWhileTooManyCallsAreQueuedAndGoesOnOnceTheyRun() throws Exception {
    ListenerDispatcher dispatcher = new ListenerDispatcher("dave");
    CountDownLatch release = new CountDownLatch(1);
    dispatcher.execute(() -> {
      try {
        release.await(); // a slow listener
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    for (int i = 0; i <= ListenerDispatcher.HIGH_WATER; i++) {
      dispatcher.execute(() -> {});
    }
    CountDownLatch readerWent = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try {
        dispatcher.awaitRoom();
        readerWent.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    reader.start();
    assertThat(readerWent.await(200, TimeUnit.MILLISECONDS))
        .as("the reader waits while the listener holds up the queue")
        .isFalse();
    release.countDown();
    assertThat(readerWent.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .as("and goes on once the calls have run")
        .isTrue();
    dispatcher.stop();
    reader.join(WAIT.toMillis());
  }

  @Test
  void callsAfterStopAreDroppedAndDrainDoesNotWaitOnTheDispatchThreadItself() throws Exception {
    ListenerDispatcher dispatcher = new ListenerDispatcher("erin");
    CountDownLatch drained = new CountDownLatch(1);
    dispatcher.execute(() -> {
      dispatcher.drain(WAIT); // from a listener: cannot wait for itself, returns at once
      drained.countDown();
    });
    assertThat(drained.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    dispatcher.stop();
    dispatcher.awaitStopped(WAIT);
    AtomicBoolean ran = new AtomicBoolean();
    dispatcher.execute(() -> ran.set(true));
    assertThat(ran).isFalse();
  }

  @Test
  void aListenerThatOverflowsItsStackIsReportedOnceByClassAndTheThreadGoesOn() throws Exception {
    List<String> reports = new CopyOnWriteArrayList<>();
    ListenerDispatcher dispatcher = new ListenerDispatcher(
        "frank",
        (owner, listener, failure, rethrown) -> reports.add(
            owner + " " + listener + " " + failure.getClass().getSimpleName() + " " + rethrown));
    Thread before = dispatcher.thread();
    OverflowingListener listener = new OverflowingListener();
    dispatcher.execute(listener, "onMessage", listener::onMessage);
    CountDownLatch after = new CountDownLatch(1);
    dispatcher.execute(after::countDown);

    assertThat(after.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
        .as("the call after the overflow still runs")
        .isTrue();
    assertThat(dispatcher.thread()).as("on the same thread, which lived on").isSameAs(before);
    assertThat(before.isAlive()).isTrue();
    assertThat(reports)
        .containsExactly("frank listener " + OverflowingListener.class.getName()
            + ".onMessage StackOverflowError false");
    dispatcher.stop();
    dispatcher.awaitStopped(WAIT);
  }

  @Test
  void aFatalErrorIsRethrownAndANewEventThreadRunsTheCallsAfterIt() throws Exception {
    List<String> reports = new CopyOnWriteArrayList<>();
    ListenerDispatcher dispatcher = new ListenerDispatcher(
        "grace", (owner, listener, failure, rethrown) -> reports.add(listener + " " + rethrown));
    Thread before = dispatcher.thread();
    List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    before.setUncaughtExceptionHandler((thread, e) -> uncaught.add(e));
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    dispatcher.execute(
        () -> { // holds the thread until the handler is in place
          inFirst.countDown();
          awaitQuietly(release);
        });
    dispatcher.execute(this, "onMessage", () -> {
      throw new OutOfMemoryError("a listener's simulated OOM");
    });
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    CountDownLatch after = new CountDownLatch(1);
    dispatcher.execute(() -> {
      ranOn.add(Thread.currentThread());
      after.countDown();
    });
    assertThat(inFirst.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    release.countDown();

    assertThat(after.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    before.join(WAIT.toMillis());
    assertThat(uncaught).singleElement().isInstanceOf(OutOfMemoryError.class);
    assertThat(ranOn).singleElement().isNotSameAs(before).isSameAs(dispatcher.thread());
    assertThat(dispatcher.thread().getName()).isEqualTo("ringleader-client-events-grace");
    assertThat(reports).containsExactly("listener " + getClass().getName() + ".onMessage true");
    dispatcher.stop();
    dispatcher.awaitStopped(WAIT);
    assertThat(dispatcher.thread().isAlive()).isFalse();
  }

  @Test
  void theLastCallIsLastEvenWithCallsHandedOverAtTheSameMomentFromOtherThreads() throws Exception {
    for (int round = 0; round < 50; round++) { // bounded: a race, tried a few times
      ListenerDispatcher dispatcher = new ListenerDispatcher("heidi");
      List<String> calls = new CopyOnWriteArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      Thread other = new Thread(() -> {
        awaitQuietly(go);
        for (int i = 0; i < 100; i++) {
          dispatcher.execute(this, "onConnectionLost", () -> calls.add("other"));
        }
      });
      other.start();
      go.countDown();
      dispatcher.executeLast(this, "onClosed", () -> calls.add("last"));
      other.join(WAIT.toMillis());
      dispatcher.awaitStopped(WAIT);

      assertThat(calls).endsWith("last").containsOnlyOnce("last");
    }
  }

  /** A listener with a bug: it recurses until the stack overflows. */
  private static final class OverflowingListener {
    void onMessage() {
      depth(0);
    }

    private static int depth(int n) {
      return n < 0 ? 0 : depth(n + 1) + 1; // n < 0 never: it overflows first
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
