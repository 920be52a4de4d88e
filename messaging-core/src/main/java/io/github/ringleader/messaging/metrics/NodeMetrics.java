package io.github.ringleader.messaging.metrics;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one node's state and counters, from {@code MessagingNode.metrics()}: immutable,
 * safe to read and keep on any thread. Counters ({@code long}s named as counts) only grow during
 * the node's life and start at 0 with each new node. Values are read one by one while the node
 * runs, so a snapshot is not one instant across all of them; each is at most a moment old, except
 * {@link #heldSessions} and {@link #replicationLag}, which the node refreshes once a second.
 * The "Monitoring" section of {@code docs/operations.md} explains each metric.
 *
 * @param node this node's id
 * @param cluster the cluster's name
 * @param state the node's life-cycle state
 * @param leader the leader this node follows (itself when it leads), or null during an election
 * @param term the leader's term, or the newest term seen during an election
 * @param members the live servers, this node included, ascending by id, with their load
 * @param uptimeNanos time since the node started (0 before), on the node's clock
 * @param electionsStarted elections this node started (a leader failed or left, none was found
 *     at start, two leaders met)
 * @param leaderChanges times the leader this node follows changed, to a server or to none
 * @param membersJoined servers this node saw join (or come back)
 * @param failuresDetected servers this node declared failed: silent for the failure timeout, or
 *     replaced by a restart
 * @param membersLeft servers that said they were leaving
 * @param clientsConnected clients connected to this node now (joining, joined or leaving)
 * @param heldSessions sessions the cluster holds for a client to resume (its connection or server
 *     is gone; the grace period runs), cluster-wide, as this node's copy of the directory has them
 * @param messagesReceived chat messages this node's clients sent that passed its checks and went
 *     on to the leader
 * @param messagesAccepted of those, the ones sequenced and delivered here: their senders were told
 *     they were accepted
 * @param messagesDelivered chat messages handed to this node's clients, one per recipient
 * @param entriesDelivered entries of the sequenced stream delivered here (chats, joins, leaves...)
 * @param receivedPerSecond {@code messagesReceived}'s rate over the last 5 s or so
 * @param acceptedPerSecond {@code messagesAccepted}'s rate over the last 5 s or so
 * @param deliveredPerSecond {@code messagesDelivered}'s rate over the last 5 s or so
 * @param acceptLatency from a client's send reaching this node to this node delivering it from
 *     the sequenced stream (when the client hears "accepted"), on this node's clock; a sample of
 *     at most one message per session at a time
 * @param replicationLag while this node leads: per member of the epoch, the entries sequenced
 *     that it has not yet reported delivered; empty on a follower
 * @param refusals requests refused or rejected by this node, by reason (every reason present)
 * @param foreignFrames cluster messages of another cluster sharing the transport, dropped
 * @param framesDropped cluster frames dropped, by reason: on receipt by the node, as malformed
 *     ({@code malformed_<reason>}, every reason present) or on sending, as too large to seal
 *     ({@code oversized}); and by the transport, under its own keys (see {@code
 *     ClusterTransport.droppedFrames()})
 * @param authenticationFailures cluster frames refused by the cluster key check, by reason (empty
 *     without a key), and, on a node that requires
 *     client authentication, clients' joins and resumes refused by it, by {@code
 *     ClientAuthFailure} under keys {@code client_<reason>} ({@code client_wrong_secret}, ...)
 */
public record NodeMetrics(
    NodeId node,
    String cluster,
    NodeState state,
    @Nullable NodeId leader,
    long term,
    List<MemberInfo> members,
    long uptimeNanos,
    long electionsStarted,
    long leaderChanges,
    long membersJoined,
    long failuresDetected,
    long membersLeft,
    int clientsConnected,
    int heldSessions,
    long messagesReceived,
    long messagesAccepted,
    long messagesDelivered,
    long entriesDelivered,
    double receivedPerSecond,
    double acceptedPerSecond,
    double deliveredPerSecond,
    LatencyHistogram.Snapshot acceptLatency,
    Map<NodeId, Long> replicationLag,
    Map<ServerEvent.Reason, Long> refusals,
    long foreignFrames,
    Map<String, Long> framesDropped,
    Map<String, Long> authenticationFailures) {

  public NodeMetrics {
    members = List.copyOf(members);
    // Sorted copies, so that whoever prints a snapshot prints it in a stable order.
    replicationLag = Collections.unmodifiableMap(new TreeMap<>(replicationLag));
    refusals = Collections.unmodifiableMap(new TreeMap<>(refusals));
    framesDropped = Collections.unmodifiableMap(new TreeMap<>(framesDropped));
    authenticationFailures = Collections.unmodifiableMap(new TreeMap<>(authenticationFailures));
  }

  /** Whether this node is the leader. */
  public boolean isLeader() {
    return node.equals(leader);
  }

  /** The capacity this node has for clients (its own entry in {@link #members}), or 0. */
  public int capacity() {
    for (MemberInfo member : members) {
      if (member.id().equals(node)) {
        return member.capacity();
      }
    }
    return 0;
  }

  /** Requests refused or rejected, whatever the reason. */
  public long refusalsTotal() {
    return refusals.values().stream().mapToLong(Long::longValue).sum();
  }
}
