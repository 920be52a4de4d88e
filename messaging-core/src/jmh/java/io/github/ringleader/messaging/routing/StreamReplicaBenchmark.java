package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A member's replication hot path: a {@link StreamReplica} in an epoch of leader {@code server9}
 * whose directory has one client on each of three servers. One operation is one batch: {@code
 * batch} {@link Sequenced} chats in order, then the leader's {@link StreamState} making them
 * stable (and saying every member delivered the previous batch), which delivers them to a
 * counting sink, and the {@link StreamReplica#flush} that sends one {@link StreamAck}. Divide by
 * {@code batch} for the cost per entry.
 *
 * <p>{@link #inputsOnly} allocates the same inputs (what the decoder creates in a server)
 * without the replica.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StreamReplicaBenchmark {

  static final NodeId SELF = NodeId.of("server2");
  static final NodeId LEADER = SequencerBenchmark.LEADER;
  static final long EPOCH = SequencerBenchmark.EPOCH;
  static final long NOW = SequencerBenchmark.NOW;
  static final long RETRY = SequencerBenchmark.RETRY;
  static final String TEXT_128 = SequencerBenchmark.TEXT_128;

  /** Entries per acknowledgement round. */
  @Param({"1", "16", "256"})
  public int batch;

  private final NodeId[] servers = {NodeId.of("server1"), SELF, LEADER};
  private final String[] names = {"alice", "bob", "carol"};
  private final long[] sessions = {11, 22, 33};
  private final long[] lastClientSeq = new long[3];
  private int nextSender;

  private final CountingOutbox outbox = new CountingOutbox();
  private final CountingSink sink = new CountingSink();

  @SuppressWarnings("NullAway.Init") // set in @Setup
  private StreamReplica replica;

  private long head;

  @Setup(Level.Trial)
  public void enterEpoch() {
    replica = new StreamReplica(SELF, sink, outbox, RETRY);
    replica.onSyncRequest(LEADER, new SyncRequest(EPOCH));
    List<StreamEntry.Session> directory = List.of(
        new StreamEntry.Session(names[0], sessions[0], servers[0], 0),
        new StreamEntry.Session(names[1], sessions[1], servers[1], 0),
        new StreamEntry.Session(names[2], sessions[2], servers[2], 0));
    replica.onSequenced(
        LEADER, new Sequenced(EPOCH, 1, new StreamEntry.Directory(0, 1, directory)), NOW);
    replica.onStreamState(LEADER, new StreamState(EPOCH, 1, 1, 0), NOW);
    replica.flush();
    head = 1;
    if (replica.isFrozen() || replica.delivered() != 1 || replica.directory().size() != 3) {
      throw new IllegalStateException("not in the epoch with its directory: " + replica);
    }
  }

  @Benchmark
  public long receiveAndDeliverBatch() {
    long before = head;
    for (int i = 0; i < batch; i++) {
      int s = nextSender();
      long seq = ++lastClientSeq[s];
      replica.onSequenced(
          LEADER,
          new Sequenced(
              EPOCH,
              ++head,
              new StreamEntry.Chat(names[s], sessions[s], seq, null, TEXT_128, seq - 1)),
          NOW);
    }
    replica.onStreamState(LEADER, new StreamState(EPOCH, head, head, before), NOW);
    replica.flush();
    return replica.delivered();
  }

  @Benchmark
  public void inputsOnly(Blackhole blackhole) {
    long before = head;
    for (int i = 0; i < batch; i++) {
      int s = nextSender();
      long seq = ++lastClientSeq[s];
      blackhole.consume(new Sequenced(
          EPOCH,
          ++head,
          new StreamEntry.Chat(names[s], sessions[s], seq, null, TEXT_128, seq - 1)));
    }
    blackhole.consume(new StreamState(EPOCH, head, head, before));
  }

  private int nextSender() {
    int s = nextSender;
    nextSender = s == 2 ? 0 : s + 1;
    return s;
  }

  /** Fails the run if the replica did not deliver every chat: the numbers would measure a no-op. */
  @TearDown(Level.Trial)
  public void check() {
    if (sink.chats > 0 && (replica.delivered() != head || sink.chats != head - 1)) {
      throw new IllegalStateException(
          "delivered " + sink.chats + " chats of " + (head - 1) + ": " + replica);
    }
    if (replica.buffered() != 0) {
      throw new IllegalStateException(replica.buffered() + " entries left undelivered: " + replica);
    }
  }

  /** Counts what the replica sends; keeps nothing. */
  static final class CountingOutbox implements RoutingOutbox {
    long acks;
    long other;

    @Override
    public void send(NodeId to, ClusterMessage message) {
      if (message instanceof StreamAck) {
        acks++;
      } else {
        other++;
      }
    }

    @Override
    public void sendToAll(ClusterMessage message) {
      other++;
    }
  }

  /** Counts deliveries; keeps nothing. */
  static final class CountingSink implements StreamReplica.Sink {
    long chats;

    @Override
    public void onDelivered(StreamEntry entry, Map<Long, StreamEntry.Session> directory) {
      if (entry instanceof StreamEntry.Chat) {
        chats++;
      }
    }

    @Override
    public void onDirectoryReplaced(
        Map<Long, StreamEntry.Session> before, Map<Long, StreamEntry.Session> after) {}

    @Override
    public void onEpochStarted(long epoch) {}

    @Override
    public List<StreamEntry.Session> sessionReport() {
      return List.of();
    }
  }
}
