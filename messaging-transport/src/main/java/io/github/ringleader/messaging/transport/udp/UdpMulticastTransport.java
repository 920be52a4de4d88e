package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
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
import java.util.Deque;
import java.util.Iterator;
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
 * sends to one member by unicast. It carries the node's frames ({@link OutboundFrame}) as opaque
 * bytes: a datagram holds one or more frames back to back, and frames queued together for one
 * destination leave together. Encoding, sealing with the cluster key, opening, authenticating and
 * decoding are the node's (see {@code MessagingNode.Builder.clusterKey}); this class never looks
 * inside a frame.
 *
 * <p><b>Sockets.</b> A multicast socket joins the group on the configured interface and only
 * receives. A unicast socket, bound to the configured address and port, sends <em>every</em>
 * datagram, multicast ones included, and receives point-to-point ones. So the source address of
 * anything a server sends is its unicast socket, and each receiver learns from it where to reach
 * the sender: the transport remembers, per member, the source of the latest datagram the node
 * accepted from it ({@link Receiver#onFrames} names the sender; up to {@value #MAX_PEERS}
 * members, forgetting the one heard longest ago). A datagram the node refused — malformed,
 * forged, replayed or of another cluster — teaches nothing, so nobody can divert a member's
 * point-to-point traffic by forging its name. A {@link #send} to a member never heard from is
 * dropped and counted, as the network would drop it.
 *
 * <p><b>What it delivers.</b> Every datagram, from anyone on the group or aimed at the unicast
 * socket, goes to the receiver as it came — including this transport's own multicast, which
 * comes back because {@code IP_MULTICAST_LOOP} is on (several servers on one host depend on
 * loopback). Telling good frames from bad, and its own from others', is the node's job; the
 * transport counts the datagrams the node refused ({@link UdpTransportStats#rejected()}). No
 * input stops the I/O thread.
 *
 * <p><b>Threads.</b> One daemon I/O thread, {@code ringleader-udp-<port>}, reads both sockets,
 * calls the receiver (which opens the frames and hands them to the node's own thread) and sends.
 * {@code send} and {@code sendToAll} put the frame in a bounded queue for the I/O thread; they
 * never block, and when the queue is full the frame is dropped and counted. The I/O thread takes
 * each frame's {@link OutboundFrame#bytes() bytes} as it sends it, so a frame the node seals is
 * numbered in wire order even though control frames overtake queued data. Datagrams leave in the
 * order they were queued (control frames first); the network may reorder, lose or duplicate
 * them.
 *
 * <p><b>Silence hint.</b> If the node accepts no datagram from any address but this transport's
 * own within {@link UdpTransportConfig#silenceHintAfter()} of start, it logs one WARN suggesting
 * that multicast may be blocked, pointing at {@code docs/operations.md}.
 */
public final class UdpMulticastTransport implements ClusterTransport {
  private static final Logger log = LoggerFactory.getLogger(UdpMulticastTransport.class);

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

  private final AtomicLong datagramsReceived = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong datagramsSent = new AtomicLong();
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
  }

  /**
   * {@inheritDoc} Here: {@code unknown_destination}, {@code outbound_dropped} (queue or send
   * buffer full, or not running), {@code send_error} and {@code receiver_failure}; every key
   * present. Datagrams the node refused are the node's to count ({@code
   * NodeMetrics.framesDropped()}, {@code authenticationFailures()}); how many there were is in
   * {@link UdpTransportStats#rejected()}.
   */
  @Override
  public Map<String, Long> droppedFrames() {
    Map<String, Long> dropped = new java.util.TreeMap<>();
    dropped.put("unknown_destination", unknownDestination.get());
    dropped.put("outbound_dropped", droppedOutbound.get());
    dropped.put("send_error", sendErrors.get());
    dropped.put("receiver_failure", receiverFailures.get());
    return dropped;
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

  /** The counters so far. */
  public UdpTransportStats stats() {
    return new UdpTransportStats(
        datagramsReceived.get(),
        rejected.get(),
        sent.get(),
        datagramsSent.get(),
        unknownDestination.get(),
        droppedOutbound.get(),
        sendErrors.get(),
        receiveErrors.get(),
        receiverFailures.get());
  }

  /**
   * Queues {@code frame} for a unicast datagram to the address {@code to} was last heard from.
   * Dropped and counted if that member was never heard from, if the queue is full, or if the
   * transport is not running.
   */
  @Override
  public void send(NodeId to, OutboundFrame frame) {
    enqueue(Objects.requireNonNull(to, "to"), frame);
  }

  /** Queues {@code frame} for a datagram to the multicast group; dropped and counted if full. */
  @Override
  public void sendToAll(OutboundFrame frame) {
    enqueue(null, frame);
  }

  private void enqueue(@Nullable NodeId to, OutboundFrame frame) {
    Io current = io;
    if (current == null || lifeState != LifeState.RUNNING) {
      droppedOutbound.incrementAndGet();
      return;
    }
    // Only queued here: its bytes are taken on the I/O thread as it leaves (see the class
    // comment), since a sealed frame is numbered then.
    Outbound datagram = new Outbound(to, frame);
    if (!(frame.isControl() ? urgent : outbound).offer(datagram)) {
      long drops = droppedOutbound.incrementAndGet();
      if (LogThrottle.worthLogging(drops)) {
        log.warn(
            "UDP transport outbound queue full ({} frames); dropped a {} frame ({} dropped so"
                + " far)",
            frame.isControl() ? URGENT_QUEUE : config.maxOutboundQueue(),
            frame.type(),
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

  /** A frame waiting for the I/O thread: to one member ({@code to}) or to the group (null). */
  private record Outbound(@Nullable NodeId to, OutboundFrame frame) {}

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
    /** One byte more than the largest frame, so a datagram too large for one shows as such. */
    private final ByteBuffer receiveBuffer = ByteBuffer.allocate(OutboundFrame.MAX_BYTES + 1);
    /** Where a datagram's frames are gathered; a single larger frame still goes alone. */
    private final ByteBuffer batch = ByteBuffer.allocateDirect(OutboundFrame.MAX_BYTES);
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
     * Hands one datagram to the receiver as it came, and learns the sender's address from what
     * the receiver says: only a datagram the node accepted names a member.
     */
    private void onDatagram(SocketAddress source, byte[] data, int length) {
      transport.datagramsReceived.incrementAndGet();
      NodeId sender;
      try {
        sender = receiver.onFrames(data, 0, length, source);
      } catch (RuntimeException e) {
        long failures = transport.receiverFailures.incrementAndGet();
        if (LogThrottle.worthLogging(failures)) {
          log.warn("UDP transport receiver threw ({} so far); ignored", failures, e);
        }
        return;
      }
      if (sender == null) {
        transport.rejected.incrementAndGet(); // the node counted and logged why
        return;
      }
      if (source instanceof InetSocketAddress from) {
        peers.heard(sender, from);
        if (!from.equals(localUnicast)) {
          silenceHint.onHeardOther();
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
        if (gather(control)) {
          batch.flip();
          sendNow(control.to(), batch, 1);
        }
      }
      Outbound next = transport.outbound.poll();
      int taken = 0;
      while (next != null) {
        Outbound first = next;
        batch.clear();
        int frames = gather(first) ? 1 : 0;
        taken++;
        next = taken < limit ? transport.outbound.poll() : null;
        // size() decides, before the bytes are taken: a frame that does not fit leads the next
        // datagram, so frames still leave (and are sealed) in the order they were queued.
        while (frames > 0
            && next != null
            && Objects.equals(next.to(), first.to())
            && batch.position() + next.frame().size() <= maxBatchBytes) {
          if (gather(next)) {
            frames++;
          }
          taken++;
          next = taken < limit ? transport.outbound.poll() : null;
        }
        if (frames > 0) {
          batch.flip();
          sendNow(first.to(), batch, frames);
        }
      }
    }

    /**
     * Takes the frame's bytes — here, on the one thread that sends, in wire order — and appends
     * them to {@link #batch}. False, counted as a send error, if they do not fit: only a frame
     * that breaks its promise of at most {@link OutboundFrame#MAX_BYTES}, or of its {@code
     * size()}, can do that.
     */
    private boolean gather(Outbound datagram) {
      byte[] bytes = datagram.frame().bytes();
      if (bytes.length > batch.remaining()) {
        long errors = transport.sendErrors.incrementAndGet();
        if (LogThrottle.worthLogging(errors)) {
          log.error(
              "dropped a {} frame: its {} bytes do not fit a datagram ({} so far)",
              datagram.frame().type(),
              bytes.length,
              errors);
        }
        return false;
      }
      batch.put(bytes);
      return true;
    }

    /** On the way out: send what callers queued before close, once, without waiting. */
    private void flushOutbound() {
      try {
        drainOutbound(transport.config.maxOutboundQueue());
      } catch (ClosedChannelException e) {
        // closed under us after a stop timeout: nothing more can be sent
      }
    }

    /** Sends one datagram of {@code frames} frames to {@code to} (the group when null). */
    private void sendNow(@Nullable NodeId to, ByteBuffer datagram, int frames)
        throws ClosedChannelException {
      SocketAddress target = to == null ? transport.groupAddress : peers.addressOf(to);
      if (target == null) {
        long count = transport.unknownDestination.addAndGet(frames);
        if (LogThrottle.worthLogging(count)) {
          log.debug("dropped a datagram to {}: never heard from it ({} so far)", to, count);
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
