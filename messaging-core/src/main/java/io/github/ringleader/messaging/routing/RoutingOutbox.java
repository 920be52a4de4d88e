package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;

/**
 * Where routing sends cluster messages. The node delivers messages addressed to itself (and its
 * own copies of messages to all) locally, after the current event.
 */
public interface RoutingOutbox {
  void send(NodeId to, ClusterMessage message);

  void sendToAll(ClusterMessage message);
}
