package io.github.ringleader.messaging.metrics;

import java.util.List;
import java.util.Map;

/**
 * A node's {@link NodeMetrics} as a JMX MXBean, registered as {@code
 * io.github.ringleader:type=MessagingNode,cluster=<cluster>,name=<nodeId>} by a node built with
 * {@code MessagingNode.Builder.jmx(true)} (the example server does), and unregistered when the node
 * stops. Every attribute reads a fresh snapshot; the meaning of each is that of the {@link
 * NodeMetrics} component of the same name. Read-only: the bean has no operations.
 */
public interface NodeMetricsMXBean {
  String getNodeId();

  String getCluster();

  String getState();

  /** The leader's id, or the empty string during an election. */
  String getLeader();

  long getTerm();

  /** Whether this node is the leader. */
  boolean isLeading();

  /** The live members' ids, this node included, ascending. */
  List<String> getMembers();

  long getUptimeMillis();

  long getElectionsStarted();

  long getLeaderChanges();

  long getMembersJoined();

  long getFailuresDetected();

  long getMembersLeft();

  int getClientsConnected();

  int getHeldSessions();

  long getMessagesReceived();

  long getMessagesAccepted();

  long getMessagesDelivered();

  long getEntriesDelivered();

  double getReceivedPerSecond();

  double getAcceptedPerSecond();

  double getDeliveredPerSecond();

  long getAcceptLatencyCount();

  /** The mean accept latency in milliseconds, or 0 before any. */
  double getAcceptLatencyMeanMillis();

  /** An upper estimate (the bucket bound) of the median accept latency, ms; -1 if unknown. */
  double getAcceptLatencyP50Millis();

  /** An upper estimate (the bucket bound) of the 99th-percentile accept latency, ms; -1 if unknown. */
  double getAcceptLatencyP99Millis();

  Map<String, Long> getReplicationLag();

  Map<String, Long> getRefusals();

  long getForeignFrames();

  Map<String, Long> getFramesDropped();

  Map<String, Long> getAuthenticationFailures();
}
