package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.loop.ThreadEventLoop;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A node on the production event loop keeps heartbeating on time while its ordinary queue holds
 * seconds of work: the wake-up that sends heartbeats and judges silence must not wait for the
 * backlog (as it did when only the settling after the backlog set the next one).
 */
class HeartbeatUnderBacklogTest {
  private static final long INTERVAL_MILLIS = 20;
  private static final int BACKLOG_TASKS = 3_000; // 1 ms each: 3 s of queued work

  /** Records when each heartbeat leaves; delivers nothing. */
  private static final class RecordingTransport implements ClusterTransport {
    final List<Long> heartbeatNanos = new CopyOnWriteArrayList<>();

    @Override
    public void start(Receiver receiver) {}

    @Override
    public void send(NodeId to, OutboundFrame frame) {}

    @Override
    public void sendToAll(OutboundFrame frame) {
      if (frame.type().equals("Heartbeat")) {
        heartbeatNanos.add(System.nanoTime());
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void heartbeatsKeepTheirIntervalWhileSecondsOfOrdinaryWorkAreQueued() throws Exception {
    RecordingTransport transport = new RecordingTransport();
    ThreadEventLoop loop = new ThreadEventLoop("backlog-test");
    MessagingNode node = MessagingNode.builder()
        .nodeId("server1")
        .transport(transport)
        .eventLoop(loop)
        .heartbeatInterval(Duration.ofMillis(INTERVAL_MILLIS))
        .discoveryWindow(Duration.ZERO)
        .build();
    try {
      node.start().get(5, TimeUnit.SECONDS);
      long start = System.nanoTime();
      for (int i = 0; i < BACKLOG_TASKS; i++) {
        loop.execute(() -> busy(1_000_000)); // as a flood of client traffic would
      }
      long end = start + TimeUnit.MILLISECONDS.toNanos(BACKLOG_TASKS) / 2; // within the backlog
      while (System.nanoTime() < end) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // bounded: 1.5 s in all
      }
      List<Long> during =
          transport.heartbeatNanos.stream().filter(t -> t > start && t < end).toList();
      long longestGap = 0;
      for (int i = 1; i < during.size(); i++) {
        longestGap = Math.max(longestGap, during.get(i) - during.get(i - 1));
      }
      assertThat(during.size())
          .as("heartbeats in 1.5 s of backlog (interval %d ms)", INTERVAL_MILLIS)
          .isGreaterThanOrEqualTo(5);
      assertThat(TimeUnit.NANOSECONDS.toMillis(longestGap))
          .as("longest gap between heartbeats while the backlog lasted")
          .isLessThan(500);
    } finally {
      node.close();
      loop.close();
    }
  }

  private static void busy(long nanos) {
    long until = System.nanoTime() + nanos;
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }
}
