/**
 * Ringleader's core: the node, the client protocol's session model, the virtual-time simulation,
 * the cluster transport SPI and the plug-in points. The packages exported here are the API;
 * everything else (the protocol records and codecs, routing, the election and membership state
 * machines) is internal and may change in any release. See docs/architecture.md, "API and
 * internals".
 */
// "module": the qualified exports name the transport module, which is compiled after this one.
@SuppressWarnings("module")
module io.github.ringleader.messaging.core {
  requires transitive org.jspecify;
  requires transitive java.management; // NodeMetricsJmx hands out an ObjectName
  requires org.slf4j;

  // The API.
  exports io.github.ringleader.messaging.node; // MessagingNode, NodeConfig, NodeListener, NodeId...
  exports io.github.ringleader.messaging.session; // ClientRequest/ServerEvent values, ClientSession
  exports io.github.ringleader.messaging.sim; // SimulatedCluster, SimulatedClient, LinkConditions
  // ClusterTransport and OutboundFrame (a transport carries opaque bytes), ClusterKey.
  exports io.github.ringleader.messaging.transport;
  exports io.github.ringleader.messaging.loop; // EventLoop, ThreadEventLoop
  exports io.github.ringleader.messaging.auth; // Authenticator, FileAuthenticator
  exports io.github.ringleader.messaging.metrics; // NodeMetrics snapshots, the MXBean

  // Internals the transport module builds on: the codecs (frames on the wire) and the client-name
  // rule. Not for users.
  exports io.github.ringleader.messaging.protocol to
      io.github.ringleader.messaging.transport;
  exports io.github.ringleader.messaging.routing to
      io.github.ringleader.messaging.transport;
}
