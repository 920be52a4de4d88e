package io.github.ringleader.messaging.metrics;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link NodeMetricsMXBean} of one node, and its registration with the platform MBean server.
 * Each attribute reads a fresh snapshot from the supplier, on the JMX caller's thread (the
 * supplier must be safe for any thread, as {@code MessagingNode::metrics} is).
 */
public final class NodeMetricsJmx implements NodeMetricsMXBean {
  /** The JMX domain of Ringleader's beans. */
  public static final String DOMAIN = "io.github.ringleader";

  private static final Logger log = LoggerFactory.getLogger(NodeMetricsJmx.class);

  private final Supplier<NodeMetrics> metrics;

  public NodeMetricsJmx(Supplier<NodeMetrics> metrics) {
    this.metrics = metrics;
  }

  /** {@code io.github.ringleader:type=MessagingNode,cluster=<cluster>,name=<node>}. */
  public static ObjectName objectName(String cluster, NodeId node) {
    try {
      // Cluster names and node ids are letters, digits, '.', '_' and '-': nothing to quote.
      return new ObjectName(
          DOMAIN + ":type=MessagingNode,cluster=" + cluster + ",name=" + node.value());
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException("cannot name the MBean of " + node + " in " + cluster, e);
    }
  }

  /**
   * Registers a bean for {@code metrics} under {@link #objectName}; returns the name, or null if
   * it could not (a bean of that name exists: another node with this id and cluster runs in this
   * JVM), which is logged and otherwise harmless.
   */
  public static @Nullable ObjectName register(
      String cluster, NodeId node, Supplier<NodeMetrics> metrics) {
    ObjectName name = objectName(cluster, node);
    try {
      ManagementFactory.getPlatformMBeanServer().registerMBean(new NodeMetricsJmx(metrics), name);
      return name;
    } catch (JMException e) {
      log.warn("[{}] not registered with JMX as {}: {}", node, name, e.toString());
      return null;
    }
  }

  /** Unregisters {@code name} if it is registered. */
  public static void unregister(ObjectName name) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    } catch (JMException e) {
      log.warn("could not unregister {} from JMX: {}", name, e.toString());
    }
  }

  @Override
  public String getNodeId() {
    return metrics.get().node().value();
  }

  @Override
  public String getCluster() {
    return metrics.get().cluster();
  }

  @Override
  public String getState() {
    return metrics.get().state().name();
  }

  @Override
  public String getLeader() {
    NodeId leader = metrics.get().leader();
    return leader == null ? "" : leader.value();
  }

  @Override
  public long getTerm() {
    return metrics.get().term();
  }

  @Override
  public boolean isLeading() {
    return metrics.get().isLeader();
  }

  @Override
  public List<String> getMembers() {
    List<String> ids = new ArrayList<>();
    for (MemberInfo member : metrics.get().members()) {
      ids.add(member.id().value());
    }
    return ids;
  }

  @Override
  public long getUptimeMillis() {
    return metrics.get().uptimeNanos() / 1_000_000;
  }

  @Override
  public long getElectionsStarted() {
    return metrics.get().electionsStarted();
  }

  @Override
  public long getLeaderChanges() {
    return metrics.get().leaderChanges();
  }

  @Override
  public long getMembersJoined() {
    return metrics.get().membersJoined();
  }

  @Override
  public long getFailuresDetected() {
    return metrics.get().failuresDetected();
  }

  @Override
  public long getMembersLeft() {
    return metrics.get().membersLeft();
  }

  @Override
  public int getClientsConnected() {
    return metrics.get().clientsConnected();
  }

  @Override
  public int getHeldSessions() {
    return metrics.get().heldSessions();
  }

  @Override
  public long getMessagesReceived() {
    return metrics.get().messagesReceived();
  }

  @Override
  public long getMessagesAccepted() {
    return metrics.get().messagesAccepted();
  }

  @Override
  public long getMessagesDelivered() {
    return metrics.get().messagesDelivered();
  }

  @Override
  public long getEntriesDelivered() {
    return metrics.get().entriesDelivered();
  }

  @Override
  public double getReceivedPerSecond() {
    return metrics.get().receivedPerSecond();
  }

  @Override
  public double getAcceptedPerSecond() {
    return metrics.get().acceptedPerSecond();
  }

  @Override
  public double getDeliveredPerSecond() {
    return metrics.get().deliveredPerSecond();
  }

  @Override
  public long getAcceptLatencyCount() {
    return metrics.get().acceptLatency().count();
  }

  @Override
  public double getAcceptLatencyMeanMillis() {
    LatencyHistogram.Snapshot latency = metrics.get().acceptLatency();
    return latency.count() == 0 ? 0 : latency.sumNanos() / 1e6 / latency.count();
  }

  @Override
  public double getAcceptLatencyP50Millis() {
    return millis(metrics.get().acceptLatency().quantileUpperBoundNanos(0.5));
  }

  @Override
  public double getAcceptLatencyP99Millis() {
    return millis(metrics.get().acceptLatency().quantileUpperBoundNanos(0.99));
  }

  @Override
  public Map<String, Long> getReplicationLag() {
    Map<String, Long> lag = new TreeMap<>();
    metrics.get().replicationLag().forEach((id, entries) -> lag.put(id.value(), entries));
    return lag;
  }

  @Override
  public Map<String, Long> getRefusals() {
    Map<String, Long> refusals = new TreeMap<>();
    metrics.get().refusals().forEach((reason, count) -> refusals.put(reason.name(), count));
    return refusals;
  }

  @Override
  public long getForeignFrames() {
    return metrics.get().foreignFrames();
  }

  @Override
  public Map<String, Long> getFramesDropped() {
    return new TreeMap<>(metrics.get().framesDropped());
  }

  @Override
  public Map<String, Long> getAuthenticationFailures() {
    return new TreeMap<>(metrics.get().authenticationFailures());
  }

  private static double millis(long nanos) {
    return nanos < 0 ? -1 : nanos / 1e6;
  }
}
