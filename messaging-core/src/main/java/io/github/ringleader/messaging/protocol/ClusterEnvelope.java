package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;

/**
 * A cluster message with what every message carries: the cluster it belongs to, the sender and
 * the sender's incarnation.
 *
 * <p>The cluster name keeps two clusters that share a multicast group apart: a server drops
 * every message of another cluster. The incarnation tells lives of one server apart: a server
 * picks a new, higher one each time it starts, so a restarted server is a new member and not a
 * ghost of the old one.
 *
 * @param cluster 1 to 64 characters of {@code [A-Za-z0-9._-]}
 * @param sender the sending server
 * @param incarnation the sender's incarnation, {@code >= 0}
 * @param message the message
 */
public record ClusterEnvelope(
    String cluster, NodeId sender, long incarnation, ClusterMessage message) {

  /** The longest cluster name, in characters. */
  public static final int MAX_CLUSTER_NAME_LENGTH = 64;

  public ClusterEnvelope {
    checkClusterName(cluster);
    Checks.nonNegative("incarnation", incarnation);
  }

  /**
   * Checks a cluster name.
   *
   * @throws IllegalArgumentException naming the rule the name breaks
   */
  public static String checkClusterName(String cluster) {
    if (!Checks.isIdText(cluster, MAX_CLUSTER_NAME_LENGTH)) {
      throw new IllegalArgumentException("cluster name must be 1 to "
          + MAX_CLUSTER_NAME_LENGTH
          + " characters of "
          + IdChars.ALLOWED
          + ", was \""
          + IdChars.escape(cluster)
          + "\"");
    }
    return cluster;
  }
}
