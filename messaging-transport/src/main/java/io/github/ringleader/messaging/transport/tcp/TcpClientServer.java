package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import io.github.ringleader.messaging.transport.udp.LogThrottle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's TCP listener for clients: accepts connections, turns each into a {@link ClientLink}
 * for the node ({@link ClientAcceptor}), reassembles the inbound byte stream into {@link
 * ClientCodec} frames and hands the decoded requests on; encodes the node's events onto a bounded
 * per-connection queue and writes them out.
 *
 * <p><b>Threads.</b> One selector thread does all socket I/O for every connection; there is no
 * thread per client. {@link ClientLink#send} and {@link ClientLink#close} may be called from any
 * thread (the node calls them on its event loop): they encode, enqueue and wake the selector,
 * and never block.
 *
 * <p><b>Back-pressure.</b> The server hands a client's requests to the node only as fast as the
 * node answers them and no faster than a set rate; beyond that it stops reading from that client's
 * socket, so TCP flow control slows the client down instead of anything being refused or queued
 * without bound in the node:
 *
 * <ul>
 *   <li>Once {@link TcpServerConfig#maxInFlightSends()} of a client's sends are unanswered (handed
 *       to the node, no {@code Accepted} or {@code Rejected} sent back yet through its link), the
 *       server stops reading from it, and reads on when an answer brings the count below the
 *       bound.
 *   <li>Once {@value #MAX_OTHER_REQUESTS_IN_FLIGHT} of a client's other requests (Hello, ListUsers,
 *       ...) are unanswered, the server stops reading from it likewise, so repeating them cannot
 *       fill the node's queue either.
 *   <li>Once {@link TcpServerConfig#maxInFlightSendsAllClients()} sends of all clients together
 *       are unanswered, or other clients already wait, a client's next send waits for its turn
 *       ({@link SendTurns}): turns go round the waiting clients, one send each, as answers come.
 *       Behind the server is one queue for every client, so this is what bounds how long one
 *       client's flood delays another's send: at most that budget plus one send per client
 *       waiting before it, however many flood.
 *   <li>A client whose requests (of any kind) come faster than {@link
 *       TcpServerConfig#maxRequestsPerSecond()}, after a burst of {@link
 *       TcpServerConfig#requestBurst()}, is not read from until the rate allows its next request.
 * </ul>
 *
 * A paused client loses nothing: requests already received stay where they are, in order, until
 * reading resumes. Pauses are counted ({@link TcpServerStats#pausedForInFlight()}, {@link
 * TcpServerStats#pausedForRate()}, {@link TcpServerStats#pausedForTurn()}). The other clients are read as usual meanwhile.
 *
 * <p><b>What it promises.</b>
 *
 * <ul>
 *   <li>A malformed or oversized frame from one client gets that client {@code
 *       Goodbye("malformed frame: <reason>")} and its connection closed, counted by reason;
 *       nobody else is affected. An oversized announcement is refused before anything is
 *       allocated for it: each connection holds at most one frame's worth (16 KiB) of input.
 *   <li>A client that stops reading is disconnected, with a logged reason, once its queue holds
 *       {@link TcpServerConfig#maxQueuedFrames()} frames or {@link
 *       TcpServerConfig#maxQueuedBytes()} bytes; the node never blocks on it.
 *   <li>A connection that sends nothing for {@link TcpServerConfig#idleTimeout()} is sent a
 *       goodbye and closed. There is no keepalive frame in protocol version 1: a quiet client
 *       that wants to stay must send something (a ListUsers) now and then. Time during which the
 *       server itself is not reading from a client (back-pressure) does not count as idle.
 *   <li>At most {@link TcpServerConfig#maxConnectionsPerAddress()} connections are open from one
 *       IP address; one more from it is sent {@code Goodbye("too many connections from <address>
 *       (limit <n>)")} and closed at once, before the node hears of it. A connection beyond
 *       {@link TcpServerConfig#maxConnections()} is turned away the same way ({@code "server
 *       full: ..."}).
 *   <li>An address opens at most {@link TcpServerConfig#joinBurstPerAddress()} connections at
 *       once and {@link TcpServerConfig#maxJoinsPerSecondPerAddress()} a second on average,
 *       whether they stay open or not; one more is sent {@code Goodbye("too many joins from
 *       <address>: at most <n> a second")} and closed at once, before the node hears of it. The
 *       state kept per address ({@link AddressLimits}) is bounded: addresses with a connection
 *       open (at most {@code maxConnections}) and at most {@code maxConnections} others whose join
 *       rate is still recovering.
 *   <li>A connection that has not joined (no {@code Welcome} or {@code Resumed} sent through its
 *       link) {@link TcpServerConfig#helloTimeout()} after it was accepted is sent a goodbye and
 *       closed, however much it sends meanwhile.
 *   <li>Refusals by the per-address limits and hello deadlines are logged to {@code
 *       ringleader.audit} with the peer's address: the first of each reason, then every 100th.
 *   <li>Whenever a connection ends, for whatever reason, its handler's {@link
 *       ClientHandler#closed()} is called exactly once.
 *   <li>With {@link TcpServerConfig#tls()} the port speaks TLS 1.3 only, through a {@link
 *       TlsChannel} per connection (the plaintext path is untouched when it is off). The
 *       handshake comes first and must finish within the hello timeout (else the connection is
 *       closed, {@code TLS_HANDSHAKE_TIMEOUT}); the time to join starts when it is done. A failed
 *       handshake ({@code TLS_HANDSHAKE_FAILED}) and a plaintext client ({@code
 *       PLAINTEXT_ON_TLS_PORT}, told so in a plaintext goodbye) are closed and audited. Changed
 *       key files are loaded for new connections ({@link ServerTls}).
 * </ul>
 */
public final class TcpClientServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TcpClientServer.class);
  private static final Logger audit = LoggerFactory.getLogger("ringleader.audit");

  /** Longest "malformed frame: ..." reason, well inside a goodbye's 512 bytes. */
  private static final int MAX_GOODBYE_DETAIL = 400;
  /** Frames handed to one gathering write, at most. */
  private static final int WRITE_BATCH = 64;

  /**
   * The goodbye a plaintext client gets on a TLS port, in plaintext: the client SDK recognises it
   * and tells its user to configure TLS.
   */
  public static final String TLS_ONLY_GOODBYE = "this port speaks TLS: connect with TLS";

  /**
   * Requests other than sends (a Hello, a ListUsers, ...) of one client that may be unanswered
   * at once. A client needs one at a time; without a bound a client repeating them could put as
   * many in the node's queue, ahead of everyone's sends, as its request rate allows.
   */
  static final int MAX_OTHER_REQUESTS_IN_FLIGHT = 8;

  /** A client connection as the node sees it: where its requests go. */
  public interface ClientHandler {
    /**
     * The client's next request. Called on the selector thread; must not block. A {@link
     * ClientRequest.Send} counts against the client's {@link TcpServerConfig#maxInFlightSends()}
     * until its {@link ServerEvent.Accepted} or {@link ServerEvent.Rejected} is sent through the
     * connection's link, so every send must be answered exactly once (or the link closed).
     */
    void request(ClientRequest request);

    /** The connection is gone. Called once, on the selector thread; must not block. */
    void closed();
  }

  /** Gives each new connection's link to the node and returns where its requests go. */
  @FunctionalInterface
  public interface ClientAcceptor {
    ClientHandler connect(ClientLink link);

    /** The acceptor for a real node: {@link MessagingNode#connectClient}. */
    static ClientAcceptor of(MessagingNode node) {
      return link -> {
        MessagingNode.ClientConnection connection = node.connectClient(link);
        return new ClientHandler() {
          @Override
          public void request(ClientRequest request) {
            connection.request(request);
          }

          @Override
          public void closed() {
            connection.closed();
          }
        };
      };
    }
  }

  private final TcpServerConfig config;
  private final ClientAcceptor acceptor;
  private final LongSupplier nanoClock;
  private final long closeGraceNanos;
  private final Selector selector;
  private final ServerSocketChannel serverChannel;
  private final int localPort;
  private final Thread thread;
  private volatile boolean running = true;
  /** The TLS identity when the port speaks TLS ({@link TcpServerConfig#tls()}), else null. */
  private final @Nullable ServerTls tls;

  /** Connections with output to write or a close to carry out, from other threads. */
  private final Queue<Connection> pending = new ConcurrentLinkedQueue<>();

  /** An event and its frame; frames are never changed once encoded, so they can be shared. */
  private record EncodedEvent(ServerEvent event, byte[] frame) {}

  /** The message encoded last, for the next recipient of the same message. */
  private volatile @Nullable EncodedEvent lastEncoded;

  // ---- owned by the selector thread
  private final Set<Connection> connections = new HashSet<>();

  /** Open connections and join rates by the client's address. */
  private final AddressLimits byAddress;

  /** The sends in flight of all connections together, handed out in turn (fair queuing). */
  private final SendTurns<Connection> turns;

  /** Connections refused for their address's join rate (for the audit log's throttle). */
  private long joinsRefused;

  /** Connections closed for not joining in time (for the audit log's throttle). */
  private long helloDeadlinesMissed;

  /** TLS connections closed for not finishing the handshake in time (for the throttle). */
  private long handshakeDeadlinesMissed;

  /** Where what a refused client sent before its refusal is read into and dropped. */
  private final ByteBuffer discard = ByteBuffer.allocate(ClientCodec.MAX_CLIENT_FRAME_BYTES);

  /**
   * Connections paused for their request rate, soonest resumption first (closed ones linger until
   * due). Times are compared by their difference, which is right across the clock's wrap-around.
   */
  private final PriorityQueue<Connection> waitingForRate =
      new PriorityQueue<>((a, b) -> Long.signum(a.resumeAtNanos - b.resumeAtNanos));

  // ---- counters, read from any thread
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong framesIn = new AtomicLong();
  private final AtomicLong framesOut = new AtomicLong();
  private final AtomicLongArray closedBy = new AtomicLongArray(CloseReason.values().length);
  private final AtomicLongArray malformedBy =
      new AtomicLongArray(CodecException.Reason.values().length);
  private final AtomicLong pausedForInFlight = new AtomicLong();
  private final AtomicLong pausedForRate = new AtomicLong();
  private final AtomicLong pausedForTurn = new AtomicLong();
  private final AtomicLong pausedNow = new AtomicLong();

  private TcpClientServer(TcpServerConfig config, ClientAcceptor acceptor, LongSupplier nanoClock)
      throws IOException {
    this.config = config;
    this.acceptor = acceptor;
    this.nanoClock = nanoClock;
    this.closeGraceNanos = config.closeGrace().toNanos();
    TlsServerSettings tlsSettings = config.tls();
    this.tls = tlsSettings == null
        ? null
        : ServerTls.load(tlsSettings, java.time.Clock.systemUTC(), nanoClock.getAsLong());

    this.turns = new SendTurns<>(config.maxInFlightSendsAllClients());
    this.byAddress = new AddressLimits(
        config.maxConnectionsPerAddress(),
        config.maxJoinsPerSecondPerAddress(),
        config.joinBurstPerAddress(),
        config.maxConnections());
    this.selector = Selector.open();
    try {
      this.serverChannel = ServerSocketChannel.open();
      serverChannel.bind(new InetSocketAddress(config.host(), config.port()));
      serverChannel.configureBlocking(false);
      serverChannel.register(selector, SelectionKey.OP_ACCEPT);
      this.localPort = ((InetSocketAddress) serverChannel.getLocalAddress()).getPort();
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
    this.thread = new Thread(this::run, "ringleader-tcp-" + localPort);
    thread.setDaemon(true);
  }

  /**
   * Binds {@code config.host():config.port()} and starts serving, handing connections to {@code
   * acceptor}.
   *
   * @throws IOException if the address cannot be bound
   */
  public static TcpClientServer start(TcpServerConfig config, ClientAcceptor acceptor)
      throws IOException {
    return start(config, acceptor, System::nanoTime);
  }

  /**
   * As {@link #start(TcpServerConfig, ClientAcceptor)}, with the clock that times idle
   * connections, closing grace and request rates: {@link System#nanoTime()}-style, read on the
   * selector thread. For tests, which advance a manual clock instead of sleeping.
   */
  static TcpClientServer start(
      TcpServerConfig config, ClientAcceptor acceptor, LongSupplier nanoClock) throws IOException {
    TcpClientServer server = new TcpClientServer(config, acceptor, nanoClock);
    server.thread.start();
    TlsServerSettings tlsSettings = config.tls();
    log.info(
        "listening for clients on {}:{}{}",
        config.host(),
        server.localPort,
        tlsSettings == null
            ? ""
            : " (TLS 1.3 only"
                + (tlsSettings.clientCa() != null ? ", client certificates required)" : ")"));
    return server;
  }

  /** Binds and starts serving the clients of {@code node}. */
  public static TcpClientServer start(TcpServerConfig config, MessagingNode node)
      throws IOException {
    return start(config, ClientAcceptor.of(node));
  }

  /** The port bound, which is the one picked when the config said 0. */
  public int localPort() {
    return localPort;
  }

  public TcpServerConfig config() {
    return config;
  }

  /**
   * The port's TLS identity, or null when it speaks plaintext; for tests, which reload it by hand
   * ({@link ServerTls#reloadIfChanged()}).
   */
  @Nullable
  ServerTls tls() {
    return tls;
  }

  /** A snapshot of the counters. */
  public TcpServerStats stats() {
    Map<CloseReason, Long> closed = new EnumMap<>(CloseReason.class);
    for (CloseReason reason : CloseReason.values()) {
      long count = closedBy.get(reason.ordinal());
      if (count > 0) {
        closed.put(reason, count);
      }
    }
    Map<CodecException.Reason, Long> malformed = new EnumMap<>(CodecException.Reason.class);
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      long count = malformedBy.get(reason.ordinal());
      if (count > 0) {
        malformed.put(reason, count);
      }
    }
    return new TcpServerStats(
        accepted.get(),
        open.get(),
        closed,
        malformed,
        framesIn.get(),
        framesOut.get(),
        pausedForInFlight.get(),
        pausedForRate.get(),
        pausedForTurn.get(),
        pausedNow.get());
  }

  /**
   * Stops accepting, closes every connection (their handlers hear {@code closed()}) and the
   * listening socket, and waits (up to a few seconds) for the selector thread to finish. Safe to
   * call more than once and from any thread.
   */
  @Override
  public void close() {
    running = false;
    selector.wakeup();
    if (Thread.currentThread() != thread && thread.isAlive()) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        log.warn("selector thread of port {} did not stop within 5 s", localPort);
      }
    }
  }

  // ---------------------------------------------------------------- the selector thread

  private void run() {
    long idleNanos = config.idleTimeout().toNanos();
    long helloNanos = config.helloTimeout().toNanos();
    long shortestNanos =
        idleNanos == 0 ? helloNanos : helloNanos == 0 ? idleNanos : Math.min(idleNanos, helloNanos);
    long sweepMillis = shortestNanos == 0
        ? config.closeGrace().toMillis()
        : Math.max(10, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(shortestNanos) / 4));
    sweepMillis = Math.max(10, Math.min(sweepMillis, config.closeGrace().toMillis()));
    long sweepNanos = TimeUnit.MILLISECONDS.toNanos(sweepMillis);
    long nextSweepNanos = nanoClock.getAsLong() + sweepNanos;
    try {
      while (running) {
        // Wake for the next sweep or the next rate-limited connection due, whichever is first.
        long wakeAtNanos = nextSweepNanos;
        Connection nextDue = waitingForRate.peek();
        if (nextDue != null && nextDue.resumeAtNanos - wakeAtNanos < 0) {
          wakeAtNanos = nextDue.resumeAtNanos;
        }
        selector.select(selectTimeoutMillis(nanoClock.getAsLong(), wakeAtNanos));
        if (!running) {
          break;
        }
        Set<SelectionKey> ready = selector.selectedKeys();
        for (SelectionKey key : ready) {
          Object attachment = key.attachment();
          if (attachment instanceof Connection c) {
            guarded(c, () -> handleReady(key, c));
          } else {
            try {
              if (key.isValid() && key.isAcceptable()) {
                acceptAll();
              }
            } catch (RuntimeException e) {
              log.error("unexpected error on the listening socket", e);
            }
          }
        }
        ready.clear();
        Connection c;
        while ((c = pending.poll()) != null) {
          c.queued.set(0);
          guarded(c, c::serviceFromOtherThreads);
        }
        long now = nanoClock.getAsLong();
        resumeRateLimited(now);
        giveTurns(now);
        if (now - nextSweepNanos >= 0) {
          sweep(now, idleNanos, helloNanos);
          byAddress.forgetRested(now);
          nextSweepNanos = now + sweepNanos;
          if (tls != null) {
            tls.reloadIfDue(now); // a cheap check unless the check interval has passed
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.error("client listener on port {} failed; closing every connection", localPort, e);
    } finally {
      shutdown();
    }
  }

  /**
   * Runs {@code action} on {@code c}; one connection's trouble (a handler that threw) must not stop
   * the others, so it closes that connection only.
   */
  private static void guarded(Connection c, Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.error("closing {} after an unexpected error", c, e);
      c.closeNow(CloseReason.BROKEN);
    }
  }

  private void handleReady(SelectionKey key, Connection c) {
    if (!key.isValid()) {
      return;
    }
    if (key.isReadable()) {
      c.read();
    }
    if (key.isValid() && key.isWritable()) {
      c.flush();
    }
  }

  private void acceptAll() {
    for (int i = 0; i < 64; i++) { // bounded per round, so reads get their turn
      SocketChannel channel;
      try {
        channel = serverChannel.accept();
      } catch (IOException e) {
        log.warn("accepting a client failed: {}", e.toString());
        return;
      }
      if (channel == null) {
        return;
      }
      accepted.incrementAndGet();
      if (connections.size() >= config.maxConnections()) {
        closedBy.incrementAndGet(CloseReason.TOO_MANY_CONNECTIONS.ordinal());
        log.warn(
            "refusing a client connection: already {} open (maxConnections)", connections.size());
        refuse(
            channel,
            "server full: already " + connections.size() + " connections (limit "
                + config.maxConnections() + ")");
        continue;
      }
      InetAddress address;
      try {
        address = ((InetSocketAddress) channel.getRemoteAddress()).getAddress();
      } catch (IOException | RuntimeException e) {
        closedBy.incrementAndGet(CloseReason.BROKEN.ordinal());
        log.debug("a client connection closed before its address could be read: {}", e.toString());
        closeQuietly(channel);
        continue;
      }
      AddressLimits.Admission admission = byAddress.admit(address, nanoClock.getAsLong());
      if (admission == AddressLimits.Admission.TOO_MANY_JOINS) {
        refuseJoin(channel, address);
        continue;
      }
      if (admission == AddressLimits.Admission.TOO_MANY_OPEN) {
        String reason = "too many connections from " + address.getHostAddress() + " (limit "
            + config.maxConnectionsPerAddress() + ")";
        long count = closedBy.incrementAndGet(CloseReason.TOO_MANY_FROM_ADDRESS.ordinal());
        if (LogThrottle.worthLogging(count)) {
          audit.warn(
              "refused a client connection from {}: {} (refusal {} for this reason)",
              address.getHostAddress(),
              reason,
              count);
        }
        refuse(channel, reason);
        continue;
      }
      try {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (config.socketSendBufferBytes() > 0) {
          channel.setOption(StandardSocketOptions.SO_SNDBUF, config.socketSendBufferBytes());
        }
        Connection c = new Connection(channel, address);
        c.key = channel.register(selector, SelectionKey.OP_READ, c);
        connections.add(c);
        open.incrementAndGet();
        try {
          c.handler = acceptor.connect(c);
        } catch (RuntimeException e) {
          log.error("the acceptor failed for {}; closing it", c, e);
          c.closeNow(CloseReason.BROKEN);
        }
      } catch (IOException e) {
        log.warn("setting up a client connection failed: {}", e.toString());
        byAddress.closed(address, nanoClock.getAsLong());
        closeQuietly(channel);
      }
    }
  }

  private void refuseJoin(SocketChannel channel, InetAddress address) {
    String reason = "too many joins from " + address.getHostAddress() + ": at most "
        + config.maxJoinsPerSecondPerAddress() + " a second";
    closedBy.incrementAndGet(CloseReason.TOO_MANY_JOINS_FROM_ADDRESS.ordinal());
    long count = ++joinsRefused;
    if (LogThrottle.worthLogging(count)) {
      audit.warn(
          "refused a client connection from {}: {} (refusal {} for this reason)",
          address.getHostAddress(),
          reason,
          count);
    }
    refuse(channel, reason);
  }

  /**
   * Turns a connection away before the node hears of it: sends the client {@code Goodbye(reason)}
   * (a fresh socket's send buffer takes its few bytes at once) and closes it; nothing is kept for
   * it. Whatever the client sent already is read and dropped first, so that the close does not
   * reset the connection, which could discard the goodbye before the client reads it.
   */
  private void refuse(SocketChannel channel, String reason) {
    try {
      channel.configureBlocking(false);
      // On a TLS port nothing of the client protocol goes out before a handshake, so a refused
      // client is closed without a word (its SDK reports the handshake ended); only a client
      // that spoke plaintext is answered in plaintext.
      if (tls == null || reason.equals(TLS_ONLY_GOODBYE)) {
        channel.write(ByteBuffer.wrap(ClientCodec.encodeEvent(new ServerEvent.Goodbye(reason))));
      }
      channel.shutdownOutput();
      for (int i = 0; i < 4; i++) { // bounded: what has arrived so far, a few frames at most
        discard.clear();
        if (channel.read(discard) <= 0) {
          break;
        }
      }
    } catch (IOException e) {
      log.debug("telling a refused client why failed: {}", e.toString());
    }
    closeQuietly(channel);
  }

  /**
   * Ends the output (what was written, a TLS alert, still arrives) and reads and drops what the
   * client sent already, bounded, so that closing does not reset the connection, which could
   * discard the last bytes before the client reads them.
   */
  private void drainBeforeClose(SocketChannel channel) {
    try {
      channel.shutdownOutput();
      for (int i = 0; i < 4; i++) {
        discard.clear();
        if (channel.read(discard) <= 0) {
          break;
        }
      }
    } catch (IOException e) {
      log.debug("draining a closing connection failed: {}", e.toString());
    }
  }

  /**
   * How long the selector may block to wake at {@code wakeAtNanos}: rounded up to whole
   * milliseconds, so it never wakes early and spins, and at least one (0 would mean forever).
   */
  static long selectTimeoutMillis(long nowNanos, long wakeAtNanos) {
    long untilNanos = wakeAtNanos - nowNanos;
    return untilNanos <= 0 ? 1 : Math.max(1, (untilNanos - 1) / 1_000_000 + 1);
  }

  /** Reads on from the connections whose request rate allows it by {@code now}. */
  private void resumeRateLimited(long now) {
    Connection c;
    while ((c = waitingForRate.peek()) != null && now - c.resumeAtNanos >= 0) {
      waitingForRate.poll();
      if (!c.closed && c.readState == ReadState.PAUSED_FOR_RATE) {
        Connection resumed = c;
        guarded(resumed, () -> resumed.resume(now));
      }
    }
  }

  /** Lets the connections waiting for a turn hand on a send each, in order, while the budget lasts. */
  private void giveTurns(long now) {
    Connection c;
    while ((c = turns.nextTurn()) != null) {
      if (!c.closed && c.readState == ReadState.PAUSED_FOR_TURN) {
        Connection next = c;
        guarded(next, () -> next.resume(now));
      }
      turns.endTurn();
    }
  }

  private void sweep(long now, long idleNanos, long helloNanos) {
    List<Connection> expired = new ArrayList<>();
    List<Connection> notJoined = new ArrayList<>();
    for (Connection c : connections) {
      if (c.closingSince != 0 && now - c.closingSince >= closeGraceNanos) {
        expired.add(c);
      } else if (helloNanos > 0
          && c.closingSince == 0
          && !c.joined
          && now - c.acceptedAtNanos >= helloNanos) {
        notJoined.add(c);
      } else if (idleNanos > 0
          && c.closingSince == 0
          && c.readState == ReadState.READING
          && now - c.lastInboundNanos >= idleNanos) {
        // A connection the server is not reading from cannot be blamed for its silence.
        expired.add(c);
      }
    }
    for (Connection c : expired) {
      if (c.closingSince != 0) {
        c.closeNow(c.closingReason);
      } else {
        log.info("closing {}: sent nothing for {}", c, config.idleTimeout());
        c.goodbyeAndClose(
            "idle for more than " + config.idleTimeout().toMillis() + " ms", CloseReason.IDLE);
      }
    }
    for (Connection c : notJoined) {
      TlsChannel t = c.tlsChannel;
      if (t != null && !t.handshakeDone()) {
        // Nothing can be said in the client protocol before the handshake: just close.
        long count = ++handshakeDeadlinesMissed;
        if (LogThrottle.worthLogging(count)) {
          audit.warn(
              "closing a client connection from {}: did not complete the TLS handshake within {}"
                  + " ms (closure {} for this reason)",
              c.address.getHostAddress(),
              config.helloTimeout().toMillis(),
              count);
        }
        c.closeNow(CloseReason.TLS_HANDSHAKE_TIMEOUT);
        continue;
      }
      String reason = "did not join within " + config.helloTimeout().toMillis() + " ms";
      long count = ++helloDeadlinesMissed;
      if (LogThrottle.worthLogging(count)) {
        audit.warn(
            "closing a client connection from {}: {} (closure {} for this reason)",
            c.address.getHostAddress(),
            reason,
            count);
      }
      c.goodbyeAndClose(reason, CloseReason.HELLO_TIMEOUT);
    }
  }

  private void shutdown() {
    running = false;
    for (Connection c : new ArrayList<>(connections)) {
      c.closeNow(CloseReason.SHUTDOWN);
    }
    closeQuietly(serverChannel);
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("closing the selector failed", e);
    }
    // Links closed from now on have nobody to hand them to; drop them.
    pending.clear();
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      log.debug("close failed", e);
    }
  }

  // ---------------------------------------------------------------- one connection

  /** Whether the server reads from a connection. */
  private enum ReadState {
    /** Reading: requests go to the node as they arrive. */
    READING,
    /** Not reading: {@link TcpServerConfig#maxInFlightSends()} sends wait for their answers. */
    PAUSED_FOR_IN_FLIGHT,
    /** Not reading: the client went faster than {@link TcpServerConfig#maxRequestsPerSecond()}. */
    PAUSED_FOR_RATE,
    /**
     * Not reading: a send waits for its turn, all clients' sends in flight being at {@link
     * TcpServerConfig#maxInFlightSendsAllClients()} or others waiting first ({@link SendTurns}).
     */
    PAUSED_FOR_TURN
  }

  /** One client connection. Fields without a note belong to the selector thread. */
  private final class Connection implements ClientLink {
    private final SocketChannel channel;
    private final InetAddress address;
    private final String remote;
    /** When the time to join started: at accept, or when the TLS handshake finished. */
    private long acceptedAtNanos = nanoClock.getAsLong();
    /** TLS between the socket and the buffers, when the port speaks TLS; else null. */
    private final @Nullable TlsChannel tlsChannel;
    /** Whether the node welcomed the client or resumed its session; set by {@link #send}. */
    private volatile boolean joined;

    private @Nullable SelectionKey key;
    private @Nullable ClientHandler handler;
    private final ByteBuffer in = ByteBuffer.allocate(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    /** Frames being written, in order, the first maybe partly; unused slots null. */
    private final @Nullable ByteBuffer[] writing = new ByteBuffer[WRITE_BATCH];

    private long lastInboundNanos = nanoClock.getAsLong();
    /** When a close after flushing began (0 = not closing); the grace runs from here. */
    private long closingSince;

    private CloseReason closingReason = CloseReason.SERVER_CLOSED;
    private boolean closed;
    private ReadState readState = ReadState.READING;
    /** With TLS: whether the end of the handshake has been seen (and the hello time restarted). */
    private boolean handshakeNoticed;
    /** A request decoded but not handed on yet because the connection paused; it goes first. */
    private @Nullable ClientRequest held;
    /** While {@link ReadState#PAUSED_FOR_RATE}: when to read on. */
    private long resumeAtNanos;

    private final @Nullable TokenBucket rate = config.maxRequestsPerSecond() == 0
        ? null
        : new TokenBucket(
            config.maxRequestsPerSecond(), config.requestBurst(), nanoClock.getAsLong());

    // ---- shared with the threads that call send and close
    private final Queue<byte[]> outbound = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger queued = new AtomicInteger();
    /**
     * Sends handed to the node and not answered yet: raised on the selector thread before a send
     * is handed on, lowered by {@link #send} when the answer goes out.
     */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests other than sends handed to the node and not answered yet; as {@link #inFlight}. */
    private final AtomicInteger otherInFlight = new AtomicInteger();

    private volatile boolean closeRequested;
    private volatile @Nullable String overflow;
    private volatile boolean gone;

    Connection(SocketChannel channel, InetAddress address) {
      this.channel = channel;
      this.address = address;
      SocketAddress remoteAddress = null;
      try {
        remoteAddress = channel.getRemoteAddress();
      } catch (IOException e) {
        // leave it unknown
      }
      this.remote = "client " + (remoteAddress == null ? "?" : remoteAddress.toString());
      ServerTls serverTls = tls;
      if (serverTls == null) {
        this.tlsChannel = null;
      } else {
        serverTls.reloadIfDue(nanoClock.getAsLong()); // new files serve from this connection on
        int port = remoteAddress instanceof InetSocketAddress a ? a.getPort() : 0;
        this.tlsChannel =
            new TlsChannel(channel, serverTls.newEngine(address.getHostAddress(), port));
      }
    }

    @Override
    public String toString() {
      return remote;
    }

    /** The client's IP address (for the node's sign-in throttle and audit log). */
    @Override
    public String peer() {
      return address.getHostAddress();
    }

    // ---- ClientLink: any thread

    @Override
    public void send(ServerEvent event) {
      if (event instanceof ServerEvent.Welcome || event instanceof ServerEvent.Resumed) {
        joined = true;
      }
      if (event instanceof ServerEvent.Accepted || event instanceof ServerEvent.Rejected) {
        // Never below 0, so answers to sends the server never counted cannot widen the window.
        // The wake() below (every send wakes the selector) lets a paused connection read on.
        if (inFlight.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
          turns.release(1);
        }
      } else if (answersOtherRequest(event)) {
        otherInFlight.updateAndGet(n -> n > 0 ? n - 1 : 0); // unasked ones widen it for a moment
      }
      if (gone || closeRequested || overflow != null) {
        if (turns.anyWaiting()) {
          selector.wakeup(); // the wake() below is skipped; another connection's turn may be due
        }
        return;
      }
      byte[] frame;
      try {
        frame = encode(event);
      } catch (IllegalArgumentException e) {
        log.error("{}: cannot encode {}; closing the connection", remote, event, e);
        closeRequested = true;
        wake();
        return;
      }
      int frames = queuedFrames.incrementAndGet();
      long bytes = queuedBytes.addAndGet(frame.length);
      if (frames > config.maxQueuedFrames() || bytes > config.maxQueuedBytes()) {
        queuedFrames.decrementAndGet();
        queuedBytes.addAndGet(-frame.length);
        overflow =
            "its outbound queue is full (" + (frames - 1) + " frames, " + (bytes - frame.length)
                + " bytes queued; limits " + config.maxQueuedFrames() + " frames, "
                + config.maxQueuedBytes() + " bytes): it stopped reading";
      } else {
        outbound.add(frame);
      }
      wake();
    }

    @Override
    public void close() {
      closeRequested = true;
      wake();
    }

    private void wake() {
      if (queued.compareAndSet(0, 1)) {
        pending.add(this);
        selector.wakeup();
      }
    }

    /**
     * A message goes to every recipient on this server as one object, one after another: it is
     * encoded once, and the recipients share the bytes.
     */
    private byte[] encode(ServerEvent event) {
      EncodedEvent last = lastEncoded;
      if (last != null && last.event() == event) {
        return last.frame();
      }
      byte[] frame = ClientCodec.encodeEvent(fit(event));
      if (event instanceof ServerEvent.Message) {
        lastEncoded = new EncodedEvent(event, frame);
      }
      return frame;
    }

    private ServerEvent fit(ServerEvent event) {
      if (event instanceof ServerEvent.Users users) {
        int fit = ClientCodec.maxUsersThatFit(users.names());
        if (fit < users.names().size()) {
          log.warn(
              "{}: {} users do not fit one frame; sending the first {}",
              remote,
              users.names().size(),
              fit);
          return new ServerEvent.Users(users.names().subList(0, fit));
        }
      }
      return event;
    }

    // ---- the selector thread

    void serviceFromOtherThreads() {
      if (closed) {
        return;
      }
      String overflowReason = overflow;
      if (overflowReason != null) {
        log.warn("disconnecting {}: {}", remote, overflowReason);
        closeNow(CloseReason.SLOW_READER);
        return;
      }
      flush();
      if (!closed && closeRequested && closingSince == 0) {
        startClosing(CloseReason.SERVER_CLOSED);
      }
      if (!closed
          && readState == ReadState.PAUSED_FOR_IN_FLIGHT
          && inFlight.get() < config.maxInFlightSends()
          && otherInFlight.get() < MAX_OTHER_REQUESTS_IN_FLIGHT) {
        resume(nanoClock.getAsLong());
      }
    }

    void read() {
      if (closed || closingSince != 0 || readState != ReadState.READING) {
        return;
      }
      TlsChannel t = tlsChannel;
      if (t != null) {
        readTls(t);
        return;
      }
      int count;
      try {
        count = channel.read(in);
      } catch (IOException e) {
        log.debug("{}: read failed: {}", remote, e.toString());
        closeNow(CloseReason.BROKEN);
        return;
      }
      if (count < 0) {
        closeNow(CloseReason.CLIENT_CLOSED);
        return;
      }
      long now = nanoClock.getAsLong();
      if (count > 0) {
        lastInboundNanos = now;
      }
      dispatch(now);
    }

    /**
     * {@link #read} through TLS: the handshake first; then, as long as plaintext comes out of what
     * was received (a record can hold more than the input buffer takes), dispatch it.
     */
    private void readTls(TlsChannel t) {
      boolean wasDone = handshakeNoticed;
      int count;
      do {
        try {
          count = t.read(in);
        } catch (TlsChannel.NotTlsException e) {
          plaintextOnTlsPort();
          return;
        } catch (TlsChannel.HandshakeException e) {
          long failures = closedBy.get(CloseReason.TLS_HANDSHAKE_FAILED.ordinal()) + 1;
          if (LogThrottle.worthLogging(failures)) {
            audit.warn(
                "TLS handshake with a client from {} failed: {} (failure {})",
                address.getHostAddress(),
                e.getMessage(),
                failures);
          }
          drainBeforeClose(channel); // so the alert is read, not lost to a reset
          closeNow(CloseReason.TLS_HANDSHAKE_FAILED);
          return;
        } catch (IOException e) {
          log.debug("{}: read failed: {}", remote, e.toString());
          closeNow(CloseReason.BROKEN);
          return;
        }
        if (count < 0) {
          closeNow(CloseReason.CLIENT_CLOSED);
          return;
        }
        long now = nanoClock.getAsLong();
        if (!wasDone && t.handshakeDone()) {
          wasDone = true;
          handshakeNoticed = true;
          acceptedAtNanos = now; // the time to say hello starts now
          log.debug("{}: TLS handshake done ({})", remote, t.protocol());
        }
        if (count > 0) {
          lastInboundNanos = now;
        }
        dispatch(now);
      } while (count > 0
          && t.hasBufferedInput()
          && !closed
          && closingSince == 0
          && readState == ReadState.READING);
      if (!closed && (t.hasPendingOutput() || writing[0] != null || !outbound.isEmpty())) {
        // Handshake records the socket did not take at once (flush asks for OP_WRITE), or
        // frames that waited for the handshake.
        flush();
      }
    }

    /**
     * A client spoke the client protocol in plaintext to this TLS port. It is told so in
     * plaintext (its SDK turns that into "give the client a trust store"), and closed.
     */
    private void plaintextOnTlsPort() {
      long count = closedBy.get(CloseReason.PLAINTEXT_ON_TLS_PORT.ordinal()) + 1;
      if (LogThrottle.worthLogging(count)) {
        audit.warn(
            "plaintext client on a TLS port from {}; closed it (closure {} for this reason)",
            address.getHostAddress(),
            count);
      }
      refuse(channel, TLS_ONLY_GOODBYE);
      closeNow(CloseReason.PLAINTEXT_ON_TLS_PORT);
    }

    /**
     * Hands the held request and then the whole frames in the input buffer to the handler, until
     * they run out, the connection pauses or it closes; keeps the rest for later.
     */
    private void dispatch(long now) {
      if (closed || closingSince != 0) {
        return; // a closing connection's requests are dropped, as ever
      }
      ClientRequest first = held;
      if (first != null) {
        held = null;
        if (!handOn(first, now)) {
          return;
        }
      }
      int start = 0;
      try {
        while (!closed && closingSince == 0 && readState == ReadState.READING) {
          int length = ClientCodec.frameLength(in.array(), start, in.position() - start);
          if (length < 0 || in.position() - start < length) {
            break;
          }
          ClientRequest request = ClientCodec.decodeRequest(in.array(), start, length);
          start += length;
          framesIn.incrementAndGet();
          if (!handOn(request, now)) {
            break;
          }
        }
      } catch (CodecException e) {
        malformedBy.incrementAndGet(e.reason().ordinal());
        log.info("{} sent a malformed frame ({}): {}", remote, e.reason(), e.getMessage());
        String detail = String.valueOf(e.getMessage());
        if (detail.length() > MAX_GOODBYE_DETAIL) {
          detail = detail.substring(0, MAX_GOODBYE_DETAIL) + "...";
        }
        goodbyeAndClose("malformed frame: " + detail, CloseReason.MALFORMED);
        return;
      }
      // Keep what was not decoded yet: the start of a frame, or whole frames behind a pause. The
      // buffer holds one whole frame at most, so there is room for the rest of any frame.
      int left = in.position() - start;
      System.arraycopy(in.array(), start, in.array(), 0, left);
      in.position(left);
    }

    /**
     * Hands {@code request} to the handler if the window and the rate allow it now; otherwise
     * holds it and pauses the connection.
     *
     * @return whether it was handed on
     */
    private boolean handOn(ClientRequest request, long now) {
      boolean isSend = request instanceof ClientRequest.Send;
      if (isSend && inFlight.get() >= config.maxInFlightSends()) {
        // An answer that lowers the count from now on wakes the selector (see send), which then
        // resumes this connection; one that came before the get above was seen by it.
        held = request;
        pause(ReadState.PAUSED_FOR_IN_FLIGHT);
        return false;
      }
      if (!isSend && otherInFlight.get() >= MAX_OTHER_REQUESTS_IN_FLIGHT) {
        held = request; // resumed as for sends: the answer's send() wakes the selector
        pause(ReadState.PAUSED_FOR_IN_FLIGHT);
        return false;
      }
      if (isSend && !turns.tryTake(this)) {
        held = request;
        pause(ReadState.PAUSED_FOR_TURN);
        turns.await(this);
        return false;
      }
      TokenBucket bucket = rate;
      if (bucket != null) {
        long waitNanos = bucket.take(now);
        if (waitNanos > 0) {
          if (isSend) {
            turns.release(1); // taken just above; the send asks again when the rate allows it
          }
          held = request;
          resumeAtNanos = now + waitNanos;
          pause(ReadState.PAUSED_FOR_RATE);
          waitingForRate.add(this);
          return false;
        }
      }
      (isSend ? inFlight : otherInFlight).incrementAndGet(); // before the node can answer it
      ClientHandler h = handler;
      if (h != null) {
        h.request(request);
      }
      return true;
    }

    /**
     * Whether {@code event} answers a request other than a send: a Hello or Resume (Welcome,
     * Resumed, Refused), a ListUsers (Users), a ListServers (Servers), a Bye (Goodbye).
     */
    private static boolean answersOtherRequest(ServerEvent event) {
      return event instanceof ServerEvent.Welcome
          || event instanceof ServerEvent.Resumed
          || event instanceof ServerEvent.Refused
          || event instanceof ServerEvent.Users
          || event instanceof ServerEvent.Servers
          || event instanceof ServerEvent.Goodbye;
    }

    /** Stops reading from the socket; what was received stays in the buffer. */
    private void pause(ReadState why) {
      transition(why);
      (why == ReadState.PAUSED_FOR_IN_FLIGHT
              ? pausedForInFlight
              : why == ReadState.PAUSED_FOR_RATE ? pausedForRate : pausedForTurn)
          .incrementAndGet();
      pausedNow.incrementAndGet();
      SelectionKey k = key;
      if (k != null && k.isValid()) {
        k.interestOps(k.interestOps() & ~SelectionKey.OP_READ);
      }
    }

    /**
     * Reads on: first what is already buffered, then, unless that paused it again, from the
     * socket. The pause does not count as the client being idle.
     */
    void resume(long now) {
      transition(ReadState.READING);
      pausedNow.decrementAndGet();
      lastInboundNanos = now;
      dispatch(now);
      SelectionKey k = key;
      if (readState == ReadState.READING
          && !closed
          && closingSince == 0
          && k != null
          && k.isValid()) {
        k.interestOps(k.interestOps() | SelectionKey.OP_READ);
        TlsChannel t = tlsChannel;
        if (t != null && t.hasBufferedInput()) {
          read(); // plaintext already taken off the socket: the selector would not say so
        }
      }
    }

    private void transition(ReadState next) {
      if (log.isTraceEnabled()) {
        log.trace("{}: {} -> {} ({} sends unanswered)", remote, readState, next, inFlight.get());
      }
      readState = next;
    }

    /** Queues a goodbye ahead of anything the node still sends, then closes after the flush. */
    void goodbyeAndClose(String reason, CloseReason why) {
      byte[] frame = ClientCodec.encodeEvent(new ServerEvent.Goodbye(reason));
      queuedFrames.incrementAndGet();
      queuedBytes.addAndGet(frame.length);
      outbound.add(frame);
      closeRequested = true;
      startClosing(why);
    }

    private void startClosing(CloseReason why) {
      long now = nanoClock.getAsLong();
      closingSince = now == 0 ? 1 : now;
      closingReason = why;
      SelectionKey k = key;
      if (k != null && k.isValid()) {
        k.interestOps(k.interestOps() & ~SelectionKey.OP_READ);
      }
      flush();
    }

    /** Writes what the socket takes now; closes if closing and everything is out. */
    void flush() {
      if (closed) {
        return;
      }
      TlsChannel t = tlsChannel;
      if (t != null && !t.handshakeDone()) {
        flushHandshake(t);
        return;
      }
      try {
        if (t != null) {
          t.flushPending();
        }
        // Gathering writes: the frames queued meanwhile leave in one system call.
        while (true) {
          int count = 0;
          while (count < WRITE_BATCH) {
            if (writing[count] == null) {
              byte[] next = outbound.poll();
              if (next == null) {
                break;
              }
              writing[count] = ByteBuffer.wrap(next);
            }
            count++;
          }
          if (count == 0) {
            break;
          }
          if (t == null) {
            channel.write(writing, 0, count);
          } else {
            t.write(writing, 0, count);
          }
          int done = 0;
          while (done < count && !writing[done].hasRemaining()) {
            queuedFrames.decrementAndGet();
            queuedBytes.addAndGet(-writing[done].capacity());
            framesOut.incrementAndGet();
            done++;
          }
          // keep the partly written frame, and those after it, at the front
          System.arraycopy(writing, done, writing, 0, count - done);
          java.util.Arrays.fill(writing, count - done, count, null);
          if (done < count) {
            break; // the socket is full
          }
        }
      } catch (IOException e) {
        log.debug("{}: write failed: {}", remote, e.toString());
        closeNow(CloseReason.BROKEN);
        return;
      }
      boolean drained =
          writing[0] == null && outbound.isEmpty() && (t == null || !t.hasPendingOutput());
      if (drained && closingSince != 0) {
        closeNow(closingReason);
        return;
      }
      SelectionKey k = key;
      if (k != null && k.isValid()) {
        int ops = k.interestOps();
        int wanted = drained ? ops & ~SelectionKey.OP_WRITE : ops | SelectionKey.OP_WRITE;
        if (wanted != ops) {
          k.interestOps(wanted);
        }
      }
    }

    /**
     * {@link #flush} before the TLS handshake is done: only handshake records go out; frames
     * wait for the handshake. A connection closing meanwhile closes at once, since nothing of the
     * client protocol can reach the client before the handshake.
     */
    private void flushHandshake(TlsChannel t) {
      try {
        t.flushPending();
      } catch (IOException e) {
        log.debug("{}: TLS handshake write failed: {}", remote, e.toString());
        closeNow(
            e instanceof TlsChannel.HandshakeException
                ? CloseReason.TLS_HANDSHAKE_FAILED
                : CloseReason.BROKEN);
        return;
      }
      if (closingSince != 0) {
        closeNow(closingReason);
        return;
      }
      SelectionKey k = key;
      if (k != null && k.isValid()) {
        int ops = k.interestOps();
        int wanted =
            t.hasPendingOutput() ? ops | SelectionKey.OP_WRITE : ops & ~SelectionKey.OP_WRITE;
        if (wanted != ops) {
          k.interestOps(wanted);
        }
      }
      // The handshake can end here, on the write path (the socket took its last records only
      // now), with the client's first request already decrypted: no new bytes will make the
      // selector say so, so read what is there, and start the time to say hello.
      if (t.handshakeDone()
          && (!handshakeNoticed || t.hasBufferedInput())
          && readState == ReadState.READING
          && !closed) {
        read();
      }
    }

    /** Closes the socket at once and tells the node. */
    void closeNow(CloseReason why) {
      if (closed) {
        return;
      }
      closed = true;
      gone = true;
      connections.remove(this);
      byAddress.closed(address, nanoClock.getAsLong());
      turns.release(inFlight.getAndSet(0)); // answers still to come for them count no more
      open.decrementAndGet();
      if (readState != ReadState.READING) {
        pausedNow.decrementAndGet(); // it may linger in waitingForRate; it is skipped there
      }
      closedBy.incrementAndGet(why.ordinal());
      SelectionKey k = key;
      if (k != null) {
        k.cancel();
      }
      TlsChannel t = tlsChannel;
      if (t != null && why != CloseReason.BROKEN) {
        t.closeOutbound();
      }
      closeQuietly(channel);
      outbound.clear();
      log.debug("{} closed: {}", remote, why);
      ClientHandler h = handler;
      if (h != null) {
        try {
          h.closed();
        } catch (RuntimeException e) {
          log.error("{}: the handler's closed() threw", remote, e);
        }
      }
    }
  }
}
