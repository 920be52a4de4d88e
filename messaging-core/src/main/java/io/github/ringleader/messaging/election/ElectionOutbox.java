package io.github.ringleader.messaging.election;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;

/** Where the election puts the messages it sends; the node wraps them in envelopes. */
public interface ElectionOutbox {

  /** Sends to one member. */
  void send(NodeId to, ClusterMessage message);

  /** Sends to every member. */
  void sendToAll(ClusterMessage message);
}
