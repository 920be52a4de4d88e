package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;

import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.server.MessagingServer;
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
 * MessagingServer} multicasting on one loopback group (TTL 0, bound to 127.0.0.1) with quick
 * timings (heartbeat 100 ms, failed after 3 missed, discovery 200 ms), and serving clients over TCP
 * on 127.0.0.1 at a port of its own choosing, which its heartbeats announce.
 *
 * <p>{@link Builder#start()} returns once every node runs and all follow serverN (the highest
 * id) and know all N members. {@link #close()} closes the clients made through {@link #join},
 * then the servers.
 */
final class LoopbackCluster implements AutoCloseable {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);

  private final List<MessagingServer> servers = new ArrayList<>();
  private final List<MessagingNode> nodes = new ArrayList<>();
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

  /** Server {@code index + 1}. */
  MessagingServer server(int index) {
    return servers.get(index);
  }

  /** The client port of server {@code index + 1}. */
  int port(int index) {
    return servers.get(index).clientPort();
  }

  /** Connects {@code name} to server {@code index + 1}; the client is closed with the cluster. */
  MessagingClient join(int index, String name, MessageListener listener) throws IOException {
    MessagingClient.Builder builder = MessagingClient.builder()
        .address("127.0.0.1", port(index))
        .name(name)
        .messageListener(listener)
        .balance(false)
        .failover(false);
    if (listener instanceof ConnectionListener connections) {
      builder.connectionListener(connections); // a Recorder hears both
    }
    return join(builder);
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
    servers.forEach(MessagingServer::close);
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
     * Puts each server's client host (127.0.0.1) in its heartbeats too and lets the nodes
     * rebalance, so that clients can be balanced and redirected. Without it the nodes do not
     * rebalance, so that no client is moved under a test that places its clients by hand.
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
        String id = "server" + number;
        MessagingNode.Builder node = MessagingNode.builder()
            .nodeId(id)
            .clusterName(clusterName)
            .heartbeatInterval(HEARTBEAT)
            .missedHeartbeats(3)
            .discoveryWindow(Duration.ofMillis(200));
        if (advertiseClientPorts) {
          node.clientHost("127.0.0.1");
        } else {
          node.rebalance(false);
        }
        if (sessionGrace != null) {
          node.sessionGrace(sessionGrace);
        }
        if (listener != null) {
          node.listener(listener.apply(id));
        }
        eachNode.accept(number, node);
        MessagingServer server = MessagingServer.builder()
            .node(node)
            .cluster(UdpTestSupport.testConfig(groupPort).build())
            .clients(tcpConfig())
            .build();
        cluster.servers.add(server);
        // All at once, as servers of a cluster usually come up, then wait for each.
        CompletableFuture<Void> running = server.startAsync();
        started.add(running);
        if (!running.isCompletedExceptionally()) {
          cluster.nodes.add(server.node());
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
