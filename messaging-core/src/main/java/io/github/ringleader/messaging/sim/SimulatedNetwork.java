package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.util.ArrayList;
import java.util.Collection;
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
 * <p>Frames travel as the bytes the nodes made of them (the real codec, sealed with the cluster
 * key if the nodes have one), so a simulation exercises the wire format and the frame layer too. Each delivery follows the {@link LinkConditions} of its link (latency, loss,
 * duplication, reordering), drawn from one seeded {@link Random}: the same seed and the same
 * inputs give the same run. Partitions split the servers into groups that cannot reach each other;
 * a message in flight when its link is cut is lost. "Send to all" reaches every attached server of
 * the sender's group, the sender included, as UDP multicast with loopback does.
 *
 * <p>Like any transport it never looks inside a frame: with a cluster key ({@code
 * SimulatedCluster.setClusterKey}) the nodes seal and open frames themselves, and a frame the
 * receiving node refuses (plain, failing its tag, a replay — a duplicated delivery is one) counts
 * as dropped here ({@link #rejectedDeliveries}) and in that node's metrics.
 */
public final class SimulatedNetwork {

  private final VirtualTimeScheduler scheduler;
  private final Random random;
  private long rejected;
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

  /** A new endpoint for server {@code id}; it joins the network when the node starts it. */
  public ClusterTransport transport(NodeId id) {
    return new Endpoint(id);
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

  private long[] counts(String type) {
    return stats.computeIfAbsent(type, k -> new long[3]);
  }

  private LinkConditions link(NodeId from, NodeId to) {
    LinkConditions specific = links.get(List.of(from, to));
    return specific != null ? specific : defaults;
  }

  private void transmit(Endpoint source, OutboundFrame frame, @Nullable NodeId to) {
    byte[] bytes = frame.bytes(); // taken as it leaves: a sealed frame is numbered here
    long[] counts = counts(frame.type());
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
      if (target.onFrames(bytes, 0, bytes.length, from) == null) {
        rejected++; // refused (a replayed duplicate, a key the receiver lacks) or malformed
        counts[2]++;
        continue;
      }
      counts[1]++;
      Consumer<Sent> eavesdropper = tap;
      if (eavesdropper != null) {
        eavesdropper.accept(new Sent(from, to, bytes.clone()));
      }
    }
  }

  /**
   * Delivers {@code datagram} to {@code to} now, as a datagram from anyone (a forger, say) would
   * arrive: the node there opens it, and drops and counts it (in its metrics) if it is malformed
   * or fails its cluster key check. Returns whether it was accepted (by every receiver there is;
   * with none, whether it decodes as a plain frame).
   */
  public boolean inject(NodeId to, byte[] datagram) {
    List<Endpoint> receivers = endpoints.get(to);
    if (receivers == null || receivers.isEmpty()) {
      try {
        ClusterCodec.decode(datagram);
        return true;
      } catch (CodecException e) {
        return false;
      }
    }
    boolean accepted = true;
    for (Endpoint receiver : List.copyOf(receivers)) {
      ClusterTransport.Receiver target = receiver.receiver;
      if (target != null && target.onFrames(datagram, 0, datagram.length, "injected") == null) {
        accepted = false;
      }
    }
    return accepted;
  }

  /**
   * Deliveries between servers that the receiving node refused or could not decode: replayed
   * duplicates and frames under a key the receiver lacks, when keys are in play; otherwise none,
   * unless the codec cannot read what it wrote — a check a simulation can assert on.
   */
  public long rejectedDeliveries() {
    return rejected;
  }

  /** One server's attachment to the network. */
  private final class Endpoint implements ClusterTransport {
    final NodeId id;

    @Nullable
    Receiver receiver;

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
    public void send(NodeId to, OutboundFrame frame) {
      if (receiver != null && !closed) {
        transmit(this, frame, to);
      }
    }

    @Override
    public void sendToAll(OutboundFrame frame) {
      if (receiver != null && !closed) {
        transmit(this, frame, null);
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
