package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The event thread of a client: order, one thread, a listener that throws, back-pressure. */
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

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
