package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.metrics.LatencyHistogram;
import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats;
import io.github.ringleader.messaging.transport.udp.UdpTransportStats;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Writes a node's metrics in the Prometheus text exposition format (version 0.0.4): each family
 * once, with its {@code # HELP} and {@code # TYPE}; counters end in {@code _total}; times in
 * seconds. The names are listed in docs/operations.md ("Monitoring").
 */
final class PrometheusText {
  /** The Content-Type of this format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final StringBuilder out = new StringBuilder(4096);
  private final Set<String> families = new HashSet<>();

  private PrometheusText() {}

  /**
   * The exposition of {@code m}, with the client listener's and the cluster transport's counters
   * when given.
   */
  static String render(
      NodeMetrics m, @Nullable TcpServerStats tcp, @Nullable UdpTransportStats udp) {
    PrometheusText p = new PrometheusText();
    p.node(m);
    p.messages(m);
    if (tcp != null) {
      p.tcp(tcp);
    }
    if (udp != null) {
      p.udp(udp);
    }
    return p.out.toString();
  }

  private void node(NodeMetrics m) {
    family(
        "ringleader_node_info", "gauge", "This node: 1, labelled with its id, cluster and state.");
    sample(
        "ringleader_node_info",
        labels(
            "node", m.node().value(), "cluster", m.cluster(), "state", m.state().name()),
        1);
    NodeId leader = m.leader();
    family(
        "ringleader_leader_info",
        "gauge",
        "The leader this node follows: 1 with its id, absent during an election.");
    if (leader != null) {
      sample("ringleader_leader_info", labels("leader", leader.value()), 1);
    }
    gauge(
        "ringleader_has_leader",
        "1 when this node follows a leader, 0 during an election.",
        leader == null ? 0 : 1);
    gauge("ringleader_is_leader", "1 when this node is the leader.", m.isLeader() ? 1 : 0);
    gauge(
        "ringleader_term",
        "The leader's election term (the newest seen during an election).",
        m.term());
    gauge(
        "ringleader_members",
        "Live servers in this node's view, itself included.",
        m.members().size());
    gauge("ringleader_uptime_seconds", "Time since this node started.", m.uptimeNanos() / 1e9);
    counter(
        "ringleader_elections_started_total", "Elections this node started.", m.electionsStarted());
    counter(
        "ringleader_leader_changes_total",
        "Times the leader this node follows changed (to a server or to none).",
        m.leaderChanges());
    counter("ringleader_members_joined_total", "Servers this node saw join.", m.membersJoined());
    counter(
        "ringleader_member_failures_total",
        "Servers this node declared failed (silent for the failure timeout, or restarted).",
        m.failuresDetected());
    counter(
        "ringleader_members_left_total", "Servers that said they were leaving.", m.membersLeft());
    gauge("ringleader_clients", "Clients connected to this node.", m.clientsConnected());
    gauge("ringleader_client_capacity", "The most clients this node accepts.", m.capacity());
    gauge(
        "ringleader_held_sessions",
        "Sessions the cluster holds for a client to resume (as of the last second).",
        m.heldSessions());
    family(
        "ringleader_replication_lag_entries",
        "gauge",
        "On the leader: entries sequenced that a member has not reported delivered (as of the last second).");
    for (Map.Entry<NodeId, Long> e : m.replicationLag().entrySet()) {
      sample(
          "ringleader_replication_lag_entries", labels("member", e.getKey().value()), e.getValue());
    }
    family(
        "ringleader_refusals_total",
        "counter",
        "Client requests this node refused or rejected, by reason.");
    for (Map.Entry<ServerEvent.Reason, Long> e : m.refusals().entrySet()) {
      sample("ringleader_refusals_total", labels("reason", lower(e.getKey().name())), e.getValue());
    }
    family(
        "ringleader_cluster_frames_dropped_total",
        "counter",
        "Cluster frames dropped, by reason (foreign_cluster: another cluster's).");
    sample(
        "ringleader_cluster_frames_dropped_total",
        labels("reason", "foreign_cluster"),
        m.foreignFrames());
    for (Map.Entry<String, Long> e : m.framesDropped().entrySet()) {
      sample("ringleader_cluster_frames_dropped_total", labels("reason", e.getKey()), e.getValue());
    }
    family(
        "ringleader_cluster_auth_failures_total",
        "counter",
        "Cluster frames refused by the cluster key check, by reason.");
    for (Map.Entry<String, Long> e : m.authenticationFailures().entrySet()) {
      sample("ringleader_cluster_auth_failures_total", labels("reason", e.getKey()), e.getValue());
    }
  }

  private void messages(NodeMetrics m) {
    counter(
        "ringleader_messages_received_total",
        "Chat messages this node's clients sent that went on to the leader.",
        m.messagesReceived());
    counter(
        "ringleader_messages_accepted_total",
        "Chat messages of this node's clients sequenced and delivered (accepted).",
        m.messagesAccepted());
    counter(
        "ringleader_messages_delivered_total",
        "Chat messages handed to this node's clients, one per recipient.",
        m.messagesDelivered());
    counter(
        "ringleader_stream_entries_delivered_total",
        "Entries of the sequenced stream this node delivered.",
        m.entriesDelivered());
    gauge(
        "ringleader_messages_received_per_second",
        "messages_received over the last 5 s or so.",
        m.receivedPerSecond());
    gauge(
        "ringleader_messages_accepted_per_second",
        "messages_accepted over the last 5 s or so.",
        m.acceptedPerSecond());
    gauge(
        "ringleader_messages_delivered_per_second",
        "messages_delivered over the last 5 s or so.",
        m.deliveredPerSecond());
    LatencyHistogram.Snapshot latency = m.acceptLatency();
    String name = "ringleader_accept_latency_seconds";
    family(
        name,
        "histogram",
        "From a client's send reaching this node to its delivery here (accepted); sampled, one message per session at a time.");
    for (int i = 0; i < latency.boundsNanos().size(); i++) {
      // Plain decimals ("0.0001", not "1.0E-4"), exact from the nanoseconds: what people write
      // in queries and alert rules.
      String le = java.math.BigDecimal.valueOf(latency.boundsNanos().get(i), 9)
          .stripTrailingZeros()
          .toPlainString();
      sample(name + "_bucket", labels("le", le), latency.cumulative(i));
    }
    sample(name + "_bucket", labels("le", "+Inf"), latency.count());
    sample(name + "_sum", "", latency.sumNanos() / 1e9);
    sample(name + "_count", "", latency.count());
  }

  private void tcp(TcpServerStats s) {
    counter(
        "ringleader_client_connections_accepted_total",
        "Client connections accepted.",
        s.accepted());
    gauge("ringleader_client_connections_open", "Client connections open now.", s.open());
    family(
        "ringleader_client_connections_closed_total",
        "counter",
        "Client connections closed, by why.");
    for (TcpServerStats.CloseReason reason : TcpServerStats.CloseReason.values()) {
      sample(
          "ringleader_client_connections_closed_total",
          labels("reason", lower(reason.name())),
          s.closed(reason));
    }
    family(
        "ringleader_client_frames_malformed_total",
        "counter",
        "Malformed client frames (each closed its connection), by the rule broken.");
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      sample(
          "ringleader_client_frames_malformed_total",
          labels("reason", lower(reason.name())),
          s.malformed(reason));
    }
    counter(
        "ringleader_client_frames_received_total",
        "Client frames received and decoded.",
        s.framesIn());
    counter("ringleader_client_frames_sent_total", "Frames written to clients.", s.framesOut());
    family(
        "ringleader_client_read_pauses_total",
        "counter",
        "Times the server stopped reading from a client, by why.");
    sample(
        "ringleader_client_read_pauses_total",
        labels("reason", "in_flight"),
        s.pausedForInFlight());
    sample("ringleader_client_read_pauses_total", labels("reason", "rate"), s.pausedForRate());
    sample("ringleader_client_read_pauses_total", labels("reason", "turn"), s.pausedForTurn());
    gauge(
        "ringleader_client_connections_paused",
        "Client connections not read from now (back-pressure).",
        s.pausedNow());
  }

  private void udp(UdpTransportStats s) {
    counter(
        "ringleader_cluster_datagrams_received_total",
        "Cluster datagrams received and handed to the node.",
        s.datagramsReceived());
    counter(
        "ringleader_cluster_datagrams_rejected_total",
        "Cluster datagrams the node refused (malformed, failing the cluster key, another"
            + " cluster's).",
        s.rejected());
    counter(
        "ringleader_cluster_frames_sent_total", "Cluster frames accepted for sending.", s.sent());
    counter(
        "ringleader_cluster_datagrams_sent_total",
        "Cluster datagrams accepted for sending (frames share them).",
        s.datagramsSent());
    counter(
        "ringleader_cluster_receive_errors_total",
        "Cluster reads that failed with an I/O error.",
        s.receiveErrors());
  }

  // ---------------------------------------------------------------- the format

  private void counter(String name, String help, long value) {
    family(name, "counter", help);
    sample(name, "", value);
  }

  private void gauge(String name, String help, double value) {
    family(name, "gauge", help);
    sample(name, "", value);
  }

  private void family(String name, String type, String help) {
    if (!families.add(name)) {
      throw new IllegalStateException("metric family " + name + " written twice");
    }
    out.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help.replace("\\", "\\\\").replace("\n", "\\n"))
        .append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private void sample(String name, String labels, double value) {
    out.append(name).append(labels).append(' ').append(number(value)).append('\n');
  }

  /** {@code {k1="v1",k2="v2"}} with the values escaped. */
  private static String labels(String... keysAndValues) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (i > 0) {
        b.append(',');
      }
      b.append(keysAndValues[i]).append("=\"");
      String value = keysAndValues[i + 1];
      for (int j = 0; j < value.length(); j++) {
        char c = value.charAt(j);
        if (c == '\\' || c == '"') {
          b.append('\\').append(c);
        } else if (c == '\n') {
          b.append("\\n");
        } else {
          b.append(c);
        }
      }
      b.append('"');
    }
    return b.append('}').toString();
  }

  private static String number(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return Double.toString(value);
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
