package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.CodecException;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
 */
public final class SimulatedNetwork {

  private final VirtualTimeScheduler scheduler;
  private final Random random;
  private long malformedDropped;
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

  /** A new endpoint for server {@code id}; it joins the network when the node starts it. */
  public ClusterTransport transport(NodeId id) {
    return new Endpoint(id);
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
    byte[] bytes = ClusterCodec.encode(envelope);
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
    ClusterEnvelope envelope;
    try {
      envelope = ClusterCodec.decode(bytes);
    } catch (CodecException e) {
      throw new IllegalStateException("the codec cannot read what it wrote", e);
    }
    for (Endpoint receiver : List.copyOf(receivers)) {
      ClusterTransport.Receiver target = receiver.receiver;
      if (target != null) {
        counts[1]++;
        target.onMessage(envelope);
      }
    }
  }

  /**
   * Delivers {@code datagram} to {@code to} now, as a datagram from anyone (a forger, say) would
   * arrive: decoded there, and dropped and counted ({@link #malformedDropped()}) if malformed, as
   * the UDP transport does. Returns whether it decoded.
   */
  public boolean inject(NodeId to, byte[] datagram) {
    ClusterEnvelope envelope;
    try {
      envelope = ClusterCodec.decode(datagram);
    } catch (CodecException e) {
      malformedDropped++;
      return false;
    }
    List<Endpoint> receivers = endpoints.get(to);
    for (Endpoint receiver : receivers == null ? List.<Endpoint>of() : List.copyOf(receivers)) {
      ClusterTransport.Receiver target = receiver.receiver;
      if (target != null) {
        scheduler.add(scheduler.nanoTime(), () -> target.onMessage(envelope), null);
      }
    }
    return true;
  }

  /** Injected datagrams that did not decode. */
  public long malformedDropped() {
    return malformedDropped;
  }

  /** One server's attachment to the network. */
  private final class Endpoint implements ClusterTransport {
    final NodeId id;
    @Nullable Receiver receiver;
    boolean closed;

    Endpoint(NodeId id) {
      this.id = id;
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
