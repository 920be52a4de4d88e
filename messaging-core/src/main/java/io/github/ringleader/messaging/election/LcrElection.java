package io.github.ringleader.messaging.election;

import io.github.ringleader.messaging.membership.MemberView;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Election;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LeLann-Chang-Roberts leader election of one node, as a pure state machine: inputs are
 * messages, membership changes and the current time; outputs go to an {@link ElectionOutbox}.
 *
 * <p><b>The algorithm, as the usage guide describes it.</b> The ring is the live members sorted
 * by id (see {@link NodeId} for the order); a token goes to the next higher live id, and from the
 * highest to the lowest. A node that starts an election sends a token naming itself as the
 * candidate. A node that receives a token forwards it if the candidate is higher than itself,
 * substitutes its own id if the candidate is lower, and is elected when its own id comes back. The
 * winner announces itself to all. The highest live id wins.
 *
 * <p><b>Where it goes beyond the guide, and why.</b>
 *
 * <ul>
 *   <li><b>Terms.</b> Every election runs in a term, one higher than any the node has seen.
 *       Tokens, announcements and heartbeat claims of an older term are ignored, so a delayed or
 *       duplicated message from an old election cannot install an old leader.
 *   <li><b>Swallowing.</b> In one term a node forwards a candidate only if it is higher than every
 *       candidate it has already forwarded, so duplicated tokens die at the next hop, several
 *       concurrent initiators cost one lap of the winner's token, and every token crosses each
 *       node at most once per term.
 *   <li><b>Acknowledged hops and ring repair.</b> UDP loses packets, so each hop is acknowledged
 *       and sent again after {@code ackTimeout}; after {@code maxAttempts} sends the successor is
 *       skipped for the rest of the term and the token goes to the next live id. A successor that
 *       the failure detector drops is skipped at once.
 *   <li><b>Dead candidates.</b> A token whose candidate has failed cannot come home; a node whose
 *       failure detector reports the candidate it backed as gone starts a new term at once. (It
 *       does not judge candidates by its view when a token arrives: a server returning from a
 *       partition may send a token before its first heartbeat gets through.)
 *   <li><b>Timeouts.</b> A node that has taken part in an election and heard no winner within
 *       {@code electionTimeout}, or that has been without a leader that long, starts a new term.
 *   <li><b>Leader claims.</b> Heartbeats say which leader, in which term, their sender follows. A
 *       node that learns of a leader with a stronger claim — higher term, or the same term and a
 *       higher id — follows it; this is how a node that missed an announcement catches up and how
 *       two leaders that meet after a partition heals end up one. A node that outranks the leader
 *       it follows (a higher server joined or came back) starts an election, which it wins.
 * </ul>
 *
 * <p>None of this needs a quorum, so each connected group of servers elects its own leader while
 * a partition lasts, and the groups converge on one leader, the highest live id, once it heals.
 */
public final class LcrElection {
  private static final Logger log = LoggerFactory.getLogger(LcrElection.class);

  /** Bounds the tokens waiting for acknowledgement; a lap forwards each candidate once. */
  private static final int MAX_PENDING_TOKENS = 64;

  private static final class PendingToken {
    final NodeId to;
    final Election token;
    int attempts;
    long retryAtNanos;

    PendingToken(NodeId to, Election token, long retryAtNanos) {
      this.to = to;
      this.token = token;
      this.attempts = 1;
      this.retryAtNanos = retryAtNanos;
    }
  }

  private final NodeId self;
  private final MemberView members;
  private final ElectionOutbox outbox;
  private final ElectionTimings timings;

  private ElectionState state = ElectionState.LEADERLESS;
  private boolean active;
  /** The highest term this node has seen. */
  private long term;

  private boolean warnedTermExhausted;
  private @Nullable NodeId leader;
  /** When, without news, a LEADERLESS or ELECTING node starts a new election. */
  private long giveUpAtNanos = Long.MAX_VALUE;
  /** The highest candidate this node has forwarded in {@link #term}, or null. */
  private @Nullable NodeId maxForwarded;
  /** Successors that did not acknowledge a token in {@link #term}. */
  private final Set<NodeId> skipped = new HashSet<>();

  private final LinkedHashMap<Long, PendingToken> pending = new LinkedHashMap<>();
  private long nextMessageId;
  private int announcementsLeft;
  private long nextAnnouncementNanos = Long.MAX_VALUE;
  private long electionsStarted;

