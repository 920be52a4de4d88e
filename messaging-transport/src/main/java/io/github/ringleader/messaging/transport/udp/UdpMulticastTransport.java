package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster transport over UDP: {@link #sendToAll} multicasts to an IP group, {@link #send}
 * sends to one member by unicast. A datagram carries one or more frames of {@link ClusterCodec}
 * back to back: frames queued together for one destination leave together.
 *
 * <p><b>Sockets.</b> A multicast socket joins the group on the configured interface and only
 * receives. A unicast socket, bound to the configured address and port, sends <em>every</em>
 * datagram, multicast ones included, and receives point-to-point ones. So the source address of
 * anything a server sends is its unicast socket, and each receiver learns from it where to reach
 * the sender: the transport remembers, per (cluster, sender id), the source of the latest valid
 * datagram (up to {@value #MAX_PEERS} members, forgetting the one heard longest ago). A {@link
 * #send} to a member never heard from is dropped and counted, as the network would drop it.
 *
 * <p><b>What it delivers.</b> Every datagram that decodes, from anyone on the group or aimed at
 * the unicast socket — including this transport's own multicast, which comes back because
 * {@code IP_MULTICAST_LOOP} is on (several servers on one host depend on loopback), and
 * envelopes of other clusters sharing the group. Filtering both out is the node's job: it knows
 * its id and cluster name, the transport does not. Datagrams that fail to decode are dropped and
 * counted by {@link CodecException.Reason} (see {@link #stats()}); the log gets the first of each
 * reason and then every 100th. No input stops the I/O thread.
 *
 * <p><b>Cluster key.</b> With {@link UdpTransportConfig#clusterKey()} set, every frame is sealed
 * by a {@link FrameAuthenticator} of this transport (encrypted with AES-256-GCM, with a frame
 * sequence number) and every datagram received is opened by it: a frame that fails
 * authentication is refused before anything of its body is decrypted into use or decoded, a
 * replayed one after, and the datagram is counted by {@link AuthFailure} ({@link #refused}) and
 * logged to {@code ringleader.audit} (first of each reason, then every 100th).
 *
 * <p><b>Threads.</b> One daemon I/O thread, {@code ringleader-udp-<port>}, reads both sockets,
 * calls the receiver (which must be quick and hand the envelope to its own thread) and sends.
 * {@code send} and {@code sendToAll} encode on the caller's thread and put the datagram in a
 * bounded queue for the I/O thread; they never block, and when the queue is full the datagram is
 * dropped and counted. Datagrams leave in the order they were queued; the network may reorder,
 * lose or duplicate them.
 *
 * <p><b>Silence hint.</b> If no valid datagram arrives from any address but this transport's own
 * within {@link UdpTransportConfig#silenceHintAfter()} of start, it logs one WARN suggesting that
 * multicast may be blocked, pointing at {@code docs/operations.md}.
 */
public final class UdpMulticastTransport implements ClusterTransport {
  private static final Logger log = LoggerFactory.getLogger(UdpMulticastTransport.class);

  /** Security events: frames refused by their tag or as replays (rate-limited). */
  private static final Logger audit = LoggerFactory.getLogger("ringleader.audit");

  /** The most members whose unicast address is remembered. */
  static final int MAX_PEERS = 1024;

  /** Datagrams read from one socket before the I/O thread turns to other work. */
  private static final int MAX_READS_PER_TURN = 64;

  /**
   * Frames share a datagram up to this size on a loopback interface: small enough that a socket's
   * default receive buffer holds a dozen such datagrams.
   */
  static final int LOOPBACK_BATCH_BYTES = 16 * 1024;

  /** Frames share a datagram up to this size elsewhere: 1,500-byte MTU less IP and UDP headers. */
  static final int ETHERNET_BATCH_BYTES = 1_472;

  /** Control frames that may wait to be sent, at most: a few heartbeat intervals' worth. */
  static final int URGENT_QUEUE = 256;

  /** How long {@link #close()} waits for the I/O thread to finish. */
  private static final long STOP_WAIT_MILLIS = 1_000;

  /** How long the I/O thread pauses after an unexpected failure, so a broken selector cannot spin. */
  private static final long FAILURE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private enum LifeState {
    NEW,
    RUNNING,
    CLOSED
  }

  private final UdpTransportConfig config;
  private final InetSocketAddress groupAddress;
  private final ArrayBlockingQueue<Outbound> outbound;
  /**
   * The control plane's frames (heartbeats, the election, discovery, leaving): sent before any
   * queued data, so a flood of data cannot delay a heartbeat into a false failure.
   */
  private final ArrayBlockingQueue<Outbound> urgent = new ArrayBlockingQueue<>(URGENT_QUEUE);

  private final Object lifecycle = new Object();
  private volatile LifeState lifeState = LifeState.NEW;
  private volatile @Nullable Io io;

  private final AtomicLong received = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong datagramsSent = new AtomicLong();
  /** Filled for every reason here and never changed after, so any thread may read it. */
  private final Map<CodecException.Reason, AtomicLong> malformed =
      new EnumMap<>(CodecException.Reason.class);

  private final Map<AuthFailure, AtomicLong> refused = new EnumMap<>(AuthFailure.class);
  private final @Nullable FrameAuthenticator authenticator;
  private final AtomicLong unknownDestination = new AtomicLong();
  private final AtomicLong droppedOutbound = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong receiveErrors = new AtomicLong();
  private final AtomicLong receiverFailures = new AtomicLong();
  private final AtomicLong loopFailures = new AtomicLong();

  /** A transport with {@code config}; nothing is opened before {@link #start}. */
  public UdpMulticastTransport(UdpTransportConfig config) {
    this.config = config;
    this.groupAddress = config.groupAddress();
    this.outbound = new ArrayBlockingQueue<>(config.maxOutboundQueue());
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      malformed.put(reason, new AtomicLong());
    }
    for (AuthFailure reason : AuthFailure.values()) {
      refused.put(reason, new AtomicLong());
    }
    ClusterKey key = config.clusterKey();
    this.authenticator = key == null ? null : new FrameAuthenticator(key);
  }

  /** Frames refused for {@code reason} so far (always 0 without a cluster key). */
  public long refused(AuthFailure reason) {
    AtomicLong counter = refused.get(reason);
    return counter == null ? 0 : counter.get();
  }

  /**
   * {@inheritDoc} Here: {@code malformed_<reason>} per {@link CodecException.Reason} (lower case),
   * {@code unknown_destination}, {@code outbound_dropped} (queue or send buffer full, or not
   * running), {@code send_error} and {@code receiver_failure}; every key present.
   */
  @Override
  public Map<String, Long> droppedFrames() {
    Map<String, Long> dropped = new java.util.TreeMap<>();
    malformed.forEach((reason, count) ->
        dropped.put("malformed_" + reason.name().toLowerCase(java.util.Locale.ROOT), count.get()));
    dropped.put("unknown_destination", unknownDestination.get());
    dropped.put("outbound_dropped", droppedOutbound.get());
    dropped.put("send_error", sendErrors.get());
    dropped.put("receiver_failure", receiverFailures.get());
    return dropped;
  }

  /** {@inheritDoc} Here: one key per {@link AuthFailure}, lower case; all 0 without a key. */
  @Override
  public Map<String, Long> authenticationFailures() {
    Map<String, Long> failures = new java.util.TreeMap<>();
    refused.forEach((reason, count) ->
        failures.put(reason.name().toLowerCase(java.util.Locale.ROOT), count.get()));
    return failures;
  }

  /** A transport with the defaults: {@value UdpTransportConfig#DEFAULT_GROUP} on loopback. */
  public UdpMulticastTransport() {
    this(UdpTransportConfig.defaults());
  }

  public UdpTransportConfig config() {
    return config;
  }

  /**
   * Opens both sockets, joins the group and starts the I/O thread.
   *
   * @throws IOException if a socket cannot be opened or bound, or the group cannot be joined; the
   *     message names which and where, and nothing stays open
   * @throws IllegalStateException if the transport was started or closed before
   */
  @Override
  public void start(Receiver receiver) throws IOException {
    synchronized (lifecycle) {
      if (lifeState != LifeState.NEW) {
        throw new IllegalStateException(
            lifeState == LifeState.CLOSED
                ? "UDP transport is closed; create a new one"
                : "UDP transport was already started");
      }
      Io opened = Io.open(this, receiver);
      io = opened;
      lifeState = LifeState.RUNNING;
      opened.thread.start();
      log.info(
          "UDP cluster transport started: group {}:{} via {} (ttl {}), unicast {}",
          config.group().getHostAddress(),
          config.port(),
          config.interfaceName(),
          config.ttl(),
          hostAndPort(opened.localUnicast));
      if (config.ttl() == 0 && !opened.loopbackInterface) {
        log.info(
            "ttl is 0, so multicast on {} stays on this host; set ttl 1 to reach servers on the"
                + " subnet",
            config.interfaceName());
      }
    }
  }

  /**
   * Where this transport's unicast socket is bound: the source address of everything it sends,
   * and so the address other servers reach it at.
   *
   * @throws IllegalStateException before {@link #start}
   */
  public InetSocketAddress localUnicastAddress() {
    Io current = io;
    if (current == null) {
      throw new IllegalStateException("UDP transport is not started");
    }
    return current.localUnicast;
  }

  /** How many silence hints were logged: 0 or 1. For tests. */
  int silenceHintsLogged() {
    Io current = io;
    return current == null ? 0 : current.silenceHintsLogged.get();
  }

  /** Whether the silence hint can no longer fire: another server was heard, or it fired. */
  boolean silenceHintSettled() {
    Io current = io;
    return current != null && current.silenceHintSettled;
  }

  private AtomicLong malformedCounter(CodecException.Reason reason) {
    AtomicLong counter = malformed.get(reason);
    if (counter == null) {
      throw new AssertionError("no counter for " + reason); // every reason has one
    }
    return counter;
  }

  /** The counters so far. */
  public UdpTransportStats stats() {
    Map<CodecException.Reason, Long> byReason = new EnumMap<>(CodecException.Reason.class);
    malformed.forEach((reason, count) -> byReason.put(reason, count.get()));
    return new UdpTransportStats(
        received.get(),
        sent.get(),
        datagramsSent.get(),
        byReason,
        unknownDestination.get(),
        droppedOutbound.get(),
        sendErrors.get(),
        receiveErrors.get(),
        receiverFailures.get());
  }

  /**
   * Queues a unicast datagram to the address {@code to} was last heard from in the envelope's
   * cluster. Dropped and counted if that member was never heard from, if the queue is full, or if
   * the transport is not running.
   */
  @Override
  public void send(NodeId to, ClusterEnvelope envelope) {
    enqueue(to, envelope);
  }

  /** Queues a datagram to the multicast group; dropped and counted if the queue is full. */
  @Override
  public void sendToAll(ClusterEnvelope envelope) {
    enqueue(null, envelope);
  }

  private void enqueue(@Nullable NodeId to, ClusterEnvelope envelope) {
    Io current = io;
    if (current == null || lifeState != LifeState.RUNNING) {
      droppedOutbound.incrementAndGet();
      return;
    }
    // Sealed (with a key) on the I/O thread as it leaves, not here: control frames overtake
    // queued data, and the frame sequence numbers must follow the order on the wire, or a long
    // queue would push data frames below the receivers' replay window.
    byte[] frame = ClusterCodec.encode(envelope);
    if (authenticator != null && frame.length > FrameAuthenticator.MAX_INNER_FRAME_BYTES) {
      droppedOutbound.incrementAndGet();
      log.error(
          "dropped a {} frame of {} bytes: sealed with the cluster key it would exceed a datagram"
              + " (at most {} bytes before sealing)",
          envelope.message().getClass().getSimpleName(),
          frame.length,
          FrameAuthenticator.MAX_INNER_FRAME_BYTES);
      return;
    }
    Outbound datagram = new Outbound(to, envelope.cluster(), frame);
    if (!(envelope.message().isControl() ? urgent : outbound).offer(datagram)) {
      long drops = droppedOutbound.incrementAndGet();
      if (LogThrottle.worthLogging(drops)) {
        log.warn(
            "UDP transport outbound queue full ({} datagrams); dropped a datagram ({} dropped so"
                + " far)",
            config.maxOutboundQueue(),
            drops);
      }
      return;
    }
    current.wakeUpForSending();
  }

  /**
   * Stops the I/O thread and closes both sockets. Datagrams queued before the call are still sent
   * (best effort), so a node's last {@code Leave} gets out; nothing is delivered once this returns.
   * Waits up to a second for the thread. Idempotent; safe from any thread, the receiver included.
   */
  @Override
  public void close() {
    Io current;
    synchronized (lifecycle) {
      if (lifeState == LifeState.CLOSED) {
        return;
      }
      lifeState = LifeState.CLOSED;
      current = io;
    }
    if (current != null) {
      current.stop();
    }
  }

  @Override
  public String toString() {
    Io current = io;
    return "UdpMulticastTransport{"
        + config.group().getHostAddress()
        + ":"
        + config.port()
        + " via "
        + config.interfaceName()
        + (current == null ? "" : ", unicast " + hostAndPort(current.localUnicast))
        + ", "
        + lifeState.name().toLowerCase(Locale.ROOT)
        + "}";
  }

  private static String hostAndPort(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    return (ip == null ? address.getHostString() : ip.getHostAddress()) + ":" + address.getPort();
  }

  /** A datagram waiting for the I/O thread: to one member ({@code to}) or to the group (null). */
  private static final class Outbound {
    final @Nullable NodeId to;
    final String cluster;
    final byte[] frame;
    /** The frame as it goes on the wire (sealed, with a key), once the I/O thread took it. */
    byte @Nullable [] sealed;

    Outbound(@Nullable NodeId to, String cluster, byte[] frame) {
      this.to = to;
      this.cluster = cluster;
      this.frame = frame;
    }
  }

  /** The open sockets and the I/O thread; everything here but {@link #stop} runs on that thread. */
  private static final class Io implements Runnable {
    private final UdpMulticastTransport transport;
    private final Receiver receiver;
    private final Selector selector;
    private final DatagramChannel multicast;
    private final DatagramChannel unicast;
    private final InetSocketAddress localUnicast;
    private final boolean loopbackInterface;
    private final Thread thread;
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private volatile boolean stopRequested;
    private final AtomicInteger silenceHintsLogged = new AtomicInteger();
    private volatile boolean silenceHintSettled;

    // I/O thread only
    private final PeerAddresses peers = new PeerAddresses(MAX_PEERS);
    private final ByteBuffer receiveBuffer = ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES + 1);
    /** The frames of the datagram being read. */
    private final List<ClusterEnvelope> decoded = new ArrayList<>();
    /** Where a datagram's frames are gathered; a single larger frame still goes alone. */
    private final ByteBuffer batch = ByteBuffer.allocateDirect(ClusterCodec.MAX_FRAME_BYTES);
    /**
     * The most bytes frames share a datagram with: under the loopback MTU (64 KiB) on loopback,
     * and one Ethernet frame's payload elsewhere, so a batch is never fragmented on the way.
     */
    private final int maxBatchBytes;

    private final SilenceHint silenceHint;

    private Io(
        UdpMulticastTransport transport,
        Receiver receiver,
        Selector selector,
        DatagramChannel multicast,
        DatagramChannel unicast,
        InetSocketAddress localUnicast,
        boolean loopbackInterface) {
      this.transport = transport;
      this.receiver = receiver;
      this.selector = selector;
      this.multicast = multicast;
      this.unicast = unicast;
      this.localUnicast = localUnicast;
      this.loopbackInterface = loopbackInterface;
      this.maxBatchBytes = loopbackInterface ? LOOPBACK_BATCH_BYTES : ETHERNET_BATCH_BYTES;
      this.silenceHint = new SilenceHint(System.nanoTime(), transport.config.silenceHintAfter());
      this.thread = new Thread(this, "ringleader-udp-" + transport.config.port());
      this.thread.setDaemon(true);
    }

    /** Opens, binds and joins everything, or closes what it opened and throws. */
    static Io open(UdpMulticastTransport transport, Receiver receiver) throws IOException {
      UdpTransportConfig config = transport.config;
      Deque<Closeable> opened = new ArrayDeque<>();
      try {
        Selector selector = Selector.open();
        opened.push(selector);

        DatagramChannel multicast = DatagramChannel.open(StandardProtocolFamily.INET);
        opened.push(multicast);
        multicast.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        setReceiveBuffer(multicast, config);
        setMulticastOptions(multicast, config);
        InetSocketAddress groupBind =
            new InetSocketAddress(groupBindAddress(config), config.port());
        try {
          multicast.bind(groupBind);
        } catch (IOException e) {
          throw new IOException(
              "cannot bind the multicast socket to " + hostAndPort(groupBind) + ": " + e, e);
        }
        try {
          multicast.join(config.group(), config.networkInterface());
        } catch (IOException e) {
          throw new IOException(
              "cannot join multicast group "
                  + config.group().getHostAddress()
                  + " on interface "
                  + config.interfaceName()
                  + ": "
                  + e,
              e);
        }
        multicast.configureBlocking(false);

        DatagramChannel unicast = DatagramChannel.open(StandardProtocolFamily.INET);
        opened.push(unicast);
        setReceiveBuffer(unicast, config);
        // The unicast socket sends the multicast datagrams too, so it carries the group options.
        setMulticastOptions(unicast, config);
        InetSocketAddress unicastBind =
            new InetSocketAddress(config.bindAddress(), config.unicastPort());
        try {
          unicast.bind(unicastBind);
        } catch (IOException e) {
          throw new IOException(
              "cannot bind the unicast socket to " + hostAndPort(unicastBind) + ": " + e, e);
        }
        unicast.configureBlocking(false);
        if (!(unicast.getLocalAddress() instanceof InetSocketAddress bound)) {
          throw new IOException("unicast socket has no IP address: " + unicast.getLocalAddress());
        }

        multicast.register(selector, SelectionKey.OP_READ);
        unicast.register(selector, SelectionKey.OP_READ);
        return new Io(
            transport,
            receiver,
            selector,
            multicast,
            unicast,
            bound,
            config.networkInterface().isLoopback());
      } catch (IOException | RuntimeException e) {
        closeAll(opened);
        throw e;
      }
    }

    /**
     * Binding to the group address itself (not the wildcard) keeps unicast datagrams to the port,
     * and other groups joined on the same port by other programs, out of this socket. Windows
     * cannot bind to a multicast address, so there it is the wildcard.
     */
    private static InetAddress groupBindAddress(UdpTransportConfig config) throws IOException {
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      return os.startsWith("windows")
          ? InetAddress.getByAddress(new byte[4]) // 0.0.0.0
          : config.group();
    }

    private static void setMulticastOptions(DatagramChannel channel, UdpTransportConfig config)
        throws IOException {
      channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, config.networkInterface());
      channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, config.ttl());
      channel.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true);
    }

    private static void setReceiveBuffer(DatagramChannel channel, UdpTransportConfig config)
        throws IOException {
      if (config.receiveBufferBytes() > 0) {
        channel.setOption(StandardSocketOptions.SO_RCVBUF, config.receiveBufferBytes());
      }
    }

    /** Called by senders: make sure the I/O thread looks at the queue soon. */
    void wakeUpForSending() {
      if (wakeupPending.compareAndSet(false, true)) {
        selector.wakeup();
      }
    }

    /** Called by {@link UdpMulticastTransport#close()}, on any thread. */
    void stop() {
      stopRequested = true;
      selector.wakeup();
      if (Thread.currentThread() == thread) {
        return; // closed from the receiver: the loop ends when the receiver returns
      }
      try {
        thread.join(STOP_WAIT_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (thread.isAlive()) {
        log.warn(
            "UDP transport I/O thread {} did not stop within {} ms; closing its sockets under it",
            thread.getName(),
            STOP_WAIT_MILLIS);
        closeChannels();
      }
    }

    @Override
    public void run() {
      try {
        while (!stopRequested) {
          try {
            turn();
          } catch (ClosedChannelException e) {
            if (!stopRequested) {
              log.error(
                  "UDP transport sockets were closed under the I/O thread; the transport stops", e);
            }
            return;
          } catch (IOException | RuntimeException e) {
            long failures = transport.loopFailures.incrementAndGet();
            if (LogThrottle.worthLogging(failures)) {
              log.warn("UDP transport I/O loop failed ({} so far); carrying on", failures, e);
            }
            LockSupport.parkNanos(FAILURE_PAUSE_NANOS);
          }
        }
        flushOutbound();
      } finally {
        closeChannels();
      }
    }

    /** One turn of the loop: wait for input, output or the hint deadline, then handle them. */
    private void turn() throws IOException {
      long deadline = silenceHint.deadlineNanos();
      if (!transport.outbound.isEmpty() || !transport.urgent.isEmpty()) {
        selector.selectNow();
      } else if (deadline == Long.MAX_VALUE) {
        selector.select();
      } else {
        long waitNanos = deadline - System.nanoTime();
        if (waitNanos <= 0) {
          selector.selectNow();
        } else {
          selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1));
        }
      }
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        if (key.isValid() && key.isReadable()) {
          readFrom((DatagramChannel) key.channel());
        }
      }
      drainOutbound(transport.config.maxOutboundQueue());
      if (silenceHint.shouldWarn(System.nanoTime())) {
        silenceHintsLogged.incrementAndGet();
        UdpTransportConfig config = transport.config;
        log.warn(
            "{}",
            SilenceHint.message(
                config.group().getHostAddress(),
                config.port(),
                config.interfaceName(),
                config.silenceHintAfter()));
      }
      silenceHintSettled = silenceHint.deadlineNanos() == Long.MAX_VALUE;
    }

    private void readFrom(DatagramChannel channel) throws ClosedChannelException {
      for (int i = 0; i < MAX_READS_PER_TURN && !stopRequested; i++) {
        receiveBuffer.clear();
        SocketAddress source;
        try {
          source = channel.receive(receiveBuffer);
        } catch (ClosedChannelException e) {
          throw e;
        } catch (IOException e) {
          long errors = transport.receiveErrors.incrementAndGet();
          if (LogThrottle.worthLogging(errors)) {
            log.warn("UDP transport receive failed ({} so far): {}", errors, e.toString());
          }
          return;
        }
        if (source == null) {
          return;
        }
        onDatagram(source, receiveBuffer.array(), receiveBuffer.position());
      }
    }

    /**
     * Decodes the frames of one datagram, back to back, and hands each on. A datagram is whole
     * frames or nothing: if any part of it fails to decode, none of it is handed on, and it is
     * counted once, by the first rule it broke.
     */
    private void onDatagram(SocketAddress source, byte[] data, int length) {
      decoded.clear();
      FrameAuthenticator opener = transport.authenticator;
      try {
        if (opener == null) {
          ClusterCodec.decodeAll(data, 0, length, decoded);
        } else {
          opener.openAll(data, 0, length, decoded);
        }
      } catch (CodecException e) {
        dropMalformed(source, e);
        return;
      } catch (AuthenticationException e) {
        dropRefused(source, e);
        return;
      }
      for (ClusterEnvelope envelope : decoded) {
        onFrame(source, envelope);
      }
    }

    private void dropMalformed(SocketAddress source, CodecException e) {
      long count = transport.malformedCounter(e.reason()).incrementAndGet();
      if (LogThrottle.worthLogging(count)) {
        log.warn(
            "dropped a malformed cluster datagram from {} ({}, {} so far): {}",
            source instanceof InetSocketAddress from ? hostAndPort(from) : source,
            e.reason(),
            count,
            e.getMessage());
      }
    }

    /** Counts a datagram refused by the tag or replay check; audit-logs the first and every 100th. */
    private void dropRefused(SocketAddress source, AuthenticationException e) {
      AtomicLong counter = transport.refused.get(e.reason());
      long count = counter == null ? 0 : counter.incrementAndGet();
      if (LogThrottle.worthLogging(count)) {
        audit.warn(
            "refused a cluster datagram from {} ({}, {} so far): {}",
            source instanceof InetSocketAddress from ? hostAndPort(from) : source,
            e.reason(),
            count,
            e.getMessage());
      }
    }

    /** Hands one decoded frame on. */
    private void onFrame(SocketAddress source, ClusterEnvelope envelope) {
      transport.received.incrementAndGet();
      if (source instanceof InetSocketAddress from) {
        peers.heard(envelope.cluster(), envelope.sender(), from);
        if (!from.equals(localUnicast)) {
          silenceHint.onHeardOther();
        }
      }
      try {
        receiver.onMessage(envelope);
      } catch (RuntimeException e) {
        long failures = transport.receiverFailures.incrementAndGet();
        if (LogThrottle.worthLogging(failures)) {
          log.warn("UDP transport receiver threw ({} so far); ignored", failures, e);
        }
      }
    }

    /**
     * Sends up to {@code limit} queued frames, so a flood of sends cannot starve reading. Frames
     * queued back to back for the same destination share a datagram, up to {@link
     * #maxBatchBytes}: when the node sends faster than the network takes it, the frames that piled
     * up meanwhile leave together, and when it is idle a frame leaves alone at once ("smart
     * batching": nothing waits for a batch to fill). Control frames go first, each on its own.
     */
    private void drainOutbound(int limit) throws ClosedChannelException {
      wakeupPending.set(false);
      Outbound control;
      while ((control = transport.urgent.poll()) != null) {
        batch.clear();
        batch.put(wire(control));
        batch.flip();
        sendNow(control.to, control.cluster, batch, 1);
      }
      Outbound next = transport.outbound.poll();
      int taken = 0;
      while (next != null) {
        Outbound first = next;
        batch.clear();
        batch.put(wire(first));
        int frames = 1;
        taken++;
        next = taken < limit ? transport.outbound.poll() : null;
        while (next != null
            && Objects.equals(next.to, first.to)
            && next.cluster.equals(first.cluster)
            && batch.position() + wire(next).length <= maxBatchBytes) {
          batch.put(wire(next));
          frames++;
          taken++;
          next = taken < limit ? transport.outbound.poll() : null;
        }
        batch.flip();
        sendNow(first.to, first.cluster, batch, frames);
      }
    }

    /** On the way out: send what callers queued before close, once, without waiting. */
    private void flushOutbound() {
      try {
        drainOutbound(transport.config.maxOutboundQueue());
      } catch (ClosedChannelException e) {
        // closed under us after a stop timeout: nothing more can be sent
      }
    }

    /**
     * The bytes {@code datagram} goes out as: its frame, or with a cluster key, the frame sealed
     * with the next frame sequence number — here, on the one thread that sends, in wire order.
     */
    private byte[] wire(Outbound datagram) {
      byte[] sealed = datagram.sealed;
      if (sealed == null) {
        FrameAuthenticator sealer = transport.authenticator;
        sealed = sealer == null ? datagram.frame : sealer.seal(datagram.frame);
        datagram.sealed = sealed;
      }
      return sealed;
    }

    /** Sends one datagram of {@code frames} frames to {@code to} (the group when null). */
    private void sendNow(@Nullable NodeId to, String cluster, ByteBuffer datagram, int frames)
        throws ClosedChannelException {
      SocketAddress target = to == null ? transport.groupAddress : peers.addressOf(cluster, to);
      if (target == null) {
        long count = transport.unknownDestination.addAndGet(frames);
        if (LogThrottle.worthLogging(count)) {
          log.debug(
              "dropped a datagram to {} of cluster '{}': never heard from it ({} so far)",
              to,
              cluster,
              count);
        }
        return;
      }
      try {
        if (unicast.send(datagram, target) == 0) {
          transport.droppedOutbound.addAndGet(frames); // the system's send buffer is full
        } else {
          transport.sent.addAndGet(frames);
          transport.datagramsSent.incrementAndGet();
        }
      } catch (ClosedChannelException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        long errors = transport.sendErrors.incrementAndGet();
        if (LogThrottle.worthLogging(errors)) {
          log.warn(
              "UDP transport send to {} failed ({} so far): {}",
              target instanceof InetSocketAddress address ? hostAndPort(address) : target,
              errors,
              e.toString());
        }
      }
    }

    private void closeChannels() {
      Deque<Closeable> all = new ArrayDeque<>();
      all.push(selector);
      all.push(multicast);
      all.push(unicast);
      closeAll(all);
    }

    private static void closeAll(Deque<Closeable> resources) {
      while (!resources.isEmpty()) {
        Closeable resource = resources.pop();
        try {
          resource.close();
        } catch (IOException | RuntimeException e) {
          log.debug("closing {} failed: {}", resource, e.toString());
        }
      }
    }
  }
}
