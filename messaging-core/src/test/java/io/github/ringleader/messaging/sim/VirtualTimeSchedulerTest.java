package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.loop.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The virtual clock and the per-node loops on it. */
class VirtualTimeSchedulerTest {

  private static final long MS = 1_000_000L;

  private final VirtualTimeScheduler scheduler = new VirtualTimeScheduler();
  private final List<String> ran = new ArrayList<>();

  private Runnable record(String name) {
    return () -> ran.add(name + "@" + scheduler.nanoTime() / MS);
  }

  // ------------------------------------------------------------------ order and time

  @Test
  void eventsRunInTimeOrderAndEventsDueTogetherInTheOrderTheyWereScheduled() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    scheduler.schedule(Duration.ofMillis(30), record("a"));
    loop.schedule(10 * MS, record("b"));
    scheduler.schedule(Duration.ofMillis(10), record("c"));
    loop.schedule(20 * MS, record("d"));
    loop.schedule(10 * MS, record("e"));

    while (scheduler.step()) {
      // run everything
    }

    assertThat(ran).containsExactly("b@10", "c@10", "e@10", "d@20", "a@30");
    assertThat(scheduler.eventsRun()).isEqualTo(5);
  }

  @Test
  void taskExecutedFromAnEventRunsAfterTheEventsAlreadyDueAtThatMoment() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    loop.schedule(10 * MS, () -> {
      ran.add("first");
      loop.execute(record("spawned"));
    });
    loop.schedule(10 * MS, record("second"));

    scheduler.runFor(Duration.ofMillis(10));

    assertThat(ran).containsExactly("first", "second@10", "spawned@10");
  }

  @Test
  void negativeDelayRunsAsSoonAsPossibleNotInThePast() {
    scheduler.runFor(Duration.ofMillis(5));
    VirtualEventLoop loop = scheduler.newLoop("node");

    loop.schedule(-3 * MS, record("late"));
    scheduler.schedule(Duration.ofMillis(-3), record("later"));
    scheduler.step();
    scheduler.step();

    assertThat(ran).containsExactly("late@5", "later@5");
  }

  @Test
  void stepWithNothingScheduledReportsFalseAndLeavesTheClock() {
    assertThat(scheduler.step()).isFalse();
    assertThat(scheduler.nanoTime()).isZero();
  }

  @Test
  void wallClockStartsAtTheFixedEpochAndMovesWithVirtualTime() {
    scheduler.runFor(Duration.ofMillis(1_500));

    assertThat(scheduler.epochMillis())
        .isEqualTo(VirtualTimeScheduler.DEFAULT_EPOCH_MILLIS + 1_500);
    assertThat(scheduler.elapsed()).isEqualTo(Duration.ofMillis(1_500));
    assertThat(new VirtualTimeScheduler(42).epochMillis()).isEqualTo(42);
  }

  @Test
  void loopReadsTheSharedVirtualClockAndAlwaysCountsAsItsOwnThread() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    scheduler.runFor(Duration.ofMillis(7));

    assertThat(loop.nanoTime()).isEqualTo(7 * MS);
    assertThat(loop.epochMillis()).isEqualTo(scheduler.epochMillis());
    assertThat(loop.inEventLoop()).isTrue();
  }

  // ------------------------------------------------------------------ runFor

  @Test
  void runForAdvancesTheClockToItsEndEvenWithNoEvents() {
    scheduler.runFor(Duration.ofSeconds(3));

    assertThat(scheduler.nanoTime()).isEqualTo(3_000 * MS);
    assertThat(scheduler.eventsRun()).isZero();
  }

  @Test
  void runForRunsEventsDueUpToAndIncludingItsEndAndNoLater() {
    scheduler.schedule(Duration.ofMillis(10), record("inside"));
    scheduler.schedule(Duration.ofMillis(20), record("atTheEnd"));
    scheduler.schedule(Duration.ofMillis(21), record("after"));

    scheduler.runFor(Duration.ofMillis(20));

    assertThat(ran).containsExactly("inside@10", "atTheEnd@20");
    assertThat(scheduler.nanoTime()).isEqualTo(20 * MS);

    scheduler.runFor(Duration.ofMillis(1));
    assertThat(ran).containsExactly("inside@10", "atTheEnd@20", "after@21");
  }

  @Test
  void runForIsRelativeToTheCurrentTime() {
    scheduler.runFor(Duration.ofMillis(100));
    scheduler.schedule(Duration.ofMillis(50), record("x"));

    scheduler.runFor(Duration.ofMillis(50));

    assertThat(ran).containsExactly("x@150");
    assertThat(scheduler.nanoTime()).isEqualTo(150 * MS);
  }

  /**
   * "Runs every event due within {@code duration}": a cancelled event inside the window must not
   * make runFor run a live event that lies beyond it. (Nodes cancel a wake-up each time an earlier
   * deadline appears, so cancelled events are everywhere in a simulation.)
   */
  @Test
  void runForDoesNotRunAnEventBeyondItsEndWhenACancelledEventPrecedesIt() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    loop.schedule(10 * MS, record("cancelled")).cancel();
    scheduler.schedule(Duration.ofMillis(100), record("beyond"));

    scheduler.runFor(Duration.ofMillis(50));

    assertThat(ran).isEmpty();
    assertThat(scheduler.nanoTime()).isEqualTo(50 * MS);
  }

  // ------------------------------------------------------------------ runUntil

  @Test
  void runUntilStopsAsSoonAsTheConditionHolds() {
    for (int i = 1; i <= 5; i++) {
      scheduler.schedule(Duration.ofMillis(10 * i), record("e" + i));
    }

    boolean met = scheduler.runUntil(() -> ran.size() == 2, Duration.ofSeconds(1));

    assertThat(met).isTrue();
    assertThat(ran).containsExactly("e1@10", "e2@20");
    assertThat(scheduler.nanoTime()).isEqualTo(20 * MS);
  }

  @Test
  void runUntilRunsNothingWhenTheConditionAlreadyHolds() {
    scheduler.schedule(Duration.ofMillis(1), record("e"));

    assertThat(scheduler.runUntil(() -> true, Duration.ofSeconds(1))).isTrue();
    assertThat(ran).isEmpty();
    assertThat(scheduler.nanoTime()).isZero();
  }

  @Test
  void runUntilReportsFalseAtTheLimitWithTheClockAtTheLimit() {
    scheduler.schedule(Duration.ofMillis(10), record("inside"));
    scheduler.schedule(Duration.ofMillis(200), record("beyond"));

    boolean met = scheduler.runUntil(() -> ran.size() == 2, Duration.ofMillis(100));

    assertThat(met).isFalse();
    assertThat(ran).containsExactly("inside@10");
    assertThat(scheduler.nanoTime()).isEqualTo(100 * MS);
  }

  /** The same with a crashed node's event: the limit is a limit, not a hint. */
  @Test
  void runUntilDoesNotRunPastItsLimitWhenACrashedNodesEventPrecedesTheNextOne() {
    VirtualEventLoop crashed = scheduler.newLoop("crashed");
    crashed.schedule(10 * MS, record("dropped"));
    crashed.close();
    scheduler.schedule(Duration.ofMillis(100), record("beyond"));

    boolean met = scheduler.runUntil(() -> !ran.isEmpty(), Duration.ofMillis(50));

    assertThat(met).as("condition met within 50 ms").isFalse();
    assertThat(ran).isEmpty();
    assertThat(scheduler.nanoTime()).isEqualTo(50 * MS);
  }

  @Test
  void runUntilWithNoEventsReportsFalseAndMovesTheClockToTheLimit() {
    assertThat(scheduler.runUntil(() -> false, Duration.ofMillis(250))).isFalse();
    assertThat(scheduler.nanoTime()).isEqualTo(250 * MS);
  }

  @Test
  void runUntilCountsAnEventExactlyAtTheLimit() {
    scheduler.schedule(Duration.ofMillis(100), record("atTheLimit"));

    assertThat(scheduler.runUntil(() -> !ran.isEmpty(), Duration.ofMillis(100))).isTrue();
  }

  // ------------------------------------------------------------------ closing and cancelling

  @Test
  void closedLoopsPendingEventsNeverRun() {
    VirtualEventLoop crashed = scheduler.newLoop("crashed");
    VirtualEventLoop alive = scheduler.newLoop("alive");
    crashed.execute(record("crashedNow"));
    crashed.schedule(10 * MS, record("crashedLater"));
    alive.schedule(10 * MS, record("alive"));

    crashed.close();
    scheduler.runFor(Duration.ofSeconds(1));

    assertThat(ran).containsExactly("alive@10");
    assertThat(crashed.isClosed()).isTrue();
    assertThat(scheduler.eventsRun()).isEqualTo(1);
  }

  @Test
  void closedLoopIgnoresNewTasks() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    loop.close();

    loop.execute(record("executed"));
    EventLoop.Cancellable handle = loop.schedule(MS, record("scheduled"));
    handle.cancel();
    scheduler.runFor(Duration.ofSeconds(1));

    assertThat(ran).isEmpty();
  }

  @Test
  void closingALoopTwiceIsHarmless() {
    VirtualEventLoop loop = scheduler.newLoop("node");

    loop.close();
    loop.close();

    assertThat(loop.isClosed()).isTrue();
  }

  @Test
  void cancelledTaskDoesNotRunAndOthersStillDo() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    EventLoop.Cancellable cancelled = loop.schedule(10 * MS, record("cancelled"));
    loop.schedule(10 * MS, record("kept"));

    cancelled.cancel();
    scheduler.runFor(Duration.ofMillis(50));

    assertThat(ran).containsExactly("kept@10");
    assertThat(scheduler.eventsRun()).isEqualTo(1);
  }

  @Test
  void cancellingATaskThatAlreadyRanDoesNothing() {
    VirtualEventLoop loop = scheduler.newLoop("node");
    EventLoop.Cancellable handle = loop.schedule(MS, record("ran"));
    scheduler.runFor(Duration.ofMillis(5));

    handle.cancel();
    scheduler.runFor(Duration.ofMillis(5));

    assertThat(ran).containsExactly("ran@1");
  }

  // ------------------------------------------------------------------ checks

  @Test
  void afterEachEventChecksRunAfterEveryEventAndSeeItsEffects() {
    List<String> seen = new ArrayList<>();
    scheduler.afterEachEvent(() -> seen.add("check after " + ran.size()));
    scheduler.schedule(Duration.ofMillis(1), record("a"));
    scheduler.schedule(Duration.ofMillis(2), record("b"));
    scheduler.schedule(Duration.ofMillis(3), record("c"));

    scheduler.runFor(Duration.ofMillis(10));

    assertThat(seen).containsExactly("check after 1", "check after 2", "check after 3");
  }

  @Test
  void checksDoNotRunForCancelledOrDroppedEvents() {
    List<String> seen = new ArrayList<>();
    scheduler.afterEachEvent(() -> seen.add("check"));
    VirtualEventLoop loop = scheduler.newLoop("node");
    loop.schedule(MS, record("cancelled")).cancel();
    VirtualEventLoop crashed = scheduler.newLoop("crashed");
    crashed.schedule(MS, record("dropped"));
    crashed.close();

    scheduler.runFor(Duration.ofMillis(10));

    assertThat(seen).isEmpty();
  }

  @Test
  void failingCheckStopsTheRunRightAfterTheEventThatBrokeIt() {
    scheduler.afterEachEvent(() -> {
      if (ran.size() == 2) {
        throw new IllegalStateException("invariant broken");
      }
    });
    for (int i = 1; i <= 4; i++) {
      scheduler.schedule(Duration.ofMillis(i), record("e" + i));
    }

    assertThatThrownBy(() -> scheduler.runFor(Duration.ofMillis(10)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("invariant broken");
    assertThat(ran).containsExactly("e1@1", "e2@2");
    assertThat(scheduler.nanoTime()).isEqualTo(2 * MS);
  }
}