  public LcrElection(
      NodeId self, MemberView members, ElectionOutbox outbox, ElectionTimings timings) {
    this.self = self;
    this.members = members;
    this.outbox = outbox;
    this.timings = timings;
  }

  // ---------------------------------------------------------------- inputs

  /**
   * The node has finished discovery and takes part from now on. If it found no leader it starts
   * an election after {@code settleNanos}, which gives servers that started at the same moment time
   * to hear each other's first heartbeat and form one ring.
   */
  public void activate(long nowNanos, long settleNanos) {
    active = true;
    if (state == ElectionState.LEADERLESS) {
      giveUpAtNanos = nowNanos + settleNanos;
      if (settleNanos <= 0) {
        startElection(nowNanos, "started and found no leader");
      }
    }
    checkLeaderRank(nowNanos);
  }

  /** Stops taking part: no elections, tokens are no longer acknowledged. */
  public void deactivate() {
    active = false;
    pending.clear();
    giveUpAtNanos = Long.MAX_VALUE;
    announcementsLeft = 0;
    nextAnnouncementNanos = Long.MAX_VALUE;
  }

  /** Starts an election in a new term, with this node as the first candidate. */
  public void startElection(long nowNanos, String reason) {
    term = nextTerm();
    electionsStarted++;
    enterElecting(nowNanos, reason);
    forward(self, nowNanos);
  }

  public void onElection(NodeId from, Election token, long nowNanos) {
    if (!active) {
      // Not yet part of the ring: leave the token unacknowledged so the sender skips us.
      return;
    }
    outbox.send(from, new ElectionAck(token.term(), token.messageId()));
    if (token.term() < term) {
      return;
    }
    if (token.term() > term) {
      term = token.term();
      enterElecting(nowNanos, "joined the election of term " + term + " (token from " + from + ")");
    } else if (state == ElectionState.FOLLOWING || state == ElectionState.LEADING) {
      return; // this term is decided; a late or duplicated token
    } else if (state == ElectionState.LEADERLESS) {
      enterElecting(nowNanos, "joined the election of term " + term + " (token from " + from + ")");
    }
    NodeId candidate = token.candidate();
    if (candidate.equals(self)) {
      if (self.equals(maxForwarded)) {
        becomeLeader(nowNanos, "own id came back around the ring");
      }
      return;
    }
    NodeId best = candidate.compareTo(self) > 0 ? candidate : self;
    NodeId forwarded = maxForwarded;
    if (forwarded != null && best.compareTo(forwarded) <= 0) {
      return;
    }
    forward(best, nowNanos);
  }

  public void onElectionAck(NodeId from, ElectionAck ack) {
    if (ack.term() != term) {
      return;
    }
    PendingToken waiting = pending.get(ack.messageId());
    if (waiting != null && waiting.to.equals(from)) {
      pending.remove(ack.messageId());
    }
  }

  public void onAnnouncement(NodeId from, LeaderAnnouncement announcement, long nowNanos) {
    onLeaderClaim(from, announcement.term(), nowNanos);
  }

  public void onHeartbeat(NodeId from, Heartbeat heartbeat, long nowNanos) {
    if (heartbeat.senderLeads(from)) {
      onLeaderClaim(from, heartbeat.term(), nowNanos);
    } else if (state == ElectionState.FOLLOWING
        && from.equals(leader)
        && heartbeat.term() >= term) {
      becomeLeaderless(nowNanos, "leader " + from + " no longer leads");
    }
  }

  /**
   * A member left cleanly (it said so, and the membership no longer lists it). If it was the
   * leader and this node is now the highest live member — the node the election would choose —
   * this node takes over at once, in the next term, without an election round: the leader's
   * clean stop hands leadership to its successor. Otherwise as {@link #onMemberGone}.
   */
  public void onMemberLeft(NodeId id, long nowNanos) {
    if (active
        && state == ElectionState.FOLLOWING
        && id.equals(leader)
        && outranksEveryLiveMember()) {
      pending.values().removeIf(waiting -> waiting.to.equals(id));
      term = nextTerm();
      becomeLeader(nowNanos, "took over from " + id + ", which left");
      return;
    }
    onMemberGone(id, nowNanos);
  }

