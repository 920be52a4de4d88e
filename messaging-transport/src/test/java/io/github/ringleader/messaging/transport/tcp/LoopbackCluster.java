package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Whole servers on this host, for the end-to-end tests: server1 … serverN, each a {@link
 * MessagingNode} over its own {@link UdpMulticastTransport} on one loopback group (TTL 0, bound
 * to 127.0.0.1) with quick timings (heartbeat 100 ms, failed after 3 missed, discovery 200 ms),
 * and each serving clients over TCP on 127.0.0.1 at a port of its own choosing.
 *
 * <p>{@link Builder#start()} returns once every node runs and all follow serverN (the highest
 * id) and know all N members. {@link #close()} closes, in order, the clients made through {@link
 * #join}, the TCP servers, the nodes still running, and the transports.
 */
final class LoopbackCluster implements AutoCloseable {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);

  private final List<UdpMulticastTransport> transports = new ArrayList<>();
  private final List<MessagingNode> nodes = new ArrayList<>();
  private final List<TcpClientServer> servers = new ArrayList<>();
  private final List<MessagingClient> clients = new ArrayList<>();

  private LoopbackCluster() {}

  static Builder builder(String clusterName) {
    return new Builder(clusterName);
  }

  /** The node of server {@code index + 1}. */
  MessagingNode node(int index) {
    return nodes.get(index);
  }

  List<MessagingNode> nodes() {
    return nodes;
  }

  /** The TCP server of server {@code index + 1}. */
  TcpClientServer server(int index) {
    return servers.get(index);
  }

  /** The client port of server {@code index + 1}. */
  int port(int index) {
    return servers.get(index).localPort();
  }

  /** Connects {@code name} to server {@code index + 1}; the client is closed with the cluster. */
  MessagingClient join(int index, String name, ClientSession.Listener listener) throws IOException {
    return track(
        MessagingClient.connect("127.0.0.1", port(index), name, listener, TcpTestSupport.WAIT));
  }

  /** Connects as {@code builder} says, within the usual wait; closed with the cluster. */
  MessagingClient join(MessagingClient.Builder builder) throws IOException {
    return track(builder.timeout(TcpTestSupport.WAIT).connect());
  }

  private MessagingClient track(MessagingClient client) {
    clients.add(client);
    return client;
  }

  @Override
  public void close() {
    clients.forEach(MessagingClient::close);
    servers.forEach(TcpClientServer::close);
    for (MessagingNode node : nodes) {
      // A stopped or failed node has closed its loop, and close() would wait a full second for a
      // loop that will never answer; skip those.
      if (node.state() != NodeState.STOPPED && node.state() != NodeState.FAILED) {
        node.close();
      }
    }
    transports.forEach(UdpMulticastTransport::close);
  }

  /** What the tests vary; everything else is as the class comment says. */
  static final class Builder {
    private final String clusterName;
    private int count = 3;
    private @Nullable Duration sessionGrace;
    private @Nullable Function<String, NodeListener> listener;
    private UnaryOperator<TcpServerConfig.Builder> serverConfig = UnaryOperator.identity();
    private BiConsumer<Integer, MessagingNode.Builder> eachNode = (number, node) -> {};
    private boolean advertiseClientPorts;

    private Builder(String clusterName) {
      this.clusterName = clusterName;
    }

    /** How many servers; 3 unless set. */
    Builder servers(int count) {
      this.count = count;
      return this;
    }

    /** The nodes' session grace; the node's default unless set. */
    Builder sessionGrace(Duration sessionGrace) {
      this.sessionGrace = sessionGrace;
      return this;
    }

    /** A listener for each node, made from the node's id. */
    Builder listener(Function<String, NodeListener> listener) {
      this.listener = listener;
      return this;
    }

    /** Adjusts each TCP server's config (host 127.0.0.1 and port 0 are set already). */
    Builder serverConfig(UnaryOperator<TcpServerConfig.Builder> customiser) {
      this.serverConfig = customiser;
      return this;
    }

    /** Adjusts each node's builder, given the server's number (1 … N). */
    Builder eachNode(BiConsumer<Integer, MessagingNode.Builder> customiser) {
      this.eachNode = customiser;
      return this;
    }

    /**
     * Puts each server's client address (127.0.0.1 and its TCP port) in its heartbeats, so that
     * clients can be balanced and redirected. The TCP servers then start before their nodes and
     * hand connections over once the node exists; otherwise they start once a leader is known.
     */
    Builder advertiseClientPorts() {
      this.advertiseClientPorts = true;
      return this;
    }

    /** Starts the servers; on failure closes whatever had started. */
    LoopbackCluster start() throws Exception {
      LoopbackCluster cluster = new LoopbackCluster();
      try {
        startInto(cluster);
        return cluster;
      } catch (Exception | AssertionError e) {
        cluster.close();
        throw e;
      }
    }

    private void startInto(LoopbackCluster cluster) throws Exception {
      int groupPort = UdpTestSupport.freeUdpPort();
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (int number = 1; number <= count; number++) {
        MessagingNode.Builder node = MessagingNode.builder();
        if (advertiseClientPorts) {
          // The client port goes into the heartbeats, so the TCP server binds first and hands its
          // connections to the node once the node exists.
          CompletableFuture<MessagingNode> built = new CompletableFuture<>();
          TcpClientServer tcp = TcpClientServer.start(
              tcpConfig(),
              link -> TcpClientServer.ClientAcceptor.of(built.join()).connect(link));
          cluster.servers.add(tcp);
          node.clientPort(tcp.localPort()).clientHost("127.0.0.1");
          started.add(startNode(cluster, node, number, groupPort, built));
        } else {
          started.add(startNode(cluster, node, number, groupPort, new CompletableFuture<>()));
        }
      }
      for (CompletableFuture<Void> future : started) {
        future.get(5, TimeUnit.SECONDS);
      }
      NodeId leader = NodeId.of("server" + count);
      await(
          () -> "all follow " + leader + " and know each other",
          () -> cluster.nodes.stream()
              .allMatch(n -> leader.equals(n.leader()) && n.view().members().size() == count));
      if (!advertiseClientPorts) {
        for (MessagingNode node : cluster.nodes) {
          cluster.servers.add(TcpClientServer.start(tcpConfig(), node));
        }
      }
    }

    private CompletableFuture<Void> startNode(
        LoopbackCluster cluster,
        MessagingNode.Builder builder,
        int number,
        int groupPort,
        CompletableFuture<MessagingNode> built) {
      UdpMulticastTransport transport =
          new UdpMulticastTransport(UdpTestSupport.testConfig(groupPort).build());
      cluster.transports.add(transport);
      String id = "server" + number;
      builder
          .nodeId(id)
          .clusterName(clusterName)
          .transport(transport)
          .heartbeatInterval(HEARTBEAT)
          .missedHeartbeats(3)
          .discoveryWindow(Duration.ofMillis(200));
      if (sessionGrace != null) {
        builder.sessionGrace(sessionGrace);
      }
      if (listener != null) {
        builder.listener(listener.apply(id));
      }
      eachNode.accept(number, builder);
      MessagingNode node = builder.build();
      built.complete(node);
      cluster.nodes.add(node);
      return node.start();
    }

    private TcpServerConfig tcpConfig() {
      // Every client of these tests comes from 127.0.0.1, and a test that joins in a loop (with
      // the SDK's probes, several connections a join) would meet the per-address join rate, as
      // the loopback tools would: lift it, as they do. TcpClientServerLimitsTest tests the limit.
      return serverConfig
          .apply(TcpServerConfig.builder().host("127.0.0.1").port(0).maxJoinsPerSecondPerAddress(0))
          .build();
    }
  }
}
