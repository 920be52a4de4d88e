package io.github.ringleader.messaging.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadEventLoopTest {
  private final ThreadEventLoop loop = new ThreadEventLoop("test-loop");

  @AfterEach
  void close() throws InterruptedException {
    loop.close();
    assertThat(loop.awaitTermination(5_000)).isTrue();
  }

  private static void await(CountDownLatch latch) throws InterruptedException {
    assertThat(latch.await(10, TimeUnit.SECONDS))
        .as("the loop ran it within 10 s")
        .isTrue();
  }

  @Test
  void tasksRunOnTheLoopThreadInTheOrderTheyWereSubmitted() throws InterruptedException {
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean onLoop = new AtomicBoolean(true);
    CountDownLatch done = new CountDownLatch(1);
    for (int i = 0; i < 1_000; i++) {
      int n = i;
      loop.execute(() -> {
        order.add(n);
        onLoop.compareAndSet(true, loop.inEventLoop());
      });
    }
    loop.execute(done::countDown);
    await(done);
    assertThat(order).hasSize(1_000).isSorted();
    assertThat(onLoop).isTrue();
    assertThat(loop.inEventLoop()).isFalse();
  }

  @Test
  void urgentTasksAndDueTimersOvertakeAQueueOfOrdinaryTasks() throws InterruptedException {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    loop.execute(() -> {
      try {
        release.await(10, TimeUnit.SECONDS); // holds the loop while the queue fills
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    int ordinary = 10 * ThreadEventLoop.TASKS_PER_TURN;
    for (int i = 0; i < ordinary; i++) {
      int n = i;
      loop.execute(() -> order.add("task " + n));
    }
    loop.execute(done::countDown);
    loop.executeUrgent(() -> order.add("heartbeat"));
    loop.schedule(0, () -> order.add("timer"));
    release.countDown();
    await(done);

    assertThat(order).hasSize(ordinary + 2);
    assertThat(order.indexOf("heartbeat"))
        .as("waits behind at most one turn of ordinary tasks")
        .isLessThanOrEqualTo(ThreadEventLoop.TASKS_PER_TURN);
    assertThat(order.indexOf("timer")).isLessThanOrEqualTo(ThreadEventLoop.TASKS_PER_TURN + 1);
    assertThat(order.stream().filter(s -> s.startsWith("task")).toList())
        .as("ordinary tasks keep their order")
        .isSortedAccordingTo((a, b) -> Integer.compare(number(a), number(b)));
  }

  private static int number(String task) {
    return Integer.parseInt(task.substring("task ".length()));
  }

  @Test
  void timersRunInDeadlineOrderNotBeforeTheirTimeAndCancelledOnesNever()
      throws InterruptedException {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    long[] ranAfter = new long[1];
    loop.schedule(TimeUnit.MILLISECONDS.toNanos(60), () -> {
      order.add("60 ms");
      ranAfter[0] = System.nanoTime() - start;
      done.countDown();
    });
    loop.schedule(TimeUnit.MILLISECONDS.toNanos(20), () -> order.add("20 ms"));
    EventLoop.Cancellable cancelled =
        loop.schedule(TimeUnit.MILLISECONDS.toNanos(40), () -> order.add("cancelled"));
    cancelled.cancel();
    await(done);
    assertThat(order).containsExactly("20 ms", "60 ms");
    assertThat(ranAfter[0]).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(60));
  }

  @Test
  void timersScheduledFromTheLoopItselfRunToo() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    loop.execute(() -> loop.schedule(TimeUnit.MILLISECONDS.toNanos(5), done::countDown));
    await(done);
  }

  @Test
  void aTaskThatThrowsIsLoggedAndTheLoopCarriesOn() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    loop.execute(() -> {
      throw new IllegalStateException("boom (expected by the test)");
    });
    loop.execute(done::countDown);
    await(done);
  }

  @Test
  void afterCloseNothingMoreRuns() throws InterruptedException {
    AtomicInteger ran = new AtomicInteger();
    CountDownLatch closed = new CountDownLatch(1);
    loop.execute(() -> {
      loop.close(); // from the loop itself, as a node closing its own loop does
      closed.countDown();
    });
    loop.execute(ran::incrementAndGet);
    await(closed);
    assertThat(loop.awaitTermination(5_000)).isTrue();
    loop.execute(ran::incrementAndGet);
    loop.executeUrgent(ran::incrementAndGet);
    loop.schedule(0, ran::incrementAndGet);
    assertThat(ran).hasValue(0);
  }
}