  private boolean outranksEveryLiveMember() {
    for (NodeId other : members.liveIds()) {
      if (other.compareTo(self) > 0) {
        return false;
      }
    }
    return true;
  }

  /** A member failed, left, or was replaced by a new life of itself. */
  public void onMemberGone(NodeId id, long nowNanos) {
    List<PendingToken> stranded = new ArrayList<>();
    for (Iterator<PendingToken> it = pending.values().iterator(); it.hasNext(); ) {
      PendingToken waiting = it.next();
      if (waiting.to.equals(id)) {
        it.remove();
        stranded.add(waiting);
      }
    }
    for (PendingToken waiting : stranded) {
      skipped.add(id);
      sendToken(waiting.token.candidate(), nowNanos);
    }
    if (!active) {
      if (state == ElectionState.FOLLOWING && id.equals(leader)) {
        // Learned during discovery and gone before this node took part: forget it, so that
        // activate() elects instead of following a server nobody can hear.
        leader = null;
        transition(ElectionState.LEADERLESS, "leader " + id + " is gone");
      }
      return;
    }
    if (state == ElectionState.FOLLOWING && id.equals(leader)) {
      startElection(nowNanos, "leader " + id + " is gone");
    } else if (state == ElectionState.ELECTING && id.equals(maxForwarded)) {
      // The candidate this node backed can no longer come home; waiting for the election timeout
      // would only delay the new term.
      startElection(nowNanos, "candidate " + id + " is gone");
    }
  }

  /** Retransmits, skips silent successors, repeats announcements and applies the timeouts. */
  public void onTick(long nowNanos) {
    if (!active) {
      return;
    }
    List<PendingToken> due = new ArrayList<>();
    for (PendingToken waiting : pending.values()) {
      if (waiting.retryAtNanos <= nowNanos) {
        due.add(waiting);
      }
    }
    for (PendingToken waiting : due) {
      if (pending.get(waiting.token.messageId()) != waiting) {
        continue; // an earlier step of this loop ended the election
      }
      if (waiting.attempts >= timings.maxAttempts()) {
        pending.remove(waiting.token.messageId());
        skipped.add(waiting.to);
        log.debug(
            "[{}] {} did not acknowledge the term {} token; skipping it", self, waiting.to, term);
        sendToken(waiting.token.candidate(), nowNanos);
      } else {
        waiting.attempts++;
        waiting.retryAtNanos = nowNanos + timings.ackTimeoutNanos();
        outbox.send(waiting.to, waiting.token);
      }
    }
    if (state == ElectionState.LEADING
        && announcementsLeft > 0
        && nextAnnouncementNanos <= nowNanos) {
      announcementsLeft--;
      nextAnnouncementNanos =
          announcementsLeft > 0 ? nowNanos + timings.ackTimeoutNanos() : Long.MAX_VALUE;
      outbox.sendToAll(new LeaderAnnouncement(term));
    }
    if (giveUpAtNanos <= nowNanos) {
      if (state == ElectionState.ELECTING) {
        startElection(nowNanos, "the election of term " + term + " produced no leader in time");
      } else if (state == ElectionState.LEADERLESS) {
        startElection(nowNanos, "no leader known");
      }
    }
  }

  /** The earliest time {@link #onTick} has work to do, or {@link Long#MAX_VALUE}. */
  public long nextDeadlineNanos() {
    if (!active) {
      return Long.MAX_VALUE;
    }
    long next = Math.min(giveUpAtNanos, nextAnnouncementNanos);
    for (PendingToken waiting : pending.values()) {
      next = Math.min(next, waiting.retryAtNanos);
    }
    return next;
  }

  // ---------------------------------------------------------------- outputs

  public ElectionState state() {
    return state;
  }

  /** The leader this node follows (itself when leading), or null during an election. */
  public @Nullable NodeId leader() {
    return leader;
  }

  public boolean isLeader() {
    return state == ElectionState.LEADING;
  }

  /**
   * The term after this one. At {@link io.github.ringleader.messaging.protocol.Bounds#MAX_TERM}
   * (millions of elections; no peer can send a higher one) it stays there, logged once: the
   * election still runs, in that term, instead of overflowing.
   */
  private long nextTerm() {
    long next = io.github.ringleader.messaging.protocol.Bounds.nextTerm(term);
    if (next == term && !warnedTermExhausted) {
      warnedTermExhausted = true;
      log.error(
          "[{}] the election term has reached its bound {}; elections go on in that term",
          self,
          term);
    }
    return next;
  }

