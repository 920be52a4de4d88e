package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.membership.Membership;
import io.github.ringleader.messaging.protocol.Heartbeat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Notices members whose heartbeats announce other timings than this node's — almost always a
 * server started with another {@code --heartbeat} or {@code --missed} than the rest — and words
 * one warning per member and change of its timings. Pure: the node logs what it returns.
 *
 * <p>It remembers the timings last seen of at most {@code maxRemembered} members (the ones heard
 * from longest ago are forgotten first), so no input grows it without bound.
 */
final class TimingsCheck {
  private final long ownIntervalMillis;
  private final int ownMissed;
  private final long ownFailAfterNanos;
  private final int maxRemembered;
  private final LinkedHashMap<NodeId, Long> seen;

  TimingsCheck(Duration ownInterval, int ownMissed, int maxRemembered) {
    this.ownIntervalMillis = announcedMillis(ownInterval);
    this.ownMissed = ownMissed;
    this.ownFailAfterNanos = ownInterval.multipliedBy(ownMissed).toNanos();
    this.maxRemembered = maxRemembered;
    this.seen = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<NodeId, Long> eldest) {
        return size() > TimingsCheck.this.maxRemembered;
      }
    };
  }

  /** How a heartbeat announces {@code interval}: whole milliseconds, rounded up, at least 1. */
  static int announcedMillis(Duration interval) {
    long millis = interval.toMillis();
    if (!interval.minusMillis(millis).isZero()) {
      millis++;
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
  }

  /**
   * Takes a heartbeat from {@code from}, a live member; returns the warning to log if its timings
   * differ from this node's and from what it announced before, else {@code null}.
   */
  @Nullable
  String onHeartbeat(NodeId from, Heartbeat heartbeat) {
    if (!heartbeat.saysTimings()) {
      return null;
    }
    long timings = ((long) heartbeat.intervalMillis() << 16) | heartbeat.missedHeartbeats();
    Long before = seen.put(from, timings);
    if ((before != null && before == timings)
        || (heartbeat.intervalMillis() == ownIntervalMillis
            && heartbeat.missedHeartbeats() == ownMissed)) {
      return null;
    }
    return warning(from, heartbeat);
  }

  private String warning(NodeId from, Heartbeat heartbeat) {
    Duration theirs = Duration.ofMillis(heartbeat.intervalMillis());
    long judgedNanos = Membership.memberFailAfterNanos(heartbeat, ownFailAfterNanos);
    Duration asked = theirs.multipliedBy(heartbeat.missedHeartbeats());
    String consequence = judgedNanos < asked.toNanos()
        ? "; it asks to be failed only after "
            + human(asked)
            + " of silence, more than this server waits for any member ("
            + human(Duration.ofNanos(judgedNanos))
            + ", "
            + Membership.MAX_TIMEOUT_FACTOR
            + " × its own failure timeout), so "
            + from
            + " will be seen to fail and rejoin"
        : judgedNanos > asked.toNanos()
            ? "; until then this server fails "
                + from
                + " after "
                + human(Duration.ofNanos(judgedNanos))
                + " of silence, its own failure timeout (never sooner), not the "
                + human(asked)
                + " it asks for"
            : "; until then this server fails " + from + " after " + human(asked)
                + " of silence, as it asks";
    return from
        + " sends heartbeats every "
        + human(theirs)
        + " (× "
        + heartbeat.missedHeartbeats()
        + " missed), this server every "
        + human(Duration.ofMillis(ownIntervalMillis))
        + " (× "
        + ownMissed
        + "): start every server with the same heartbeat interval and missed count (--heartbeat,"
        + " --missed)"
        + consequence;
  }

  private static String human(Duration duration) {
    return NodeConfig.format(duration);
  }
}
