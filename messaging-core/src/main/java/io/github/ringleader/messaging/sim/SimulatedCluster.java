package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A cluster of real {@link MessagingNode}s on a {@link SimulatedNetwork}, in virtual time: the
 * harness for testing cluster behaviour — crashes, restarts, partitions, loss — in one thread,
 * reproducibly from a seed.
 *
 * <pre>{@code
 * SimulatedCluster cluster = SimulatedCluster.builder().seed(42).build();
 * cluster.startAll("server1", "server2", "server3");
 * cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(30));
 * cluster.crash("server3");
 * cluster.runFor(Duration.ofSeconds(10));
 * assertThat(cluster.agreedLeader()).contains(NodeId.of("server2"));
 * }</pre>
 *
 * <p>A crash stops a node without a word (no leave message; its pending events are dropped); a
 * restart starts a new life of the same id with a higher incarnation.
 */
public final class SimulatedCluster {

  private final long seed;
  private final VirtualTimeScheduler scheduler;
  private final SimulatedNetwork network;
  private @Nullable ClusterKey clusterKey;
  private final BiConsumer<NodeId, MessagingNode.Builder> configurer;
  private final Map<NodeId, Running> running = new LinkedHashMap<>();
  private final Map<NodeId, Long> lastIncarnation = new HashMap<>();
  private final Map<NodeId, List<SimulatedClient>> clients = new HashMap<>();
  private Duration clientLatency = Duration.ofMillis(1);

  private static final class Running {
    final MessagingNode node;
    final VirtualEventLoop loop;
    final ClusterTransport transport;

    Running(MessagingNode node, VirtualEventLoop loop, ClusterTransport transport) {
      this.node = node;
      this.loop = loop;
      this.transport = transport;
    }
  }

  private SimulatedCluster(Builder builder) {
    this.seed = builder.seed;
    this.scheduler = new VirtualTimeScheduler();
    this.network = new SimulatedNetwork(scheduler, builder.seed);
    this.network.setConditions(builder.conditions);
    this.configurer = builder.configurer;
    ClusterInvariants invariants = new ClusterInvariants();
    scheduler.afterEachEvent(() -> {
      try {
        VirtualEventLoop loop = scheduler.lastEventLoop();
        if (loop == null) {
          return; // a delivery or a timer of the harness: the node's own loop acts on it after
        }
        for (Running r : running.values()) {
          if (r.loop == loop) {
            invariants.check(r.node);
          }
        }
      } catch (InvariantViolation e) {
        throw new InvariantViolation("seed " + seed + ", at "
            + scheduler.elapsed().toMillis() + " ms (virtual): " + e.getMessage());
      }
    });
  }

  /**
   * An invariant every simulation checks after every event was broken (see {@code
   * ClusterInvariants}): a bug of the node, found at the event that caused it. The message names
   * the seed and the virtual time.
   */
  public static final class InvariantViolation extends AssertionError {
    private static final long serialVersionUID = 1L;

