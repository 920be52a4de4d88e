package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The membership and leadership changes one node saw, newest last, the last {@link #CAPACITY}
 * only: what {@code /status} shows as {@code events}. A {@link NodeListener}: it records on the
 * node's event loop (quickly, under a lock held for a list append) and is read from any thread.
 */
final class NodeTimeline implements NodeListener {
  /** Events kept, at most. */
  static final int CAPACITY = 200;

  /**
   * One change.
   *
   * @param time when this node saw it, in epoch milliseconds
   * @param kind {@code joined}, {@code failed}, {@code left}, {@code election} (the node lost its
   *     leader: an election is under way) or {@code leader} (a leader was elected)
   * @param member the server concerned: the one that joined, failed or left, or the new leader;
   *     null for an election
   * @param term the election term as this node knew it then
   * @param text a line for people
   */
  record Event(long time, String kind, @Nullable String member, long term, String text) {}

  private final LongSupplier epochMillis;
  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private long term;

  /**
   * @param epochMillis the wall clock
   */
  NodeTimeline(LongSupplier epochMillis) {
    this.epochMillis = epochMillis;
  }

  /** The events kept, oldest first. */
  synchronized List<Event> events() {
    return new ArrayList<>(events);
  }

  @Override
  public void onLeaderChanged(@Nullable NodeId leader, long term) {
    synchronized (this) {
      this.term = term;
    }
    if (leader == null) {
      add("election", null, term, "no leader: election under way (term " + term + ")");
    } else {
      add("leader", leader.value(), term, leader + " leads (term " + term + ")");
    }
  }

  @Override
  public void onMemberJoined(MemberInfo member) {
    add("joined", member.id().value(), currentTerm(), member.id() + " joined");
  }

  @Override
  public void onMemberFailed(MemberInfo member) {
    add(
        "failed",
        member.id().value(),
        currentTerm(),
        // No figure: each member is judged by the timeout it announces (at least this server's
        // own), which the listener is not told; the server's log line gives it.
        member.id() + " failed (silent for its failure timeout, or restarted)");
  }

  @Override
  public void onMemberLeft(MemberInfo member) {
    add("left", member.id().value(), currentTerm(), member.id() + " left");
  }

  private synchronized long currentTerm() {
    return term;
  }

  private synchronized void add(String kind, @Nullable String member, long term, String text) {
    events.addLast(new Event(epochMillis.getAsLong(), kind, member, term, text));
    while (events.size() > CAPACITY) {
      events.removeFirst();
    }
  }
}
