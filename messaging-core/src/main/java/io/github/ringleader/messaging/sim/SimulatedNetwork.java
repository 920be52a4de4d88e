package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A simulated network between servers, in virtual time: the in-memory {@link ClusterTransport}.
 *
 * <p>Messages travel as bytes through the real {@link ClusterCodec}, so a simulation exercises the
 * wire format too. Each delivery follows the {@link LinkConditions} of its link (latency, loss,
 * duplication, reordering), drawn from one seeded {@link Random}: the same seed and the same
 * inputs give the same run. Partitions split the servers into groups that cannot reach each other;
 * a message in flight when its link is cut is lost. "Send to all" reaches every attached server of
 * the sender's group, the sender included, as UDP multicast with loopback does.
 *
 * <p>With a {@link ClusterKey} ({@link #setClusterKey} for every endpoint made after, or {@link
 * #transport(NodeId, ClusterKey)} for one), an endpoint seals what it sends with a {@link
 * FrameAuthenticator} and opens what it receives with its own, as the UDP transport does: a frame
 * it refuses (plain, failing its tag, a replay — a duplicated delivery is one) is dropped and
 * counted ({@link #refused}) instead of delivered.
 */
public final class SimulatedNetwork {

  private final VirtualTimeScheduler scheduler;
  private final Random random;
  private long malformedDropped;
  private final Map<AuthFailure, Long> refused = new EnumMap<>(AuthFailure.class);
  private @Nullable ClusterKey clusterKey;
  private @Nullable Consumer<Sent> tap;
  private LinkConditions defaults = LinkConditions.PERFECT;
  private final Map<List<NodeId>, LinkConditions> links = new HashMap<>();
  /** Attached endpoints by id; more than one only when two servers wrongly share an id. */
  private final Map<NodeId, List<Endpoint>> endpoints = new LinkedHashMap<>();

  private Map<NodeId, Integer> groups = new HashMap<>();
  private int nextIsolatedGroup = -1;
  /**
   * Every partition layout since the start, by generation; a message is lost if any layout during
   * its flight separated its ends, even if the cut healed before it would have arrived.
   */
  private final List<Map<NodeId, Integer>> layouts = new ArrayList<>(List.of(Map.of()));

  private final Map<String, long[]> stats = new TreeMap<>();

  public SimulatedNetwork(VirtualTimeScheduler scheduler, long seed) {
    this.scheduler = scheduler;
    this.random = new Random(seed);
  }

  public VirtualTimeScheduler scheduler() {
    return scheduler;
  }

  /** Sets the conditions of every link without its own. */
  public void setConditions(LinkConditions conditions) {
    this.defaults = conditions;
  }

  public LinkConditions conditions() {
    return defaults;
  }

  /** Sets the conditions of the one-way link {@code from → to}. */
  public void setLink(NodeId from, NodeId to, LinkConditions conditions) {
    links.put(List.of(from, to), conditions);
  }

  /** Gives every link the default conditions again. */
  public void clearLinks() {
    links.clear();
  }

  /**
   * Splits the network: servers in different groups cannot reach each other. Servers named in no
   * group form one more group together.
   */
  public void partition(Collection<? extends Collection<NodeId>> groupsOfIds) {
    Map<NodeId, Integer> next = new HashMap<>();
    int group = 1;
    for (Collection<NodeId> ids : groupsOfIds) {
      for (NodeId id : ids) {
        next.put(id, group);
      }
      group++;
    }
    changeLayout(next);
  }

  /** Cuts {@code id} off from every other server (on top of any partition in place). */
  public void isolate(NodeId id) {
    Map<NodeId, Integer> next = new HashMap<>(groups);
    next.put(id, nextIsolatedGroup--);
    changeLayout(next);
  }

  /** Ends every partition. */
  public void heal() {
    changeLayout(new HashMap<>());
  }

  private void changeLayout(Map<NodeId, Integer> next) {
    groups = next;
    layouts.add(Map.copyOf(next));
  }

  /** Whether a message from {@code from} can reach {@code to} now. */
  public boolean canReach(NodeId from, NodeId to) {
    return canReach(groups, from, to);
  }

  private static boolean canReach(Map<NodeId, Integer> layout, NodeId from, NodeId to) {
    return from.equals(to) || layout.getOrDefault(from, 0).equals(layout.getOrDefault(to, 0));
  }

  /** Whether every layout from generation {@code sentIn} to now let {@code from} reach {@code to}. */
  private boolean reachableThroughout(int sentIn, NodeId from, NodeId to) {
    for (int generation = sentIn; generation < layouts.size(); generation++) {
      if (!canReach(layouts.get(generation), from, to)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the network is split now. */
  public boolean isPartitioned() {
    return !groups.isEmpty();
  }

  /**
   * A new endpoint for server {@code id}, with the key set by {@link #setClusterKey} (if any); it
   * joins the network when the node starts it.
   */
  public ClusterTransport transport(NodeId id) {
    return new Endpoint(id, clusterKey);
  }

  /** A new endpoint for server {@code id} that authenticates with {@code key} (none if null). */
  public ClusterTransport transport(NodeId id, @Nullable ClusterKey key) {
    return new Endpoint(id, key);
  }

  /** The key of the endpoints made from now on by {@link #transport(NodeId)}; null for none. */
  public void setClusterKey(@Nullable ClusterKey key) {
    this.clusterKey = key;
  }

  /**
   * Shows every datagram a server accepted, as sent (sealed if its sender has a key), to {@code
   * tap} (null: none) — an eavesdropper, for replaying them with {@link #inject}.
   */
  public void setTap(@Nullable Consumer<Sent> tap) {
    this.tap = tap;
  }

  /** A datagram {@code from} sent that {@code to} accepted. */
  public record Sent(NodeId from, NodeId to, byte[] datagram) {}

  /** Frames an endpoint with a key refused for {@code reason}, delivered or injected. */
  public long refused(AuthFailure reason) {
    return refused.getOrDefault(reason, 0L);
  }

  /**
   * Counts per message type: datagrams sent (a send to all counts once, as one multicast datagram
   * does on a wire), copies delivered, and copies dropped (loss or partition).
   */
  public Map<String, Counts> stats() {
    Map<String, Counts> copy = new TreeMap<>();
    stats.forEach((type, c) -> copy.put(type, new Counts(c[0], c[1], c[2])));
    return copy;
  }

  /** Forgets the counts. */
  public void resetStats() {
    stats.clear();
  }

  /** Per-type message counts. */
  public record Counts(long sent, long delivered, long dropped) {}

  private long[] counts(ClusterEnvelope envelope) {
    return stats.computeIfAbsent(envelope.message().getClass().getSimpleName(), k -> new long[3]);
  }

  private LinkConditions link(NodeId from, NodeId to) {
    LinkConditions specific = links.get(List.of(from, to));
    return specific != null ? specific : defaults;
  }

  private void transmit(Endpoint source, ClusterEnvelope envelope, @Nullable NodeId to) {
    byte[] plain = ClusterCodec.encode(envelope);
    FrameAuthenticator sealer = source.authenticator;
    byte[] bytes = sealer == null ? plain : sealer.seal(plain);
    long[] counts = counts(envelope);
    counts[0]++;
    List<NodeId> targets = new ArrayList<>();
    if (to != null) {
      targets.add(to);
    } else {
      targets.addAll(endpoints.keySet());
    }
    for (NodeId target : targets) {
      if (!canReach(source.id, target)) {
        counts[2]++;
        continue;
      }
      LinkConditions conditions = link(source.id, target);
      if (random.nextDouble() < conditions.lossRate()) {
        counts[2]++;
        continue;
      }
      int copies = random.nextDouble() < conditions.duplicateRate() ? 2 : 1;
      for (int i = 0; i < copies; i++) {
        long latency = latencyNanos(conditions);
        int sentIn = layouts.size() - 1;
        scheduler.add(
            scheduler.nanoTime() + latency,
            () -> deliver(source.id, target, bytes, counts, sentIn),
            null);
      }
    }
  }

  private long latencyNanos(LinkConditions conditions) {
    long min = conditions.minLatency().toNanos();
    long max = conditions.maxLatency().toNanos();
    long latency = min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0);
    if (random.nextDouble() < conditions.reorderRate()) {
      latency += (long) (random.nextDouble() * 10 * Math.max(max, 1));
    }
    return latency;
  }

  private void deliver(NodeId from, NodeId to, byte[] bytes, long[] counts, int sentIn) {
    List<Endpoint> receivers = endpoints.get(to);
    if (receivers == null || !reachableThroughout(sentIn, from, to)) {
      counts[2]++;
      return;
    }
    for (Endpoint receiver : List.copyOf(receivers)) {
      ClusterTransport.Receiver target = receiver.receiver;
      if (target == null) {
        continue;
      }
      List<ClusterEnvelope> envelopes;
      try {
        envelopes = receiver.open(bytes);
      } catch (AuthenticationException e) {
        refused.merge(e.reason(), 1L, Long::sum);
        counts[2]++;
        continue;
      } catch (CodecException e) {
        if (endpointsDisagreeOnKeys(from, receiver)) {
          malformedDropped++; // a keyed sender's frame at a receiver without a key: bad magic
          counts[2]++;
          continue;
        }
        throw new IllegalStateException("the codec cannot read what it wrote", e);
      }
      for (ClusterEnvelope envelope : envelopes) {
        counts[1]++;
        target.onMessage(envelope);
      }
      Consumer<Sent> eavesdropper = tap;
      if (eavesdropper != null) {
        eavesdropper.accept(new Sent(from, to, bytes.clone()));
      }
    }
  }

  private boolean endpointsDisagreeOnKeys(NodeId from, Endpoint receiver) {
    List<Endpoint> senders = endpoints.get(from);
    if (senders == null) {
      return true; // the sender has left; it cannot be asked, and need not be
    }
    for (Endpoint sender : senders) {
      if ((sender.authenticator == null) != (receiver.authenticator == null)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Delivers {@code datagram} to {@code to} now, as a datagram from anyone (a forger, say) would
   * arrive: decoded there, and dropped and counted ({@link #malformedDropped()}) if malformed, as
   * the UDP transport does. An endpoint with a key checks the tag and replay first and refuses
   * what fails ({@link #refused}). Returns whether it was accepted (by every receiver there is;
   * with none, whether it decodes as a plain frame).
   */
  public boolean inject(NodeId to, byte[] datagram) {
    List<Endpoint> receivers = endpoints.get(to);
    if (receivers == null || receivers.isEmpty()) {
      try {
        ClusterCodec.decode(datagram);
        return true;
      } catch (CodecException e) {
        malformedDropped++;
        return false;
      }
    }
    boolean accepted = true;
    for (Endpoint receiver : List.copyOf(receivers)) {
      ClusterTransport.Receiver target = receiver.receiver;
      if (target == null) {
        continue;
      }
      List<ClusterEnvelope> envelopes;
      try {
        envelopes = receiver.open(datagram);
      } catch (CodecException e) {
        malformedDropped++;
        accepted = false;
        continue;
      } catch (AuthenticationException e) {
        refused.merge(e.reason(), 1L, Long::sum);
        accepted = false;
        continue;
      }
      for (ClusterEnvelope envelope : envelopes) {
        scheduler.add(scheduler.nanoTime(), () -> target.onMessage(envelope), null);
      }
    }
    return accepted;
  }

  /** Injected datagrams (and deliveries between endpoints with different keys) that did not decode. */
  public long malformedDropped() {
    return malformedDropped;
  }

  /** One server's attachment to the network. */
  private final class Endpoint implements ClusterTransport {
    final NodeId id;
    final @Nullable FrameAuthenticator authenticator;

    @Nullable
    Receiver receiver;

    boolean closed;

    Endpoint(NodeId id, @Nullable ClusterKey key) {
      this.id = id;
      this.authenticator = key == null ? null : new FrameAuthenticator(key);
    }

    /** Decodes one simulated datagram, checking its tag and replay first if this has a key. */
    List<ClusterEnvelope> open(byte[] datagram) throws CodecException, AuthenticationException {
      FrameAuthenticator auth = authenticator;
      if (auth == null) {
        return List.of(ClusterCodec.decode(datagram));
      }
      List<ClusterEnvelope> opened = new ArrayList<>(1);
      auth.openAll(datagram, 0, datagram.length, opened);
      return opened;
    }

    @Override
    public void start(Receiver receiver) {
      if (closed || this.receiver != null) {
        throw new IllegalStateException("endpoint of " + id + " was already started or closed");
      }
      this.receiver = receiver;
      endpoints.computeIfAbsent(id, k -> new ArrayList<>()).add(this);
    }

    @Override
    public void send(NodeId to, ClusterEnvelope envelope) {
      if (receiver != null && !closed) {
        transmit(this, envelope, to);
      }
    }

    @Override
    public void sendToAll(ClusterEnvelope envelope) {
      if (receiver != null && !closed) {
        transmit(this, envelope, null);
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      receiver = null;
      List<Endpoint> same = endpoints.get(id);
      if (same != null) {
        same.remove(this);
        if (same.isEmpty()) {
          endpoints.remove(id);
        }
      }
    }
  }
}
