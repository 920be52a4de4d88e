package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.metrics.RateWindow;
import io.github.ringleader.messaging.routing.Router;
import io.github.ringleader.messaging.routing.RoutingCounters;
import io.github.ringleader.messaging.routing.Sequencer;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link MessagingNode} keeps for its {@link NodeMetrics} beyond the router's counters:
 * membership and leadership counts, the rate samples and the gauges that cost a walk.
 *
 * <p><b>Threads.</b> The {@code on…}, {@code started} and {@code maybeSample} methods are called
 * on the node's event loop only; {@link #snapshot} from any thread.
 */
final class NodeMetricsRecorder {
  /** How often the loop samples the rates and refreshes the slow gauges. */
  private static final long SAMPLE_NANOS = 1_000_000_000L;
  /** The window the rates look back over. */
  private static final long RATE_WINDOW_NANOS = 5_000_000_000L;

  private static final int RATE_SAMPLES = 8;

  private record SlowGauges(int heldSessions, Map<NodeId, Long> replicationLag) {}

  // ---- loop only
  private long nextSampleNanos = Long.MIN_VALUE;

  // ---- read from any thread
  private volatile long startedAtNanos = Long.MIN_VALUE;
  private volatile long electionsStarted;
  private volatile SlowGauges slowGauges = new SlowGauges(0, Map.of());
  private final AtomicLong leaderChanges = new AtomicLong();
  private final AtomicLong membersJoined = new AtomicLong();
  private final AtomicLong failuresDetected = new AtomicLong();
  private final AtomicLong membersLeft = new AtomicLong();
  private final RateWindow receivedRate = new RateWindow(RATE_WINDOW_NANOS, RATE_SAMPLES);
  private final RateWindow acceptedRate = new RateWindow(RATE_WINDOW_NANOS, RATE_SAMPLES);
  private final RateWindow deliveredRate = new RateWindow(RATE_WINDOW_NANOS, RATE_SAMPLES);

  void started(long nowNanos) {
    startedAtNanos = nowNanos;
  }

  void onElectionsStarted(long count) {
    electionsStarted = count;
  }

  void onLeaderChanged() {
    leaderChanges.incrementAndGet();
  }

  void onMemberJoined() {
    membersJoined.incrementAndGet();
  }

  void onMemberFailed() {
    failuresDetected.incrementAndGet();
  }

  void onMemberLeft() {
    membersLeft.incrementAndGet();
  }

  /** Samples the rates and refreshes the slow gauges, if a second has passed since the last time. */
  void maybeSample(long nowNanos, Router router, boolean leading) {
    if (nowNanos < nextSampleNanos) {
      return;
    }
    nextSampleNanos = nowNanos + SAMPLE_NANOS;
    RoutingCounters counters = router.counters();
    receivedRate.sample(nowNanos, counters.received());
    acceptedRate.sample(nowNanos, counters.accepted());
    deliveredRate.sample(nowNanos, counters.delivered());
    Sequencer sequencer = router.sequencer();
    slowGauges = new SlowGauges(
        router.heldSessions(), sequencer == null || !leading ? Map.of() : sequencer.deliveryLag());
  }

  /** Two counter maps in one (the keys of the two never overlap). */
  private static Map<String, Long> merged(Map<String, Long> first, Map<String, Long> second) {
    if (second.isEmpty()) {
      return first;
    }
    Map<String, Long> both = new java.util.TreeMap<>(first);
    both.putAll(second);
    return both;
  }

  /** The node's metrics now; safe from any thread. */
  NodeMetrics snapshot(
      ClusterView view,
      String cluster,
      RoutingCounters counters,
      long nowNanos,
      long foreignFrames,
      ClusterTransport transport,
      ClusterFrames frames,
      Map<String, Long> clientAuthFailures) {
    long received = counters.received();
    long accepted = counters.accepted();
    long delivered = counters.delivered();
    long since = startedAtNanos;
    SlowGauges slow = slowGauges;
    return new NodeMetrics(
        view.self(),
        cluster,
        view.state(),
        view.leader(),
        view.term(),
        view.members(),
        since == Long.MIN_VALUE ? 0 : Math.max(0, nowNanos - since),
        electionsStarted,
        leaderChanges.get(),
        membersJoined.get(),
        failuresDetected.get(),
        membersLeft.get(),
        view.member(view.self()).map(MemberInfo::clients).orElse(0),
        slow.heldSessions(),
        received,
        accepted,
        delivered,
        counters.entriesDelivered(),
        receivedRate.perSecond(nowNanos, received),
        acceptedRate.perSecond(nowNanos, accepted),
        deliveredRate.perSecond(nowNanos, delivered),
        counters.acceptLatency().snapshot(),
        slow.replicationLag(),
        counters.refusals(),
        foreignFrames,
        merged(frames.droppedFrames(), transport.droppedFrames()),
        merged(frames.authenticationFailures(), clientAuthFailures));
  }
}