    InvariantViolation(String message) {
      super(message);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public long seed() {
    return seed;
  }

  public VirtualTimeScheduler scheduler() {
    return scheduler;
  }

  public SimulatedNetwork network() {
    return network;
  }

  /**
   * The cluster key of the nodes started from now on (none if null, the default): they seal every
   * frame they send with it and refuse every frame that fails it. Nodes already running keep
   * theirs, so a test can start servers with different keys.
   */
  public void setClusterKey(@Nullable ClusterKey key) {
    this.clusterKey = key;
  }

  // ---------------------------------------------------------------- life and death

  /** Starts a node for each id (a new life if the id ran before). */
  public void startAll(String... ids) {
    for (String id : ids) {
      start(id);
    }
  }

  /**
   * Starts a node with id {@code id}; its start future completes as the simulation runs.
   *
   * @throws IllegalStateException if a node with this id is running in this harness
   */
  public CompletableFuture<Void> start(String id) {
    NodeId nodeId = NodeId.of(id);
    if (running.containsKey(nodeId)) {
      throw new IllegalStateException(id + " is already running; crash or stop it first");
    }
    return startNode(nodeId, true);
  }

  /**
   * Starts a second node with an id that is already running here — a misconfiguration, for
   * testing that the cluster refuses it. The newcomer is not tracked by the harness.
   */
  public CompletableFuture<Void> startDuplicate(String id) {
    return startNode(NodeId.of(id), false);
  }

  private CompletableFuture<Void> startNode(NodeId nodeId, boolean track) {
    VirtualEventLoop loop = scheduler.newLoop(nodeId.value());
    long incarnation =
        Math.max(scheduler.epochMillis(), lastIncarnation.getOrDefault(nodeId, -1L) + 1);
    if (track) {
      lastIncarnation.put(nodeId, incarnation);
    }
    ClusterTransport transport = network.transport(nodeId);
    MessagingNode.Builder builder = MessagingNode.builder()
        .nodeId(nodeId)
        .transport(transport)
        .eventLoop(loop)
        .incarnation(incarnation)
        // Seeded, so that a run replays; production draws resume tokens from SecureRandom.
        .resumeTokenSource(new java.util.SplittableRandom(
            seed * 0x9E3779B97F4A7C15L ^ nodeId.value().hashCode() ^ incarnation));
    builder.clusterKey(clusterKey);
    configurer.accept(nodeId, builder);
    MessagingNode node = builder.build();
    CompletableFuture<Void> started = node.start();
    if (track) {
      running.put(nodeId, new Running(node, loop, transport));
    }
    return started;
  }

  /** Kills {@code id} without a word, as a crash or SIGKILL would. */
  public void crash(String id) {
    Running victim = running.remove(NodeId.of(id));
    if (victim == null) {
      throw new IllegalStateException(id + " is not running");
    }
    victim.loop.close();
    // The node's network endpoint (and its JMX bean) die with the process; no goodbye.
    victim.node.terminate();
    dropClients(NodeId.of(id));
  }

  private void dropClients(NodeId server) {
    List<SimulatedClient> gone = clients.remove(server);
    if (gone != null) {
      for (SimulatedClient client : gone) {
        client.serverGone();
      }
    }
  }

  /**
   * Connects a new client to server {@code serverId} and sends its hello as {@code name}; the
   * welcome (or refusal) arrives as the simulation runs.
   */
  public SimulatedClient connect(String name, String serverId) {
    return connect(name, serverId, null);
  }

  /** {@link #connect(String, String)} with a listener for the client's events. */
  public SimulatedClient connect(
      String name,
      String serverId,
      io.github.ringleader.messaging.session.ClientSession.@Nullable Listener listener) {
    MessagingNode server = node(serverId);
    SimulatedClient client = new SimulatedClient(scheduler, server, clientLatency, listener);
    clients.computeIfAbsent(server.id(), k -> new ArrayList<>()).add(client);
    client.session().hello(name);
    return client;
  }

  /**
   * Connects a new client to server {@code serverId} without joining: it may ask for the server
   * list first, then say hello through {@link SimulatedClient#session()}.
   */
  public SimulatedClient open(String serverId) {
    MessagingNode server = node(serverId);
    SimulatedClient client = new SimulatedClient(scheduler, server, clientLatency, null);
    clients.computeIfAbsent(server.id(), k -> new ArrayList<>()).add(client);
    return client;
  }

  /**
   * Connects {@code client}, whose connection was lost, to server {@code serverId} and asks to
   * resume its session there; the answer arrives as the simulation runs.
   */
  public void resume(SimulatedClient client, String serverId) {
    MessagingNode server = node(serverId);
    client.resumeOn(server);
    track(client, server.id());
  }

  /**
   * Connects a new client to server {@code serverId} and sends its hello as {@code name}; once
   * welcomed, the client fails over by itself as the TCP client does, running the same policy
   * ({@link io.github.ringleader.messaging.session.Reconnector}) in virtual time with {@code
   * timings} and a {@code Random} seeded with {@code seed}. Its addresses (tried after the servers
   * it has heard of) are those of the servers running now.
   */
  public SimulatedClient connectWithFailover(
      String name,
      String serverId,
      io.github.ringleader.messaging.session.ClientSession.@Nullable Listener listener,
      io.github.ringleader.messaging.session.Reconnector.Timings timings,
      long seed) {
    MessagingNode server = node(serverId);
    List<io.github.ringleader.messaging.session.Reconnector.Candidate> seeds = new ArrayList<>();
    for (Running r : running.values()) {
      seeds.add(SimulatedClient.addressOf(r.node));
    }
    io.github.ringleader.messaging.session.Reconnector policy =
        new io.github.ringleader.messaging.session.Reconnector(
            timings, seeds, new java.util.Random(seed));
    SimulatedClient client =
        new SimulatedClient(scheduler, server, clientLatency, listener, this, policy);
    clients.computeIfAbsent(server.id(), k -> new ArrayList<>()).add(client);
    client.session().hello(name);
    return client;
  }

  /** The node running as {@code id}, or null. */
  @Nullable
  MessagingNode runningNode(NodeId id) {
    Running node = running.get(id);
    return node == null ? null : node.node;
  }

  /** {@code client} is now connected to {@code server}: it is dropped when that server goes. */
  void track(SimulatedClient client, NodeId server) {
    for (List<SimulatedClient> list : clients.values()) {
      list.remove(client);
    }
    clients.computeIfAbsent(server, k -> new ArrayList<>()).add(client);
  }

  /** The one-way latency of client links made from now on (default 1 ms). */
  public void setClientLatency(Duration latency) {
    this.clientLatency = latency;
  }

  /** Stops {@code id} cleanly: it tells the others it is leaving. */
  public void stop(String id) {
    Running node = running.remove(NodeId.of(id));
    if (node == null) {
      throw new IllegalStateException(id + " is not running");
    }
    node.node.close();
    node.loop.close();
    dropClients(NodeId.of(id));
  }

  /**
   * Freezes {@code id} for {@code duration}, as a long garbage-collection pause would: it sends,
   * hears and decides nothing meanwhile, then catches up on everything that arrived.
   */
  public void pause(String id, Duration duration) {
    Running node = running.get(NodeId.of(id));
    if (node == null) {
      throw new IllegalStateException(id + " is not running");
    }
    node.loop.pause(duration.toNanos());
  }

  /** Crashes {@code id} if it runs, then starts a new life of it. */
  public CompletableFuture<Void> restart(String id) {
    if (running.containsKey(NodeId.of(id))) {
      crash(id);
    }
    return start(id);
  }

  // ---------------------------------------------------------------- time

  public void runFor(Duration duration) {
    scheduler.runFor(duration);
  }

  public boolean runUntil(BooleanSupplier condition, Duration limit) {
    return scheduler.runUntil(condition, limit);
  }

  // ---------------------------------------------------------------- looking

  /** The node running as {@code id}. */
  public MessagingNode node(String id) {
    Running node = running.get(NodeId.of(id));
    if (node == null) {
      throw new IllegalStateException(id + " is not running");
    }
    return node.node;
  }

  /** The nodes running now (crashed and stopped ones are gone), in start order. */
  public List<MessagingNode> nodes() {
    List<MessagingNode> nodes = new ArrayList<>();
    for (Running r : running.values()) {
      nodes.add(r.node);
    }
    return nodes;
  }

  /** The ids running now. */
  public Collection<NodeId> runningIds() {
    return List.copyOf(running.keySet());
  }

  /**
   * The leader every running, started node follows, if they all follow the same one and it is
   * one of them and considers itself the leader; empty otherwise.
   */
  public Optional<NodeId> agreedLeader() {
    return agreedLeader(running.keySet());
  }

  /** {@link #agreedLeader()} over a subset of the running nodes (one side of a partition). */
  public Optional<NodeId> agreedLeader(Collection<NodeId> ids) {
    @Nullable NodeId agreed = null;
    for (NodeId id : ids) {
      Running r = running.get(id);
      if (r == null || r.node.state() != NodeState.RUNNING) {
        return Optional.empty();
      }
      NodeId leader = r.node.leader();
      if (leader == null || (agreed != null && !agreed.equals(leader))) {
        return Optional.empty();
      }
      agreed = leader;
    }
    if (agreed == null || !ids.contains(agreed)) {
      return Optional.empty();
    }
    Running leader = running.get(agreed);
    return leader != null && leader.node.isLeader() ? Optional.of(agreed) : Optional.empty();
  }

  /** Whether all running nodes agree on one leader, the highest running id. */
  public boolean hasSingleAgreedLeader() {
    Optional<NodeId> leader = agreedLeader();
    return leader.isPresent()
        && leader.get().equals(running.keySet().stream().max(NodeId::compareTo).orElse(null));
  }

  /** Builds a {@link SimulatedCluster}. */
  public static final class Builder {
    private long seed = 1;
    private LinkConditions conditions = LinkConditions.PERFECT;
    private BiConsumer<NodeId, MessagingNode.Builder> configurer = (id, b) -> {};

    private Builder() {}

    /** The seed of the network's randomness (default 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The conditions of every link (default: 1 ms, no loss, no duplicates, in order). */
    public Builder linkConditions(LinkConditions conditions) {
      this.conditions = Objects.requireNonNull(conditions, "conditions");
      return this;
    }

    /**
     * Adjusts each node's builder before it is built (timings, capacity, listeners); the harness
     * has already set the id, the transport, the loop and the incarnation.
     */
    public Builder configure(BiConsumer<NodeId, MessagingNode.Builder> configurer) {
      this.configurer = Objects.requireNonNull(configurer, "configurer");
      return this;
    }

    public SimulatedCluster build() {
      return new SimulatedCluster(this);
    }
  }
}
