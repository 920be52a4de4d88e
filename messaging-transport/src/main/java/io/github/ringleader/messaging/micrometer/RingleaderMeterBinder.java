package io.github.ringleader.messaging.micrometer;

import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Binds one {@link MessagingNode}'s {@link NodeMetrics} to a Micrometer {@link MeterRegistry},
 * for applications that already run Micrometer. Meters follow Micrometer's conventions — dotted
 * lower-case names ({@code ringleader.messages.delivered}), base units, no {@code _total}
 * suffix (each registry adds its own) — and carry the tags {@code node} and {@code cluster}; the
 * reasons of refusals and dropped frames are a {@code reason} tag.
 *
 * <pre>{@code
 * new RingleaderMeterBinder(server).bindTo(registry);   // a started MessagingServer
 * new RingleaderMeterBinder(node).clientServer(tcp).transport(udp).bindTo(registry);
 * }</pre>
 *
 * <p>Every meter reads {@link MessagingNode#metrics()} (or the listener's or transport's stats)
 * when the registry polls it, on the registry's thread: nothing is pushed from the node's event
 * loop. Rates are left to the registry (it derives them from the counters); the accept-latency
 * histogram is bound as a {@link FunctionTimer} (count and total time, so its mean), since
 * Micrometer cannot take pre-bucketed data; the replication lag as its maximum over the members.
 * Like all Micrometer function meters, these hold the node weakly: keep your own reference.
 */
// "exports": its signatures name Micrometer types, which a user of the binder requires themselves
// (module-info.java reads micrometer.core statically and not transitively, on purpose).
@SuppressWarnings("exports")
public final class RingleaderMeterBinder implements MeterBinder {
  private final MessagingNode node;
  private @Nullable MessagingServer server;
  private @Nullable TcpClientServer clientServer;
  private @Nullable UdpMulticastTransport transport;

  /**
   * Binds the metrics of {@code server}'s node, client listener and cluster transport. The server
   * must be started ({@link MessagingServer#node()}).
   */
  public RingleaderMeterBinder(MessagingServer server) {
    this.node = server.node();
    this.server = server;
  }

  /** Binds {@code node}'s metrics. */
  public RingleaderMeterBinder(MessagingNode node) {
    this.node = Objects.requireNonNull(node, "node");
  }

  /** Also binds the counters of the node's client listener. */
  public RingleaderMeterBinder clientServer(TcpClientServer clientServer) {
    this.clientServer = Objects.requireNonNull(clientServer, "clientServer");
    return this;
  }

  /** Also binds the counters of the node's UDP cluster transport. */
  public RingleaderMeterBinder transport(UdpMulticastTransport transport) {
    this.transport = Objects.requireNonNull(transport, "transport");
    return this;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Tags tags = Tags.of("node", node.id().value(), "cluster", node.config().clusterName());
    bindNode(registry, tags);
    MessagingServer whole = server;
    if (whole != null) {
      bindClients(registry, tags, whole, MessagingServer::clientStats);
      bindTransport(registry, tags, whole, MessagingServer::clusterStats);
      return;
    }
    TcpClientServer tcp = clientServer;
    if (tcp != null) {
      bindClients(registry, tags, tcp, TcpClientServer::stats);
    }
    UdpMulticastTransport udp = transport;
    if (udp != null) {
      bindTransport(registry, tags, udp, UdpMulticastTransport::stats);
    }
  }

  /** The cluster transport's counters, read from {@code udp} (held weakly) by {@code stats}. */
  private static <T> void bindTransport(
      MeterRegistry registry, Tags tags, T udp, Function<T, UdpTransportStats> stats) {
    counter(
        registry,
        "ringleader.cluster.datagrams.received",
        tags,
        "Cluster datagrams received and handed to the node.",
        udp,
        t -> stats.apply(t).datagramsReceived());
    counter(
        registry,
        "ringleader.cluster.datagrams.rejected",
        tags,
        "Cluster datagrams the node refused (malformed, failing the cluster key, another"
            + " cluster's).",
        udp,
        t -> stats.apply(t).rejected());
    counter(
        registry,
        "ringleader.cluster.frames.sent",
        tags,
        "Cluster frames accepted for sending.",
        udp,
        t -> stats.apply(t).sent());
    counter(
        registry,
        "ringleader.cluster.datagrams.sent",
        tags,
        "Cluster datagrams accepted for sending.",
        udp,
        t -> stats.apply(t).datagramsSent());
  }

  private void bindNode(MeterRegistry registry, Tags tags) {
    gauge(
        registry,
        "ringleader.members",
        tags,
        "Live servers in this node's view, itself included.",
        m -> m.members().size());
    gauge(registry, "ringleader.term", tags, "The leader's election term.", NodeMetrics::term);
    gauge(
        registry,
        "ringleader.leader",
        tags,
        "1 when this node is the leader.",
        m -> m.isLeader() ? 1 : 0);
    gauge(
        registry,
        "ringleader.leader.known",
        tags,
        "1 when this node follows a leader, 0 during an election.",
        m -> m.leader() == null ? 0 : 1);
    gauge(
        registry,
        "ringleader.clients",
        tags,
        "Clients connected to this node.",
        NodeMetrics::clientsConnected);
    gauge(
        registry,
        "ringleader.clients.capacity",
        tags,
        "The most clients this node accepts.",
        NodeMetrics::capacity);
    gauge(
        registry,
        "ringleader.sessions.held",
        tags,
        "Sessions held for a client to resume.",
        NodeMetrics::heldSessions);
    gauge(
        registry,
        "ringleader.replication.lag.max",
        tags,
        "On the leader: the most entries a member has not reported delivered.",
        m -> m.replicationLag().values().stream()
            .mapToLong(Long::longValue)
            .max()
            .orElse(0));
    TimeGauge.builder(
            "ringleader.uptime", node, TimeUnit.NANOSECONDS, n -> n.metrics().uptimeNanos())
        .tags(tags)
        .description("Time since the node started.")
        .register(registry);

    nodeCounter(
        registry,
        "ringleader.elections.started",
        tags,
        "Elections this node started.",
        NodeMetrics::electionsStarted);
    nodeCounter(
        registry,
        "ringleader.leader.changes",
        tags,
        "Changes of the leader this node follows.",
        NodeMetrics::leaderChanges);
    nodeCounter(
        registry,
        "ringleader.members.joined",
        tags,
        "Servers seen joining.",
        NodeMetrics::membersJoined);
    nodeCounter(
        registry,
        "ringleader.members.failed",
        tags,
        "Servers declared failed.",
        NodeMetrics::failuresDetected);
    nodeCounter(
        registry,
        "ringleader.members.left",
        tags,
        "Servers that said they were leaving.",
        NodeMetrics::membersLeft);
    nodeCounter(
        registry,
        "ringleader.messages.received",
        tags,
        "Chats this node's clients sent that went on to the leader.",
        NodeMetrics::messagesReceived);
    nodeCounter(
        registry,
        "ringleader.messages.accepted",
        tags,
        "Chats of this node's clients sequenced and delivered (accepted).",
        NodeMetrics::messagesAccepted);
    nodeCounter(
        registry,
        "ringleader.messages.delivered",
        tags,
        "Chats handed to this node's clients, one per recipient.",
        NodeMetrics::messagesDelivered);
    nodeCounter(
        registry,
        "ringleader.stream.entries.delivered",
        tags,
        "Entries of the sequenced stream delivered here.",
        NodeMetrics::entriesDelivered);
    FunctionTimer.builder(
            "ringleader.messages.accept.latency",
            node,
            n -> n.metrics().acceptLatency().count(),
            n -> n.metrics().acceptLatency().sumNanos(),
            TimeUnit.NANOSECONDS)
        .tags(tags)
        .description("From a client's send reaching this node to its delivery here (sampled).")
        .register(registry);
    for (ServerEvent.Reason reason : ServerEvent.Reason.values()) {
      nodeCounter(
          registry,
          "ringleader.refusals",
          tags.and("reason", lower(reason.name())),
          "Client requests refused or rejected, by reason.",
          m -> m.refusals().getOrDefault(reason, 0L));
    }
    nodeCounter(
        registry,
        "ringleader.cluster.frames.dropped",
        tags.and("reason", "foreign_cluster"),
        "Cluster frames dropped, by reason.",
        NodeMetrics::foreignFrames);
    NodeMetrics now = node.metrics();
    for (String reason : now.framesDropped().keySet()) {
      nodeCounter(
          registry,
          "ringleader.cluster.frames.dropped",
          tags.and("reason", reason),
          "Cluster frames dropped, by reason.",
          m -> m.framesDropped().getOrDefault(reason, 0L));
    }
    for (String reason : now.authenticationFailures().keySet()) {
      nodeCounter(
          registry,
          "ringleader.cluster.auth.failures",
          tags.and("reason", reason),
          "Cluster frames refused by the cluster key check, by reason.",
          m -> m.authenticationFailures().getOrDefault(reason, 0L));
    }
  }

  private static <T> void bindClients(
      MeterRegistry registry, Tags tags, T tcp, Function<T, TcpServerStats> stats) {
    Gauge.builder("ringleader.client.connections.open", tcp, t -> stats.apply(t).open())
        .tags(tags)
        .description("Client connections open now.")
        .register(registry);
    counter(
        registry,
        "ringleader.client.connections.accepted",
        tags,
        "Client connections accepted.",
        tcp,
        t -> stats.apply(t).accepted());
    for (TcpServerStats.CloseReason reason : TcpServerStats.CloseReason.values()) {
      counter(
          registry,
          "ringleader.client.connections.closed",
          tags.and("reason", lower(reason.name())),
          "Client connections closed, by why.",
          tcp,
          t -> stats.apply(t).closed(reason));
    }
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      counter(
          registry,
          "ringleader.client.frames.malformed",
          tags.and("reason", lower(reason.name())),
          "Malformed client frames, by the rule broken.",
          tcp,
          t -> stats.apply(t).malformed(reason));
    }
    counter(
        registry,
        "ringleader.client.frames.received",
        tags,
        "Client frames received.",
        tcp,
        t -> stats.apply(t).framesIn());
    counter(
        registry,
        "ringleader.client.frames.sent",
        tags,
        "Frames written to clients.",
        tcp,
        t -> stats.apply(t).framesOut());
  }

  private void gauge(
      MeterRegistry registry,
      String name,
      Tags tags,
      String description,
      ToDoubleFunction<NodeMetrics> value) {
    Gauge.builder(name, node, n -> value.applyAsDouble(n.metrics()))
        .tags(tags)
        .description(description)
        .register(registry);
  }

  private void nodeCounter(
      MeterRegistry registry,
      String name,
      Tags tags,
      String description,
      ToDoubleFunction<NodeMetrics> value) {
    counter(registry, name, tags, description, node, n -> value.applyAsDouble(n.metrics()));
  }

  // No base units on counters and gauges: the name says what is counted, and a registry that
  // appends the unit (Prometheus) would repeat it (ringleader_messages_delivered_messages_total).
  private static <T> void counter(
      MeterRegistry registry,
      String name,
      Tags tags,
      String description,
      T source,
      ToDoubleFunction<T> value) {
    FunctionCounter.builder(name, source, value)
        .tags(tags)
        .description(description)
        .register(registry);
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
