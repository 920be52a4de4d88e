package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.election.ElectionOutbox;
import io.github.ringleader.messaging.election.ElectionTimings;
import io.github.ringleader.messaging.election.LcrElection;
import io.github.ringleader.messaging.loop.EventLoop;
import io.github.ringleader.messaging.loop.ThreadEventLoop;
import io.github.ringleader.messaging.loop.Ticking;
import io.github.ringleader.messaging.membership.Membership;
import io.github.ringleader.messaging.membership.MembershipChange;
import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.metrics.NodeMetricsJmx;
import io.github.ringleader.messaging.metrics.NodeMetricsMXBean;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Discover;
import io.github.ringleader.messaging.protocol.Election;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.IdInUse;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import io.github.ringleader.messaging.protocol.Leave;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import io.github.ringleader.messaging.routing.Router;
import io.github.ringleader.messaging.routing.RoutingConfig;
import io.github.ringleader.messaging.routing.RoutingOutbox;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Placement;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server of a Ringleader cluster: the runtime that owns the server's protocol state on a
 * single {@link EventLoop} and wires the state machines — {@link Membership} (heartbeats and
 * failure detection) and {@link LcrElection} — to a {@link ClusterTransport}.
 *
 * <pre>{@code
 * try (MessagingNode node = MessagingNode.builder()
 *         .nodeId("server1")
 *         .transport(transport)
 *         .listener(new NodeListener() {
 *           public void onLeaderChanged(NodeId leader, long term) { ... }
 *         })
 *         .build()) {
 *   node.start().get();          // fails with DuplicateNodeIdException if server1 is running
 *   ClusterView view = node.view();
 * }
 * }</pre>
 *
 * <p><b>Life.</b> {@link #start()} sends a {@link Discover} and listens for the discovery window:
 * running servers answer with their heartbeat, so the node learns the members and the leader, and a
 * running server with the same id answers {@link IdInUse}, which makes the start fail. Then the
 * node heartbeats every interval and takes part in elections; with no leader found it starts one.
 * {@link #close()} tells the others it is leaving, so they do not wait for the failure detector.
 *
 * <p><b>Time.</b> Every timed part is a {@link Ticking}: {@link Discovery}, the failure detector
 * ({@link Membership}), the {@link Heartbeater}, the election, and while running the {@link
 * Router}, the {@link ServerListNews} and the {@link Rebalancer}. The node keeps one wake-up on the
 * loop, at the earliest of their deadlines, and then ticks them all in that order.
 *
 * <p><b>Threads.</b> All protocol state is touched only on the event loop. The public methods are
 * safe to call from any thread (the package-private {@code router()}, a look inside for tests, is
 * touched on the loop only): queries read an immutable {@link ClusterView} snapshot published
 * after each event ({@link #metrics()} also reads counters the loop keeps), and changes are handed
 * to the loop.
 */
public final class MessagingNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MessagingNode.class);

  /** Bounds the messages a node handles from itself after one event (see settleRouting). */
  private static final int MAX_SELF_MESSAGES_PER_EVENT = 1_000_000;

  private final NodeConfig config;
  private final ClusterTransport transport;
  /** Encodes, seals, opens and decodes the frames the transport carries. */
  private final ClusterFrames frames;

  private final EventLoop loop;
  private final boolean ownsLoop;
  private final @Nullable Long fixedIncarnation;
  private final List<NodeListener> listeners;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final AtomicBoolean startRequested = new AtomicBoolean();

  // ---- owned by the event loop
  private final Membership membership;
  private final TimingsCheck timingsCheck;
  private final LcrElection election;
  private final Router router;
  private final Discovery discovery;
  private final Heartbeater heartbeater;
  private final Rebalancer rebalancer;
  private final ServerListNews serverListNews;
  /**
   * The timed parts that run from the start (discovery on), in the order a wake-up ticks them:
   * discovery may make the node running, silent members fail before the heartbeat that reports the
   * leader goes, and the election hears of them first.
   */
  private final List<Ticking> controlParts;
  /** The timed parts that run only while the node runs, ticked after {@link #controlParts}. */
  private final List<Ticking> runningParts;
  /** With client authentication: the gate every join and resume passes (null: none). */
  private final @Nullable ClientAuthGate authGate;
  /** Messages this node sent to itself (or its own copy of a send to all), handled after the event. */
  private final ArrayDeque<ClusterMessage> toSelf = new ArrayDeque<>();
  /** The soonest a wake-up set outside the settling may come: see {@link #afterEvent}. */
  private static final long MIN_CONTROL_WAKEUP_NANOS = 1_000_000;

  /** Whether a {@link #settle} is queued on the loop. */
  private boolean settleQueued;

  private boolean clusterChanged = true;
  private NodeState state = NodeState.NEW;
  private volatile long incarnation;
  private long heartbeatSequence;
  private @Nullable NodeId reportedLeader;
  private long reportedTerm;
  private long wakeupNanos = Long.MAX_VALUE;
  private @Nullable NodeId routedLeader;
  private long routedTerm = -1;
  private long lastWakeupNanos = Long.MIN_VALUE;
  private EventLoop.@Nullable Cancellable wakeup;
  private final List<MembershipChange> changes = new ArrayList<>();
  private final List<Long> warnedConflicts = new ArrayList<>();

  // ---- read from any thread
  private volatile ClusterView view;
  private final NodeMetricsRecorder recorder = new NodeMetricsRecorder();
  private final boolean jmx;
  /** The MBean's name while registered; taken once by whichever thread unregisters it. */
  private final java.util.concurrent.atomic.AtomicReference<javax.management.@Nullable ObjectName>
      jmxName = new java.util.concurrent.atomic.AtomicReference<>();

  private MessagingNode(Builder builder, NodeConfig config, ClusterTransport transport) {
    this.config = config;
    this.transport = transport;
    this.frames = new ClusterFrames(config.clusterName(), config.nodeId(), builder.clusterKey);
    EventLoop givenLoop = builder.eventLoop;
    this.ownsLoop = givenLoop == null;
    this.loop =
        givenLoop != null ? givenLoop : new ThreadEventLoop("ringleader-" + config.nodeId());
    this.fixedIncarnation = builder.incarnation;
    this.jmx = builder.jmx;
    this.listeners = new CopyOnWriteArrayList<>(builder.listeners);
    this.membership =
        new Membership(config.nodeId(), config.failureTimeout().toNanos(), config.maxMembers());
    this.timingsCheck = new TimingsCheck(
        config.heartbeatInterval(), config.missedHeartbeats(), config.maxMembers());
    this.election = new LcrElection(
        config.nodeId(),
        membership,
        new Outbox(),
        new ElectionTimings(
            config.electionAckTimeout().toNanos(),
            config.electionAttempts(),
            config.electionTimeout().toNanos(),
            2));
    this.router = new Router(
        RoutingConfig.builder(config.nodeId())
            .capacity(config.capacity())
            .retryNanos(config.electionAckTimeout().toNanos())
            .stateIntervalNanos(config.heartbeatInterval().toNanos())
            .graceNanos(config.sessionGrace().toNanos())
            .build(),
        new ToCluster(),
        () -> incarnation,
        this::serverWithRoom,
        this::elderWithRoom,
        builder.resumeTokenSource != null
            ? builder.resumeTokenSource
            : new java.security.SecureRandom());
    long interval = config.heartbeatInterval().toNanos();
    this.discovery = new Discovery(config.discoveryWindow().toNanos(), new Discovery.Host() {
      @Override
      public void sendProbe() {
        sendToAll(new Discover());
      }

      @Override
      public void windowClosed(long nowNanos) {
        becomeRunning(nowNanos);
      }
    });
    this.heartbeater = new Heartbeater(interval, () -> sendToAll(heartbeat()));
    this.rebalancer =
        new Rebalancer(interval, config.nodeId(), config.capacity(), new RebalancerHost());
    this.serverListNews = new ServerListNews(interval, new ServerListClients());
    this.controlParts = List.of(discovery, membership, heartbeater, election);
    // Moving a client needs somewhere it can go (a client port here and there) and a session that
    // waits for it to resume.
    boolean rebalances =
        config.rebalance() && !config.sessionGrace().isZero() && config.clientPort() != 0;
    this.runningParts =
        rebalances ? List.of(router, serverListNews, rebalancer) : List.of(router, serverListNews);
    io.github.ringleader.messaging.auth.Authenticator authenticator = builder.authenticator;
    this.authGate = authenticator == null
        ? null
        : new ClientAuthGate(
            authenticator,
            loop,
            builder.authThrottle != null
                ? builder.authThrottle
                : new io.github.ringleader.messaging.auth.FailureThrottle());
    this.view = snapshot();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- public API

  /**
   * Starts the node. The future completes when discovery is over and the node is a running
   * member — which is not yet the moment a leader is known: with no leader found, the election
   * starts one ack timeout later and takes a few round trips; watch {@link
   * NodeListener#onLeaderChanged} or {@link #leader()} for that. The future fails with {@link DuplicateNodeIdException} if a running server has this id, or with
   * the {@link IOException} of a transport that could not start.
   *
   * @throws IllegalStateException if the node was started before
   */
  public CompletableFuture<Void> start() {
    if (!startRequested.compareAndSet(false, true)) {
      throw new IllegalStateException("node " + config.nodeId() + " was already started");
    }
    if (jmx) {
      // On the caller's thread: the platform MBean server can take a while to come up the first
      // time, which must not eat into the discovery window on the loop.
      jmxName.set(NodeMetricsJmx.register(config.clusterName(), id(), this::metrics));
    }
    loop.execute(this::doStart);
    return started;
  }

  /** This node's id. */
  public NodeId id() {
    return config.nodeId();
  }

  /** The settings this node runs with. */
  public NodeConfig config() {
    return config;
  }

  /** The latest snapshot of this node's view of the cluster. */
  public ClusterView view() {
    return view;
  }

  /** The leader this node follows (itself when it leads), or null during an election. */
  public @Nullable NodeId leader() {
    return view.leader();
  }

  public boolean isLeader() {
    return view.isLeader();
  }

  /** This node's life-cycle state. */
  public NodeState state() {
    return view.state();
  }

  /** This life's incarnation: 0 before start, then fixed for the life of the node. */
  public long incarnation() {
    return incarnation;
  }

  /** Messages from other clusters that this node has dropped. */
  public long foreignClusterMessages() {
    return frames.foreignFrames();
  }

  /**
   * A snapshot of this node's state and counters (see {@link NodeMetrics} for what each means).
   * Safe to call from any thread, and cheap: it reads counters the event loop keeps up to date
   * and copies a few small maps; nothing waits for the loop.
   */
  public NodeMetrics metrics() {
    ClientAuthGate gate = authGate;
    return recorder.snapshot(
        view,
        config.clusterName(),
        router.counters(),
        loop.nanoTime(),
        frames.foreignFrames(),
        transport,
        frames,
        gate == null ? java.util.Map.of() : gate.failures());
  }

  /**
   * Connects a client through {@code link} (a client transport's side of the connection). The
   * client's requests go to the returned connection; events for it go to the link. Safe from any
   * thread; requests of one connection are handled in the order they are passed.
   */
  public ClientConnection connectClient(ClientLink link) {
    ClientConnection connection = new ClientConnection();
    loop.execute(() -> {
      if (state == NodeState.RUNNING) {
        connection.id = router.attach(link);
        ClientAuthGate gate = authGate;
        if (gate != null) {
          connection.door = gate.door(link.peer(), connection.new GateTarget());
        }
        afterEvent();
      } else {
        link.send(new ServerEvent.Goodbye("server " + id() + " is not running (" + state + ")"));
        link.close();
      }
    });
    return connection;
  }

  /** A client's connection to this node, for its transport to pass requests on. */
  public final class ClientConnection {
    private long id = -1;
    /** With authentication: where its requests go first (loop only). */
    private ClientAuthGate.@Nullable Door door;

    private ClientConnection() {}

    /** Hands the client's next request to the node. */
    public void request(ClientRequest request) {
      loop.execute(() -> {
        if (id >= 0 && state == NodeState.RUNNING) {
          ClientAuthGate.Door d = door;
          if (d != null) {
            d.onRequest(request);
          } else {
            handle(request);
          }
          afterEvent();
        }
      });
    }

    private void handle(ClientRequest request) {
      if (request instanceof ClientRequest.ListServers) {
        router.tell(id, servers(view));
        router.tellPosition(id);
      } else {
        router.onClientRequest(id, request, loop.nanoTime());
      }
    }

    /** The connection is gone (closed by the client, or broken). */
    public void closed() {
      loop.execute(() -> {
        ClientAuthGate.Door d = door;
        if (d != null) {
          d.onClosed();
        }
        if (id >= 0 && state == NodeState.RUNNING) {
          router.onClientClosed(id);
          afterEvent();
        }
      });
    }

    /** What the connection's {@link ClientAuthGate.Door} opens onto. */
    private final class GateTarget implements ClientAuthGate.Target {
      @Override
      public boolean open() {
        return state == NodeState.RUNNING;
      }

      @Override
      public void handle(ClientRequest request) {
        ClientConnection.this.handle(request);
        afterEvent();
      }

      @Override
      public void refuse(ServerEvent.Reason code, String text) {
        router.refuseConnection(id, code, text);
        afterEvent();
      }

      @Override
      public void answer(ServerEvent event) {
        router.tell(id, event);
      }
    }
  }

  /**
   * This node's router, for the tests that look inside (through their {@code NodeInternals});
   * only touch it on the loop. Not public: routing is internal (see module-info.java).
   */
  Router router() {
    return router;
  }

  public void addListener(NodeListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public void removeListener(NodeListener listener) {
    listeners.remove(listener);
  }

  /**
   * Leaves the cluster (the others drop this node at once) and stops: the transport is closed, and
   * the event loop too if the node made it. Safe to call more than once and from any thread; from
   * another thread it waits up to a second for the loop to finish.
   */
  @Override
  public void close() {
    NodeState current = view.state();
    if (current == NodeState.STOPPED || current == NodeState.FAILED) {
      return; // already shut down, loop and transport included
    }
    if (loop.inEventLoop()) {
      doClose();
      return;
    }
    CountDownLatch done = new CountDownLatch(1);
    loop.execute(() -> {
      try {
        doClose();
      } finally {
        done.countDown();
      }
    });
    try {
      if (!done.await(1, TimeUnit.SECONDS)) {
        log.warn("[{}] close did not finish within a second; closing the transport anyway", id());
        transport.close();
        unregisterJmx();
        if (ownsLoop) {
          loop.close();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- life cycle (on the loop)

  private void doStart() {
    if (state != NodeState.NEW) {
      return;
    }
    long now = loop.nanoTime();
    recorder.started(now);
    incarnation = fixedIncarnation != null ? fixedIncarnation : Math.max(0, loop.epochMillis());
    try {
      // Decoded on the transport's thread; only this cluster's envelopes reach the loop, and its
      // control messages (heartbeats, the election) overtake queued data there.
      transport.start((data, offset, length, source) ->
          frames.open(data, offset, length, source, this::enqueue));
    } catch (IOException | RuntimeException e) {
      fail(e);
      return;
    }
    transition(NodeState.DISCOVERING);
    log.info(
        "[{}] starting: cluster '{}', incarnation {}, client port {}, capacity {}, heartbeat {} ×"
            + " {} missed, discovery {}",
        id(),
        config.clusterName(),
        incarnation,
        config.clientPort(),
        config.capacity(),
        NodeConfig.format(config.heartbeatInterval()),
        config.missedHeartbeats(),
        NodeConfig.format(config.discoveryWindow()));
    discovery.start(now);
    afterEvent();
  }

  private void becomeRunning(long now) {
    transition(NodeState.RUNNING);
    heartbeater.start(now);
    election.activate(now, config.electionAckTimeout().toNanos());
    view = snapshot(); // before the start completes: whoever it wakes reads state() as RUNNING
    started.complete(null);
  }

  private void fail(Exception cause) {
    log.error("[{}] refused to start: {}", id(), cause.getMessage());
    transition(NodeState.FAILED);
    shutDown();
    started.completeExceptionally(cause);
  }

  private void doClose() {
    if (state == NodeState.STOPPED) {
      return;
    }
    boolean wasRunning = state == NodeState.RUNNING;
    if (wasRunning) {
      router.closeAll("server " + id() + " is shutting down");
      sendToAll(new Leave());
      log.info("[{}] leaving the cluster", id());
    }
    transition(NodeState.STOPPED);
    shutDown();
    if (!started.isDone()) {
      started.completeExceptionally(new IllegalStateException("node " + id() + " was closed"));
    }
  }

  private void shutDown() {
    election.deactivate();
    EventLoop.Cancellable pendingWakeup = wakeup;
    if (pendingWakeup != null) {
      pendingWakeup.cancel();
    }
    transport.close();
    unregisterJmx();
    publish();
    if (ownsLoop) {
      loop.close();
    }
  }

  /**
   * Stops at once, as a killed process would: no leave, no goodbyes, nothing more sent. The
   * transport is closed and the JMX bean (if any) unregistered, from the calling thread, without
   * waiting for the event loop — which may already be gone: a server stopped for a failure drill
   * closes its loop first ({@code MessagingServer.terminate()}). A loop the node made is closed too.
   * The other servers find out through their failure detector. For drills and tests; {@link
   * #close()} is the way to stop. Idempotent.
   */
  public void terminate() {
    if (ownsLoop) {
      loop.close(); // first, so the node sends nothing more
    }
    transport.close();
    unregisterJmx();
  }

  private void unregisterJmx() {
    javax.management.ObjectName registered = jmxName.getAndSet(null);
    if (registered != null) {
      NodeMetricsJmx.unregister(registered);
    }
  }

  private void transition(NodeState next) {
    if (next == state) {
      return;
    }
    log.debug("[{}] {} -> {}", id(), state, next);
    state = next;
    for (NodeListener listener : listeners) {
      notify(listener, () -> listener.onStateChanged(next));
    }
  }

  // ---------------------------------------------------------------- events (on the loop)

  private void onEnvelope(ClusterEnvelope envelope) {
    if (state != NodeState.DISCOVERING && state != NodeState.RUNNING) {
      return;
    }
    long now = loop.nanoTime();
    NodeId from = envelope.sender();
    ClusterMessage message = envelope.message();
    if (from.equals(id())) {
      if (envelope.incarnation() != incarnation) {
        onOwnIdElsewhere(envelope);
        afterEvent();
      }
      return; // our own multicast, looped back
    }
    if (!(message instanceof Heartbeat) && !(message instanceof Leave)) {
      membership.onHeardFrom(from, envelope.incarnation(), now);
    }
    if (message instanceof Heartbeat) {
      onHeartbeat(from, envelope.incarnation(), (Heartbeat) message, now);
    } else if (message instanceof Discover) {
      if (state == NodeState.RUNNING) {
        sendTo(from, heartbeat());
      }
    } else if (message instanceof Election) {
      election.onElection(from, (Election) message, now);
    } else if (message instanceof ElectionAck) {
      election.onElectionAck(from, (ElectionAck) message);
    } else if (message instanceof LeaderAnnouncement) {
      election.onAnnouncement(from, (LeaderAnnouncement) message, now);
    } else if (message instanceof Forward
        || message instanceof SyncRequest
        || message instanceof SyncReply
        || message instanceof Sequenced
        || message instanceof StreamAck
        || message instanceof StreamState) {
      if (state == NodeState.RUNNING) {
        routing(from, message, now);
      }
    } else if (message instanceof Leave) {
      MembershipChange change = membership.onLeave(from, envelope.incarnation());
      if (change != null) {
        changes.add(change);
      }
    }
    // IdInUse for another server's id is none of this node's business.
    afterEvent();
  }

  private void routing(NodeId from, ClusterMessage message, long now) {
    if (message instanceof Forward) {
      router.onForward(from, (Forward) message, now);
    } else if (message instanceof SyncRequest) {
      router.onSyncRequest(from, (SyncRequest) message);
    } else if (message instanceof SyncReply) {
      router.onSyncReply(from, (SyncReply) message, now);
    } else if (message instanceof Sequenced) {
      router.onSequenced(from, (Sequenced) message, now);
    } else if (message instanceof StreamAck) {
      router.onStreamAck(from, (StreamAck) message, now);
    } else if (message instanceof StreamState) {
      router.onStreamState(from, (StreamState) message, now);
    }
  }

  private void onHeartbeat(NodeId from, long senderIncarnation, Heartbeat heartbeat, long now) {
    Membership.HeartbeatResult result =
        membership.onHeartbeat(from, senderIncarnation, heartbeat, now, changes);
    if (result == Membership.HeartbeatResult.STALE
        || result == Membership.HeartbeatResult.REFUSED) {
      return;
    }
    // Membership changes reach the election before the claim, so a restarted leader's old life
    // is gone before its new heartbeat is weighed.
    applyMembershipChanges(now);
    String timings = timingsCheck.onHeartbeat(from, heartbeat);
    if (timings != null) {
      log.warn("[{}] {}", id(), timings);
    }
    election.onHeartbeat(from, heartbeat, now);
  }

  private void onOwnIdElsewhere(ClusterEnvelope envelope) {
    ClusterMessage message = envelope.message();
    if (message instanceof IdInUse) {
      if (state == NodeState.DISCOVERING
          && ((IdInUse) message).probingIncarnation() == incarnation) {
        fail(new DuplicateNodeIdException(id(), config.clusterName(), envelope.incarnation()));
      }
    } else if (message instanceof Discover) {
      if (state == NodeState.RUNNING) {
        log.warn(
            "[{}] another server is starting with this node's id (incarnation {}); telling it the id"
                + " is taken",
            id(),
            envelope.incarnation());
        sendToAll(new IdInUse(envelope.incarnation()));
      }
    } else if (state == NodeState.RUNNING && !warnedConflicts.contains(envelope.incarnation())) {
      if (warnedConflicts.size() < 16) {
        warnedConflicts.add(envelope.incarnation());
      }
      log.error(
          "[{}] another running server uses this node's id (incarnation {}, this one is {}); ids"
              + " must be unique in a cluster",
          id(),
          envelope.incarnation(),
          incarnation);
    }
  }

  private void onWakeup() {
    wakeup = null;
    wakeupNanos = Long.MAX_VALUE;
    if (state != NodeState.DISCOVERING && state != NodeState.RUNNING) {
      return;
    }
    long now = loop.nanoTime();
    excuseLocalStall(now);
    // Every part is ticked, not only those due: a tick does only what is due (the Ticking
    // contract), and the membership changes a tick makes reach the election before it ticks.
    for (Ticking part : controlParts) {
      part.onTick(now);
      applyMembershipChanges(now);
    }
    if (state == NodeState.RUNNING) {
      for (Ticking part : runningParts) {
        part.onTick(now);
      }
    }
    afterEvent();
  }

  /**
   * A running node wakes at least once per heartbeat interval. A much longer gap means this node
   * itself did not run (which of the causes — CPU starvation, a suspended process or VM, a GC
   * pause, a task holding up the loop — is not known here): the heartbeats the others sent meanwhile are
   * queued behind this wake-up, so the gap must not count as their silence.
   */
  private void excuseLocalStall(long now) {
    long interval = config.heartbeatInterval().toNanos();
    if (state == NodeState.RUNNING && lastWakeupNanos != Long.MIN_VALUE) {
      long stalled = now - lastWakeupNanos - interval;
      if (stalled > interval) {
        log.warn(
            "[{}] this node's event loop ran {} ms late (the process got no CPU, was suspended or"
                + " paused, say for garbage collection, or a task held the loop up); that time does"
                + " not count against the other members",
            id(),
            stalled / 1_000_000);
        membership.excuseLocalStall(stalled, now);
      }
    }
    lastWakeupNanos = now;
  }

  private void applyMembershipChanges(long now) {
    membership.takeChanges(changes);
    if (!changes.isEmpty()) {
      clusterChanged = true;
      rebalancer.membershipChanged(now);
    }
    for (MembershipChange change : changes) {
      MemberInfo member = change.member();
      switch (change.kind()) {
        case JOINED:
          recorder.onMemberJoined();
          log.info("[{}] {} joined", id(), member.id());
          for (NodeListener listener : listeners) {
            notify(listener, () -> listener.onMemberJoined(member));
          }
          break;
        case FAILED:
        case RESTARTED:
          recorder.onMemberFailed();
          log.info(
              change.kind() == MembershipChange.Kind.FAILED
                  ? "[{}] {} failed: no heartbeat for {}"
                  : "[{}] {} restarted; its previous life is gone{}",
              id(),
              member.id(),
              change.kind() == MembershipChange.Kind.FAILED
                  ? NodeConfig.format(Duration.ofNanos(membership.failureTimeoutNanos(member.id())))
                  : "");
          election.onMemberGone(member.id(), now);
          for (NodeListener listener : listeners) {
            notify(listener, () -> listener.onMemberFailed(member));
          }
          break;
        case LEFT:
          recorder.onMemberLeft();
          log.info("[{}] {} left", id(), member.id());
          election.onMemberLeft(member.id(), now);
          for (NodeListener listener : listeners) {
            notify(listener, () -> listener.onMemberLeft(member));
          }
          break;
      }
    }
    changes.clear();
  }

  private Heartbeat heartbeat() {
    return new Heartbeat(
        heartbeatSequence++,
        config.clientPort(),
        election.leader(),
        election.term(),
        router.clientCount(),
        config.capacity(),
        config.clientHost(),
        TimingsCheck.announcedMillis(config.heartbeatInterval()),
        config.missedHeartbeats());
  }

  /**
   * After every event: settles what it changed once the events already queued on the loop have
   * run too. Under load many events share one settling — one acknowledgement, one stream state,
   * one round of forwards for all of them — and when idle it runs right after the event ("smart
   * batching": no timer, no added delay).
   */
  private void afterEvent() {
    if (state == NodeState.DISCOVERING || state == NodeState.RUNNING) {
      // The next heartbeat and silence check are set now, not by the settling, which waits
      // behind whatever data is queued (routing's own deadlines are set there, once it has
      // flushed). At least a millisecond on, so that no deadline left in the past can spin the
      // timer lane.
      wakeUpBy(Math.max(
          Ticking.earliestDeadline(controlParts), loop.nanoTime() + MIN_CONTROL_WAKEUP_NANOS));
    }
    if (!settleQueued) {
      settleQueued = true;
      loop.execute(this::settle);
    }
  }

  /** Applies what the events since the last settling changed, tells the listeners, sets the wake-up. */
  private void settle() {
    settleQueued = false;
    long now = loop.nanoTime();
    applyMembershipChanges(now);
    publish();
    if (state != NodeState.DISCOVERING && state != NodeState.RUNNING) {
      return;
    }
    long deadline = Ticking.earliestDeadline(controlParts);
    if (state == NodeState.RUNNING) {
      settleRouting(now);
      serverListNews.onChange(now);
      deadline = Math.min(deadline, Ticking.earliestDeadline(runningParts));
    }
    recorder.maybeSample(now, router, election.isLeader());
    wakeUpBy(deadline);
  }

  /** Keeps one wake-up scheduled, at {@code deadline} if that is earlier than the one set. */
  private void wakeUpBy(long deadline) {
    if (deadline < wakeupNanos) {
      EventLoop.Cancellable previous = wakeup;
      if (previous != null) {
        previous.cancel();
      }
      wakeupNanos = deadline;
      wakeup = loop.schedule(deadline - loop.nanoTime(), this::onWakeup);
    }
  }

  /**
   * Lets routing react to what the event changed — leadership, membership — and handles the
   * messages this node sent itself, until nothing more is due; then sends what is pending.
   */
  private void settleRouting(long now) {
    // Each message to itself is handled once; one event can legitimately cause tens of thousands
    // (a flush carrying a full window of entries, each acknowledged). The bound only stops a bug
    // from looping forever.
    for (int round = 0; round < MAX_SELF_MESSAGES_PER_EVENT; round++) {
      NodeId leader = election.leader();
      if (clusterChanged
          || !Objects.equals(leader, routedLeader)
          || election.term() != routedTerm) {
        clusterChanged = false;
        routedLeader = leader;
        routedTerm = election.term();
        router.onCluster(
            leader, election.isLeader(), election.term(), membership.liveMembers(), now);
      }
      router.flush(now);
      ClusterMessage message = toSelf.poll();
      if (message == null) {
        return;
      }
      routing(id(), message, now);
    }
    log.error(
        "[{}] routing did not settle after {} messages to itself; {} dropped (a bug: please report)",
        id(),
        MAX_SELF_MESSAGES_PER_EVENT,
        toSelf.size());
    toSelf.clear();
  }

  private void publish() {
    NodeId leader = election.leader();
    long term = election.term();
    recorder.onElectionsStarted(election.electionsStarted());
    if (!Objects.equals(leader, reportedLeader) || (leader != null && term != reportedTerm)) {
      recorder.onLeaderChanged();
      reportedLeader = leader;
      reportedTerm = term;
      if (leader == null) {
        log.info("[{}] no leader: election under way (term {})", id(), term);
      } else if (leader.equals(id())) {
        log.info("[{}] this node is the leader (term {})", id(), term);
      } else {
        log.info("[{}] leader is {} (term {})", id(), leader, term);
      }
      for (NodeListener listener : listeners) {
        notify(listener, () -> listener.onLeaderChanged(leader, term));
      }
    }
    view = snapshot();
  }

  /** What the {@link Rebalancer} reads from this node, and asks of it. */
  private final class RebalancerHost implements Rebalancer.Host {
    @Override
    public List<MemberInfo> liveMembers() {
      return membership.liveMembers();
    }

    @Override
    public int clients() {
      return router.clientCount();
    }

    @Override
    public void moveOneTo(NodeId target, long nowNanos) {
      if (router.moveOne(
          nowNanos,
          2L * Rebalancer.SETTLE_INTERVALS * config.heartbeatInterval().toNanos(),
          "server " + config.nodeId() + " is busier than " + target + "; please move")) {
        log.info(
            "[{}] asked a client to move to a less-loaded server ({})", config.nodeId(), target);
      }
    }
  }

  /** The clients {@link ServerListNews} tells: this node's, through the router. */
  private final class ServerListClients implements ServerListNews.Clients {
    @Override
    public int count() {
      return router.clientCount();
    }

    @Override
    public ServerEvent.Servers current() {
      // The view published after the last event; a wake-up that runs before a queued settling
      // sees it one event old, and that settling tells any change of servers or leader at once.
      return servers(view);
    }

    @Override
    public void tell(ServerEvent.Servers servers) {
      router.tellJoined(servers);
    }
  }

  /** The live servers as clients see them, as many as fit one frame. */
  static ServerEvent.Servers servers(ClusterView view) {
    List<ServerEvent.ServerInfo> servers = new ArrayList<>(view.members().size());
    for (MemberInfo member : view.members()) {
      servers.add(new ServerEvent.ServerInfo(
          member.id(),
          member.clientHost(),
          member.clientPort(),
          member.clients(),
          member.capacity(),
          member.id().equals(view.leader())));
    }
    int fit = ClientCodec.maxServersThatFit(view.self(), servers);
    return new ServerEvent.Servers(
        view.self(), fit < servers.size() ? servers.subList(0, fit) : servers);
  }

  private ClusterView snapshot() {
    List<MemberInfo> members = new ArrayList<>(membership.size() + 1);
    MemberInfo me = new MemberInfo(
        id(),
        incarnation,
        config.clientPort(),
        router.clientCount(),
        config.capacity(),
        config.clientHost());
    boolean meAdded = false;
    for (MemberInfo member : membership.liveMembers()) {
      if (!meAdded && member.id().compareTo(id()) > 0) {
        members.add(me);
        meAdded = true;
      }
      members.add(member);
    }
    if (!meAdded) {
      members.add(me);
    }
    return new ClusterView(id(), state, election.leader(), election.term(), members);
  }

  private void notify(NodeListener listener, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.error("[{}] listener {} threw; ignored", id(), listener, e);
    }
  }

  private ClusterEnvelope envelope(ClusterMessage message) {
    return new ClusterEnvelope(config.clusterName(), id(), incarnation, message);
  }

  /** Hands an inbound envelope to the loop; control messages first. Any thread. */
  private void enqueue(ClusterEnvelope envelope) {
    if (envelope.message().isControl()) {
      loop.executeUrgent(() -> onEnvelope(envelope));
    } else {
      loop.execute(() -> onEnvelope(envelope));
    }
  }

  private void sendTo(NodeId to, ClusterMessage message) {
    OutboundFrame frame = frames.frame(envelope(message));
    if (frame != null) {
      transport.send(to, frame);
    }
  }

  private void sendToAll(ClusterMessage message) {
    OutboundFrame frame = frames.frame(envelope(message));
    if (frame != null) {
      transport.sendToAll(frame);
    }
  }

  /** Routing's messages: to other servers through the transport, to this node after the event. */
  private final class ToCluster implements RoutingOutbox {
    @Override
    public void send(NodeId to, ClusterMessage message) {
      if (to.equals(id())) {
        toSelf.add(message);
      } else {
        sendTo(to, message);
      }
    }

    @Override
    public void sendToAll(ClusterMessage message) {
      MessagingNode.this.sendToAll(message);
      toSelf.add(message); // the transport's copy to this node is ignored as an echo
    }
  }

  /**
   * The live server with room that has been up longest, if it has been up longer than this one
   * (see {@link Placement#hasRoom}).
   */
  private @Nullable NodeId elderWithRoom() {
    MemberInfo eldest = null;
    for (MemberInfo member : membership.liveMembers()) {
      if (member.hasRoom()
          && member.incarnation() < incarnation
          && (eldest == null || member.incarnation() < eldest.incarnation())) {
        eldest = member;
      }
    }
    return eldest == null ? null : eldest.id();
  }

  /**
   * The least-loaded other live server with room, for a client this full server turns away: by the
   * one {@link Placement} rule, so never a server that takes no clients.
   */
  private @Nullable NodeId serverWithRoom() {
    return Placement.leastLoadedWithRoom(membership.liveMembers())
        .map(MemberInfo::id)
        .orElse(null);
  }

  /** Wraps election messages in envelopes; the election itself never sees the transport. */
  private final class Outbox implements ElectionOutbox {
    @Override
    public void send(NodeId to, ClusterMessage message) {
      sendTo(to, message);
    }

    @Override
    public void sendToAll(ClusterMessage message) {
      MessagingNode.this.sendToAll(message);
    }
  }

  // ---------------------------------------------------------------- builder

  /** How long a session waits for its client to resume it, unless configured. */
  public static final Duration DEFAULT_SESSION_GRACE = NodeConfig.DEFAULT_SESSION_GRACE;

  /**
   * Builds a {@link MessagingNode}. Only {@link #nodeId} and {@link #transport} are required; the
   * defaults match the usage guide (heartbeat every 2 s, failed after 3 missed). The settings are
   * a {@link NodeConfig}'s, with its rule: a setter rejects null at once ({@link
   * NullPointerException} naming the setting), and {@link #build()} checks every value and names
   * the first bad one ({@code "heartbeatInterval must be > 0, was 0s"}).
   */
  public static final class Builder {
    private NodeConfig.Builder settings = NodeConfig.builder();
    private @Nullable ClusterTransport transport;
    private @Nullable EventLoop eventLoop;
    private @Nullable Long incarnation;
    private @Nullable ClusterKey clusterKey;
    private java.util.random.@Nullable RandomGenerator resumeTokenSource;
    private io.github.ringleader.messaging.auth.@Nullable Authenticator authenticator;
    private io.github.ringleader.messaging.auth.@Nullable FailureThrottle authThrottle;
    private final List<NodeListener> listeners = new ArrayList<>();
    private boolean jmx;

    private Builder() {}

    /**
     * Whether the node registers its {@link NodeMetricsMXBean} with the platform MBean server while
     * it runs, as {@code io.github.ringleader:type=MessagingNode,cluster=<cluster>,name=<id>}
     * (default off: an embedding application, or a test running many nodes of one id, chooses).
     */
    public Builder jmx(boolean jmx) {
      this.jmx = jmx;
      return this;
    }

    /**
     * Takes every setting of {@code config} (a configuration made once and shared, or read back
     * from a running node); later setters change single settings again.
     */
    public Builder config(NodeConfig config) {
      this.settings = Objects.requireNonNull(config, "config").toBuilder();
      return this;
    }

    /** Required: this server's id; see {@link NodeConfig.Builder#nodeId(String)}. */
    public Builder nodeId(String nodeId) {
      settings.nodeId(nodeId);
      return this;
    }

    /** Required: this server's id. */
    public Builder nodeId(NodeId nodeId) {
      settings.nodeId(nodeId);
      return this;
    }

    /** See {@link NodeConfig.Builder#clusterName}. */
    public Builder clusterName(String clusterName) {
      settings.clusterName(clusterName);
      return this;
    }

    /** See {@link NodeConfig.Builder#clientHost}. */
    public Builder clientHost(String clientHost) {
      settings.clientHost(clientHost);
      return this;
    }

    /**
     * See {@link NodeConfig.Builder#sessionGrace}; how long messages to a held session are kept is
     * bounded by the router's recent-entries window (docs/delivery.md).
     */
    public Builder sessionGrace(Duration sessionGrace) {
      settings.sessionGrace(sessionGrace);
      return this;
    }

    /** See {@link NodeConfig.Builder#rebalance}. */
    public Builder rebalance(boolean rebalance) {
      settings.rebalance(rebalance);
      return this;
    }

    /** See {@link NodeConfig.Builder#clientPort}. */
    public Builder clientPort(int clientPort) {
      settings.clientPort(clientPort);
      return this;
    }

    /** See {@link NodeConfig.Builder#capacity}. */
    public Builder capacity(int capacity) {
      settings.capacity(capacity);
      return this;
    }

    /** See {@link NodeConfig.Builder#heartbeatInterval}. */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      settings.heartbeatInterval(heartbeatInterval);
      return this;
    }

    /** See {@link NodeConfig.Builder#missedHeartbeats}. */
    public Builder missedHeartbeats(int missedHeartbeats) {
      settings.missedHeartbeats(missedHeartbeats);
      return this;
    }

    /** See {@link NodeConfig.Builder#discoveryWindow}. */
    public Builder discoveryWindow(Duration discoveryWindow) {
      settings.discoveryWindow(discoveryWindow);
      return this;
    }

    /** See {@link NodeConfig.Builder#electionAckTimeout}. */
    public Builder electionAckTimeout(Duration electionAckTimeout) {
      settings.electionAckTimeout(electionAckTimeout);
      return this;
    }

    /** See {@link NodeConfig.Builder#electionAttempts}. */
    public Builder electionAttempts(int electionAttempts) {
      settings.electionAttempts(electionAttempts);
      return this;
    }

    /** See {@link NodeConfig.Builder#electionTimeout}. */
    public Builder electionTimeout(Duration electionTimeout) {
      settings.electionTimeout(electionTimeout);
      return this;
    }

    /** See {@link NodeConfig.Builder#maxMembers}. */
    public Builder maxMembers(int maxMembers) {
      settings.maxMembers(maxMembers);
      return this;
    }

    /** Required: how this server reaches the others. The node closes it when it stops. */
    public Builder transport(ClusterTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * The cluster key (default: none): every frame this node sends is encrypted and authenticated
     * with it (AES-256-GCM), and every frame it receives must be, or it is refused and counted in
     * {@link NodeMetrics#authenticationFailures()}. Every server of a cluster needs the same key;
     * see docs/security.md. Null for none.
     */
    public Builder clusterKey(@Nullable ClusterKey clusterKey) {
      this.clusterKey = clusterKey;
      return this;
    }

    /**
     * The loop that runs the node (default: a new {@link ThreadEventLoop}, closed with the node).
     * Tests pass the simulation's virtual-time loop. A loop passed here is not closed by the node.
     */
    public Builder eventLoop(EventLoop eventLoop) {
      this.eventLoop = Objects.requireNonNull(eventLoop, "eventLoop");
      return this;
    }

    /**
     * Fixes this life's incarnation (default: the loop's wall clock in milliseconds at start, which
     * grows from one run to the next). Must be higher than any earlier life's.
     */
    public Builder incarnation(long incarnation) {
      this.incarnation = incarnation; // checked by build(), as every value is
      return this;
    }

    /**
     * Where the node draws its clients' resume tokens, the secrets that let a client take up its
     * session again (default: a new {@link java.security.SecureRandom}, which production must
     * keep). A simulation passes a seeded generator so that a run replays. Used on the node's
     * loop only.
     */
    public Builder resumeTokenSource(java.util.random.RandomGenerator source) {
      this.resumeTokenSource = Objects.requireNonNull(source, "resumeTokenSource");
      return this;
    }

    /**
     * Requires clients to authenticate: every join and resume is checked by {@code authenticator}
     * (off the event loop, see its contract) before it goes ahead; a refused client is told why
     * and disconnected. Default: none, every client is let in by name alone. The node does not
     * close it.
     */
    public Builder authenticator(io.github.ringleader.messaging.auth.Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /**
     * How repeated failed sign-ins are slowed down (default: a {@link
     * io.github.ringleader.messaging.auth.FailureThrottle} with its defaults). Used on the loop only.
     */
    public Builder authFailureThrottle(
        io.github.ringleader.messaging.auth.FailureThrottle throttle) {
      this.authThrottle = Objects.requireNonNull(throttle, "throttle");
      return this;
    }

    /** Adds a listener (see {@link NodeListener} for its threading contract). */
    public Builder listener(NodeListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The settings as they stand, validated.
     *
     * @throws IllegalStateException if the node id is missing
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public NodeConfig config() {
      return settings.build();
    }

    /**
     * Builds the node (not started).
     *
     * @throws IllegalStateException if the node id or the transport is missing
     * @throws IllegalArgumentException naming the first invalid setting
     */
    public MessagingNode build() {
      NodeConfig config = config();
      Long fixed = incarnation;
      if (fixed != null && fixed < 0) {
        throw new IllegalArgumentException("incarnation must be >= 0, was " + fixed);
      }
      ClusterTransport t = transport;
      if (t == null) {
        throw new IllegalStateException("transport is required");
      }
      return new MessagingNode(this, config, t);
    }
  }
}
