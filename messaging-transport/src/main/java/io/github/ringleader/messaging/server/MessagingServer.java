package io.github.ringleader.messaging.server;

import io.github.ringleader.messaging.loop.ThreadEventLoop;
import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.node.DuplicateNodeIdException;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import io.github.ringleader.messaging.transport.udp.UdpTransportStats;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server of a Ringleader cluster: its event loop, its {@link UdpMulticastTransport} to the
 * other servers, its {@link MessagingNode} and its {@link TcpClientServer} for clients, opened
 * and closed as one.
 *
 * <pre>{@code
 * try (MessagingServer server = MessagingServer.builder()
 *     .node(MessagingNode.builder().nodeId("server1").clusterName("chat"))
 *     .cluster(UdpTransportConfig.builder().build())          // loopback, TTL 0
 *     .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
 *     .build()) {
 *   server.start();                 // bound, discovered, running
 *   int port = server.clientPort(); // the port clients connect to
 *   ...
 * }                                 // goodbye to clients and cluster, then the sockets close
 * }</pre>
 *
 * <p><b>Settings.</b> Everything about the node — id, cluster, timings, capacity, the host
 * announced to clients ({@link MessagingNode.Builder#clientHost}), the cluster key ({@link
 * MessagingNode.Builder#clusterKey}: the node seals and opens the frames the transport carries),
 * authentication, {@link io.github.ringleader.messaging.node.NodeListener}s, JMX — is set on the
 * {@link MessagingNode.Builder} given to {@link Builder#node}; the server sets its transport, its
 * event loop and its client port. TLS and the client limits are in the {@link TcpServerConfig}.
 *
 * <p><b>Start.</b> {@link #start()} binds the client port first, so that a port of 0 works and the
 * node announces the port really bound; then it builds and starts the node, which discovers the
 * cluster, and returns once it runs. A client that connects before then is told the server is not
 * running yet and disconnected. If any step fails, what was opened is closed again and the
 * failure says which step it was.
 *
 * <p><b>Close.</b> {@link #close()} makes the node leave the cluster (the others drop it at once)
 * and say goodbye to each client (which resumes its session elsewhere); waits, at most {@link
 * Builder#closeTimeout}, until the clients' connections have closed, so the goodbyes are written;
 * then closes the listener, the transport and the loop.
 *
 * <p><b>Threads.</b> Every method is safe from any thread. {@link #close()} may be called during
 * {@link #start()} (from a shutdown hook, say): the start then fails with an {@link
 * IllegalStateException}.
 */
public final class MessagingServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MessagingServer.class);

  /** How long {@link #close()} waits for the goodbyes to be written, unless configured. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(1);

  private enum Phase {
    NEW,
    STARTING,
    RUNNING,
    CLOSED
  }

  private final MessagingNode.Builder nodeSettings;
  private final UdpTransportConfig clusterConfig;
  private final TcpServerConfig clientConfig;
  private final Duration closeTimeout;
  private final HandOver handOver = new HandOver();

  private final Object lock = new Object();
  /** The start in progress (completes once the node runs); null before {@link #start()}. */
  private @Nullable CompletableFuture<Void> starting;
  // ---- guarded by lock; set once each, in the order they are opened
  private Phase phase = Phase.NEW;
  private @Nullable TcpClientServer listener;
  private @Nullable ThreadEventLoop loop;
  private @Nullable UdpMulticastTransport transport;
  private @Nullable MessagingNode node;

  private MessagingServer(Builder b) {
    this.nodeSettings = Objects.requireNonNull(b.node, "node settings are required");
    this.clusterConfig = b.cluster;
    this.clientConfig = b.clients;
    this.closeTimeout = b.closeTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the server (see the class comment) and returns once its node runs.
   *
   * @throws IOException if the client port or the cluster transport cannot be opened (the message
   *     says which), or the thread was interrupted ({@link InterruptedIOException})
   * @throws DuplicateNodeIdException if a running server of the cluster has this node's id
   * @throws IllegalArgumentException naming an invalid node setting
   * @throws IllegalStateException if the server was started before, or closed while starting
   */
  public void start() throws IOException, DuplicateNodeIdException {
    CompletableFuture<Void> running = open();
    try {
      running.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new InterruptedIOException("interrupted while server " + nodeName() + " started");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof DuplicateNodeIdException duplicate) {
        throw duplicate;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("server " + nodeName() + " could not start", cause);
    }
  }

  /**
   * As {@link #start()}, without waiting: opens the client port and starts the node, and returns a
   * future that completes once the node runs, or fails with what {@link #start()} would throw
   * (and what was opened is closed). Useful to start several servers at once; {@link #node()} and
   * {@link #clientPort()} answer as soon as this returns with a future not failed already.
   */
  public CompletableFuture<Void> startAsync() {
    try {
      return open();
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Opens the listener, the loop, the transport and the node; the future is the node's start. */
  private CompletableFuture<Void> open() throws IOException {
    CompletableFuture<Void> nodeStarted;
    synchronized (lock) {
      if (phase != Phase.NEW) {
        throw new IllegalStateException("server was already " + phase.name().toLowerCase());
      }
      phase = Phase.STARTING;
      try {
        TcpClientServer tcp = startListener();
        listener = tcp;
        ThreadEventLoop eventLoop = new ThreadEventLoop("ringleader-" + nodeName());
        loop = eventLoop;
        UdpMulticastTransport udp = new UdpMulticastTransport(clusterConfig);
        transport = udp;
        MessagingNode built = nodeSettings
            .clientPort(tcp.localPort())
            .transport(udp)
            .eventLoop(eventLoop)
            .build();
        node = built;
        handOver.node = built;
        nodeStarted = built.start();
      } catch (IOException | RuntimeException e) {
        closeOpened();
        throw e;
      }
    }
    CompletableFuture<Void> running = nodeStarted.handle((ok, failure) -> {
      if (failure != null) {
        closeOpened();
        throw new CompletionException(explain(failure));
      }
      synchronized (lock) {
        if (phase != Phase.STARTING) {
          throw new IllegalStateException("server " + nodeName() + " was closed while starting");
        }
        phase = Phase.RUNNING;
      }
      return null;
    });
    synchronized (lock) {
      starting = running;
    }
    return running;
  }

  private TcpClientServer startListener() throws IOException {
    try {
      return TcpClientServer.start(clientConfig, handOver);
    } catch (IOException e) {
      throw new IOException(
          "cannot accept clients on "
              + clientConfig.host()
              + ":"
              + clientConfig.port()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The node's failure to start, with the step named where the node's own words do not. */
  private Throwable explain(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
    if (cause instanceof IOException io) {
      return new IOException(
          "server " + nodeName() + " cannot talk to its cluster ("
              + clusterConfig.group().getHostAddress() + ":" + clusterConfig.port() + "): "
              + io.getMessage(),
          io);
    }
    return cause;
  }

  /** The node; it exists once {@link #startAsync()} or {@link #start()} has opened the server. */
  public MessagingNode node() {
    synchronized (lock) {
      MessagingNode n = node;
      if (n == null) {
        throw notOpen();
      }
      return n;
    }
  }

  /** The port clients connect to: the one bound, which the node announces to clients. */
  public int clientPort() {
    return openListener().localPort();
  }

  /** The node's state and counters (see {@link MessagingNode#metrics()}). */
  public NodeMetrics metrics() {
    return node().metrics();
  }

  /** The client listener's counters: connections, frames, refusals, back-pressure. */
  public TcpServerStats clientStats() {
    return openListener().stats();
  }

  /**
   * The cluster transport's counters: datagrams and frames, drops. Frames the node refused
   * (malformed, failing the cluster key) are counted in {@link #metrics()}.
   */
  public UdpTransportStats clusterStats() {
    synchronized (lock) {
      UdpMulticastTransport t = transport;
      if (t == null) {
        throw notOpen();
      }
      return t.stats();
    }
  }

  /** Why there is nothing to answer with (called holding the lock). */
  private IllegalStateException notOpen() {
    return new IllegalStateException(
        phase == Phase.NEW
            ? "server " + nodeName() + " is not started"
            : "server " + nodeName()
                + " was closed before it opened (its start failed or was cut short)");
  }

  private TcpClientServer openListener() {
    synchronized (lock) {
      TcpClientServer tcp = listener;
      if (tcp == null) {
        throw notOpen();
      }
      return tcp;
    }
  }

  /**
   * Stops cleanly (see the class comment): the node leaves and says goodbye to its clients, the
   * goodbyes are written (waiting at most the close timeout), then the listener, the transport and
   * the loop close. Safe to call more than once, and before or during {@link #start()}.
   */
  @Override
  public void close() {
    MessagingNode n;
    TcpClientServer tcp;
    synchronized (lock) {
      if (phase == Phase.CLOSED) {
        return;
      }
      phase = Phase.CLOSED;
      n = node;
      tcp = listener;
    }
    if (n != null) {
      n.close(); // goodbyes queued to every client, Leave sent to the cluster
    }
    if (tcp != null && n != null) {
      try {
        if (!tcp.awaitNoConnections(closeTimeout)) {
          log.info(
              "[{}] {} client connection(s) still open after {} ms; closing them",
              nodeName(),
              tcp.stats().open(),
              closeTimeout.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeOpened();
  }

  /**
   * Stops at once, as a killed process would: no leave, no goodbyes; the sockets close. The other
   * servers find out through their failure detector and the clients through the broken
   * connection. For failure drills and tests; {@link #close()} is the way to stop.
   */
  public void terminate() {
    CompletableFuture<Void> start;
    synchronized (lock) {
      if (phase == Phase.CLOSED) {
        return;
      }
      phase = Phase.CLOSED;
      start = starting;
    }
    if (start != null) {
      // The stopped loop can no longer finish the node's start: whoever waits on it hears so.
      start.completeExceptionally(
          new IllegalStateException("server " + nodeName() + " was terminated while starting"));
    }
    ThreadEventLoop l;
    synchronized (lock) {
      l = loop;
    }
    if (l != null) {
      l.close(); // first, so the node sends nothing more
    }
    MessagingNode n = handOver.node;
    if (n != null) {
      n.terminate(); // its transport, and its JMX bean if it has one
    }
    closeOpened();
  }

  /** Closes what is open, listener first, loop last; each close is idempotent. */
  private void closeOpened() {
    TcpClientServer tcp;
    UdpMulticastTransport udp;
    ThreadEventLoop l;
    synchronized (lock) {
      tcp = listener;
      udp = transport;
      l = loop;
      if (phase == Phase.STARTING) {
        phase = Phase.CLOSED;
      }
    }
    if (tcp != null) {
      tcp.close();
    }
    if (udp != null) {
      udp.close();
    }
    if (l != null) {
      l.close();
    }
  }

  private String nodeName() {
    MessagingNode n = handOver.node;
    if (n != null) {
      return n.id().value();
    }
    try {
      return nodeSettings.config().nodeId().value();
    } catch (RuntimeException e) {
      return "(no id)";
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      TcpClientServer tcp = listener;
      return "MessagingServer[" + nodeName() + ", " + phase.name().toLowerCase()
          + (tcp != null ? ", client port " + tcp.localPort() : "") + "]";
    }
  }

  /**
   * Hands each client connection to the node. The listener is bound before the node exists (the
   * node announces the port it bound), so a connection in between is told to come back.
   */
  private static final class HandOver implements TcpClientServer.ClientAcceptor {
    private volatile @Nullable MessagingNode node;

    @Override
    public TcpClientServer.ClientHandler connect(
        io.github.ringleader.messaging.session.ClientLink link) {
      MessagingNode n = node;
      if (n != null) {
        return TcpClientServer.ClientAcceptor.of(n).connect(link);
      }
      link.send(new io.github.ringleader.messaging.session.ServerEvent.Goodbye(
          "server is starting: not running yet"));
      link.close();
      return NOTHING;
    }

    private static final TcpClientServer.ClientHandler NOTHING =
        new TcpClientServer.ClientHandler() {
          @Override
          public void request(io.github.ringleader.messaging.session.ClientRequest request) {}

          @Override
          public void closed() {}
        };
  }

  /** The settings of a {@link MessagingServer}; only {@link #node} is required. */
  public static final class Builder {
    private MessagingNode.@Nullable Builder node;
    private UdpTransportConfig cluster = UdpTransportConfig.builder().build();
    private TcpServerConfig clients = TcpServerConfig.builder().build();
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

    private Builder() {}

    /**
     * Required: the node's settings (id, cluster name, timings, listeners...). The server sets
     * the builder's transport, event loop and client port when it starts; set the others here.
     */
    public Builder node(MessagingNode.Builder node) {
      this.node = Objects.requireNonNull(node, "node");
      return this;
    }

    /** The multicast transport to the other servers (default: loopback, TTL 0, its defaults). */
    public Builder cluster(UdpTransportConfig cluster) {
      this.cluster = Objects.requireNonNull(cluster, "cluster");
      return this;
    }

    /**
     * The listener for clients: host, port (0 picks a free one), limits, TLS (default: {@link
     * TcpServerConfig}'s defaults).
     */
    public Builder clients(TcpServerConfig clients) {
      this.clients = Objects.requireNonNull(clients, "clients");
      return this;
    }

    /**
     * How long {@link MessagingServer#close()} waits for its clients' connections to close after
     * the goodbyes (default 1 s); zero does not wait.
     */
    public Builder closeTimeout(Duration closeTimeout) {
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (closeTimeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must be >= 0, was " + closeTimeout);
      }
      this.closeTimeout = closeTimeout;
      return this;
    }

    /**
     * The server, not started.
     *
     * @throws IllegalStateException if the node settings are missing
     */
    public MessagingServer build() {
      if (node == null) {
        throw new IllegalStateException("node settings are required: call node(...)");
      }
      return new MessagingServer(this);
    }

    /** Builds the server and {@link MessagingServer#start() starts} it. */
    public MessagingServer start() throws IOException, DuplicateNodeIdException {
      MessagingServer server = build();
      server.start();
      return server;
    }
  }
}
