package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodecBenchmark;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.SyncReply;
import java.util.List;
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
 * The leader's sequencing hot path: a {@link Sequencer} in the ACTIVE phase of a 3-member epoch
 * (this leader, {@code server1}, {@code server2}), with one client on each server. One operation
 * is one batch: {@code batch} forwarded chats (round-robin over the three senders, each in its
 * own order), then a {@link StreamAck} from every member (all received; delivered up to the
 * previous batch, as after one round trip) and the {@link Sequencer#flush} that sends the stream
 * state. Divide by {@code batch} for the cost per entry.
 *
 * <p>{@link #inputsOnly} allocates the same inputs (chats and acks, which the decoder creates in a
 * server) without the sequencer: the part of {@link #sequenceBatch} that is not the sequencer's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SequencerBenchmark {

  static final NodeId LEADER = NodeId.of("server9");
  static final NodeId A = NodeId.of("server1");
  static final NodeId B = NodeId.of("server2");
  static final long EPOCH = Epochs.of(3, LEADER, 1, 0);
  static final long NOW = 1_000_000_000L;
  /** Long enough that nothing is re-sent: every member acknowledges everything each batch. */
  static final long RETRY = TimeUnit.SECONDS.toNanos(1);

  static final String TEXT_128 = ClusterCodecBenchmark.TEXT_128;

  /** Entries per acknowledgement round. */
  @Param({"1", "16", "256"})
  public int batch;

  /** The three senders: one client on each member. */
  private final NodeId[] servers = {A, B, LEADER};

  private final String[] names = {"alice", "bob", "carol"};
  private final long[] sessions = {11, 22, 33};
  private final long[] lastClientSeq = new long[3];
  private int nextSender;

  private final CountingOutbox outbox = new CountingOutbox();

  @SuppressWarnings("NullAway.Init") // set in @Setup
  private Sequencer sequencer;

  private long openingHead;
  private long chats;
  private long deliveredEverywhere;

  @Setup(Level.Trial)
  public void activate() {
    sequencer = new Sequencer(LEADER, EPOCH, List.of(A, B), outbox, RETRY, RETRY);
    sequencer.begin(List.of(reply(2)), NOW);
    sequencer.onSyncReply(A, reply(0), NOW);
    sequencer.onSyncReply(B, reply(1), NOW);
    if (!sequencer.isActive()) {
      throw new IllegalStateException("not active after every member answered: " + sequencer);
    }
    openingHead = sequencer.head();
    deliveredEverywhere = openingHead;
    acknowledgeAll(openingHead);
  }

  private SyncReply reply(int member) {
    return new SyncReply(
        EPOCH,
        0,
        0,
        0,
        1,
        List.of(),
        List.of(new StreamEntry.Session(names[member], sessions[member], servers[member], 0)));
  }

  @Benchmark
  public long sequenceBatch() {
    for (int i = 0; i < batch; i++) {
      int s = nextSender();
      long seq = ++lastClientSeq[s];
      sequencer.onForward(
          servers[s],
          new StreamEntry.Chat(names[s], sessions[s], seq, null, TEXT_128, seq - 1),
          NOW);
    }
    chats += batch;
    acknowledgeAll(sequencer.head());
    return sequencer.head();
  }

  private void acknowledgeAll(long head) {
    sequencer.onStreamAck(A, new StreamAck(EPOCH, head, deliveredEverywhere), NOW);
    sequencer.onStreamAck(B, new StreamAck(EPOCH, head, deliveredEverywhere), NOW);
    sequencer.onStreamAck(LEADER, new StreamAck(EPOCH, head, deliveredEverywhere), NOW);
    sequencer.flush(NOW);
    deliveredEverywhere = head;
  }

  @Benchmark
  public void inputsOnly(Blackhole sink) {
    for (int i = 0; i < batch; i++) {
      int s = nextSender();
      long seq = ++lastClientSeq[s];
      sink.consume(new StreamEntry.Chat(names[s], sessions[s], seq, null, TEXT_128, seq - 1));
    }
    sink.consume(new StreamAck(EPOCH, lastClientSeq[0], deliveredEverywhere));
    sink.consume(new StreamAck(EPOCH, lastClientSeq[1], deliveredEverywhere));
    sink.consume(new StreamAck(EPOCH, lastClientSeq[2], deliveredEverywhere));
  }

  private int nextSender() {
    int s = nextSender;
    nextSender = s == 2 ? 0 : s + 1;
    return s;
  }

  /** Fails the run if the sequencer dropped a chat: the numbers would measure a no-op. */
  @TearDown(Level.Trial)
  public void check() {
    if (chats > 0
        && (sequencer.head() != openingHead + chats || outbox.sequenced != sequencer.head())) {
      throw new IllegalStateException(
          "sequenced " + outbox.sequenced + " of " + chats + " chats: " + sequencer);
    }
    if (sequencer.logSize() > 2 * batch) {
      throw new IllegalStateException("log not trimmed: " + sequencer.logSize() + " entries");
    }
  }

  /** Counts what the sequencer sends; keeps nothing. */
  static final class CountingOutbox implements RoutingOutbox {
    long sent;
    long sequenced;
    long other;

    @Override
    public void send(NodeId to, ClusterMessage message) {
      sent++;
    }

    @Override
    public void sendToAll(ClusterMessage message) {
      if (message instanceof Sequenced) {
        sequenced++;
      } else {
        other++;
      }
    }
  }
}