  /** The highest term this node has seen; the leader's term while it has one. */
  public long term() {
    return term;
  }

  /** Elections this node has started. */
  public long electionsStarted() {
    return electionsStarted;
  }

  /** Tokens waiting for an acknowledgement (bounded). */
  public int pendingTokens() {
    return pending.size();
  }

  // ---------------------------------------------------------------- transitions

  private void onLeaderClaim(NodeId claimant, long claimTerm, long nowNanos) {
    if (claimant.equals(self) || !members.isLive(claimant)) {
      // Follow only a live member, so the failure detector will say when the leader is gone. A
      // leader's heartbeat joins it to the view before its claim is weighed.
      return;
    }
    boolean stronger;
    switch (state) {
      case FOLLOWING:
      case LEADING:
        NodeId current = leader;
        stronger = claimTerm > term
            || (claimTerm == term && current != null && claimant.compareTo(current) > 0);
        break;
      default:
        stronger = claimTerm >= term;
        break;
    }
    if (!stronger) {
      return;
    }
    term = claimTerm;
    leader = claimant;
    clearElection();
    giveUpAtNanos = Long.MAX_VALUE;
    transition(ElectionState.FOLLOWING, "follows " + claimant + " (term " + claimTerm + ")");
    checkLeaderRank(nowNanos);
  }

  /** A node that outranks its leader starts the election it will win. */
  private void checkLeaderRank(long nowNanos) {
    NodeId current = leader;
    if (active
        && state == ElectionState.FOLLOWING
        && current != null
        && self.compareTo(current) > 0) {
      startElection(nowNanos, "this node outranks leader " + current);
    }
  }

  private void enterElecting(long nowNanos, String reason) {
    leader = null;
    clearElection();
    giveUpAtNanos = nowNanos + timings.electionTimeoutNanos();
    transition(ElectionState.ELECTING, reason);
  }

  private void becomeLeaderless(long nowNanos, String reason) {
    leader = null;
    clearElection();
    giveUpAtNanos = nowNanos + timings.electionTimeoutNanos();
    transition(ElectionState.LEADERLESS, reason);
  }

  private void becomeLeader(long nowNanos, String reason) {
    leader = self;
    clearElection();
    giveUpAtNanos = Long.MAX_VALUE;
    transition(ElectionState.LEADING, reason);
    outbox.sendToAll(new LeaderAnnouncement(term));
    announcementsLeft = timings.announceRepeats();
    nextAnnouncementNanos =
        announcementsLeft > 0 ? nowNanos + timings.ackTimeoutNanos() : Long.MAX_VALUE;
  }

  private void clearElection() {
    maxForwarded = null;
    skipped.clear();
    pending.clear();
    announcementsLeft = 0;
    nextAnnouncementNanos = Long.MAX_VALUE;
  }

  private void forward(NodeId candidate, long nowNanos) {
    maxForwarded = candidate;
    sendToken(candidate, nowNanos);
  }

  private void sendToken(NodeId candidate, long nowNanos) {
    NodeId next = successor();
    if (next == null) {
      if (candidate.equals(self)) {
        becomeLeader(nowNanos, "no other live member to pass the token to");
      }
      return;
    }
    Election token = new Election(term, nextMessageId++, candidate);
    if (pending.size() >= MAX_PENDING_TOKENS) {
      Iterator<Long> oldest = pending.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    pending.put(
        token.messageId(), new PendingToken(next, token, nowNanos + timings.ackTimeoutNanos()));
    outbox.send(next, token);
  }

  /** The next live id above this node's, wrapping to the lowest; skipped successors left out. */
  private @Nullable NodeId successor() {
    NodeId lowest = null;
    for (NodeId id : members.liveIds()) {
      if (skipped.contains(id)) {
        continue;
      }
      if (id.compareTo(self) > 0) {
        return id;
      }
      if (lowest == null) {
        lowest = id;
      }
    }
    return lowest;
  }

  private void transition(ElectionState next, String reason) {
    if (next != state) {
      log.debug("[{}] election {} -> {} (term {}): {}", self, state, next, term, reason);
    } else {
      log.debug("[{}] election {} (term {}): {}", self, state, term, reason);
    }
    state = next;
  }
}
