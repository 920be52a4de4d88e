package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.loop.ThreadEventLoop;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;

/**
 * One server run inside a command's process (bench, failover): its event loop, its UDP transport
 * on the loopback interface, its node and its client listener on 127.0.0.1.
 */
record InProcessServer(
    String id,
    MessagingNode node,
    ThreadEventLoop loop,
    UdpMulticastTransport transport,
    TcpClientServer tcp) {

  /**
   * Starts server {@code id} from {@code settings} (cluster, timings, client port...), multicasting
   * on {@code mcastPort}, and accepts clients on {@code clientPort} (0: any free port).
   */
  static InProcessServer start(
      String id, MessagingNode.Builder settings, int mcastPort, int clientPort) throws IOException {
    ThreadEventLoop loop = new ThreadEventLoop("ringleader-" + id);
    UdpMulticastTransport transport =
        new UdpMulticastTransport(UdpTransportConfig.builder().port(mcastPort).build());
    MessagingNode node =
        settings.nodeId(id).transport(transport).eventLoop(loop).build();
    node.start();
    try {
      // Every client of an in-process cluster comes from 127.0.0.1, and a bench or a test joins
      // dozens at once: no limit per address, on open connections or on joins.
      TcpClientServer tcp = TcpClientServer.start(
          TcpServerConfig.builder()
              .host("127.0.0.1")
              .port(clientPort)
              .maxConnectionsPerAddress(TcpServerConfig.DEFAULT_MAX_CONNECTIONS)
              .maxJoinsPerSecondPerAddress(0)
              .build(),
          node);
      return new InProcessServer(id, node, loop, transport, tcp);
    } catch (IOException e) {
      node.close();
      loop.close();
      throw e;
    }
  }

  /** As kill -9 would: it stops in its tracks, its sockets close; no goodbye, no leave. */
  void crash() {
    loop.close();
    transport.close();
    tcp.close();
  }

  /** A clean shutdown: goodbye to its clients and leave to the cluster, then the listener closes. */
  void stop() {
    node.close();
    tcp.close();
    loop.close();
  }
}
