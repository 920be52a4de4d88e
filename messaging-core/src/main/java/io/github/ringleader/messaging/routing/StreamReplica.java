package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import io.github.ringleader.messaging.session.ResumeToken;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server's copy of the sequenced stream: it receives the leader's entries, acknowledges them,
 * and delivers them in sequence order once they are stable (every member has them), never twice.
 * It keeps the directory of connected clients that the delivered entries describe.
 *
 * <p><b>Why deliver only stable entries.</b> Whatever one server delivered, every other member of
 * the epoch already holds. So when the leader changes, the new leader can collect from the
 * members everything any of them delivered and not everyone did, and carry it into the next
 * epoch: no delivered message is lost for the others, none is delivered twice, and the order is
 * kept.
 *
 * <p><b>Flush.</b> Asked to sync for a new epoch, the replica freezes (delivers nothing more of
 * its epoch) and reports how far it delivered, the delivered entries others may lack, and its
 * local sessions. When the new epoch's first entries arrive it starts over in that epoch; {@link
 * StreamEntry.Carried} entries it delivered before are skipped.
 *
 * <p>A pure state machine: messages and time in; deliveries to a {@link Sink}, messages to a
 * {@link RoutingOutbox}.
 */
public final class StreamReplica {
  private static final Logger log = LoggerFactory.getLogger(StreamReplica.class);

  /** Receives what the replica delivers. */
  public interface Sink {
    /** Called for each entry in stream order, after the directory reflects it. */
    void onDelivered(StreamEntry entry, Map<Long, StreamEntry.Session> directory);

    /** A new epoch's directory replaced the old one. */
    void onDirectoryReplaced(
        Map<Long, StreamEntry.Session> before, Map<Long, StreamEntry.Session> after);

    /** This replica entered a new epoch: requests not yet delivered must be forwarded again. */
    void onEpochStarted(long epoch);

    /**
     * The sessions to report in a flush: this server's own clients, and every other session this
     * replica knows, each with the last request number this replica delivered of it.
     */
    List<StreamEntry.Session> sessionReport();
  }

  /** Entries held beyond what was received contiguously; a farther entry is dropped. */
  static final int RECEIVE_WINDOW = 8192;
  /** Bytes of entries and sessions in one sync reply datagram (under the 64 KiB frame limit). */
  static final int SYNC_PART_BYTES = 40_000;
  /**
   * Entries held from the next one to deliver on, at most: more than the leader's window (the
   * most entries it has sequenced and not seen delivered everywhere), so a leader that keeps to
   * it never has an entry dropped for this.
   */
  static final int RING = 16_384;

  private static final int RING_MASK = RING - 1;

  /** Epochs remembered in {@link #deliveredUpTo}. */
  static final int REMEMBERED_EPOCHS = 32;
  /** Delivered entries kept for flushes, at most. */
  static final int MAX_RETAINED = 8192;
  /** Sessions remembered in {@link #seen}. */
  static final int REMEMBERED_SESSIONS = 8192;

  private final NodeId self;
  private final Sink sink;
  private final RoutingOutbox outbox;
  private final long retryNanos;

  private long epoch;
  private @Nullable NodeId epochLeader;
  /** The epoch of the last sync answered; other than {@link #epoch} means frozen. */
  private long syncedFor;
  /** Epochs whose flush this replica answered, the most recent few. */
  private final java.util.LinkedHashSet<Long> answered = new java.util.LinkedHashSet<>();
  /**
   * The entries received and not yet delivered, entry {@code seq} at {@code seq & RING_MASK}: only
   * sequence numbers in (delivered, delivered + {@link #RING}] are kept, so no two share a slot.
   * An array, not a sorted map: nothing boxed or allocated per entry.
   */
  private final @Nullable StreamEntry[] received = new StreamEntry[RING];
  /** How many slots of {@link #received} hold an entry. */
  private int buffered;

  private long receivedContiguous;
  private long delivered;
  private long stableKnown;
  private long allDeliveredKnown;
  private long headKnown;
  /**
   * Delivered entries of this epoch that others may not have delivered yet — positions
   * (allDeliveredKnown, delivered] — each with its origin: (epoch, seq) where it was first
   * sequenced.
   */
  private final TreeMap<Long, StreamEntry.Carried> deliveredLog = new TreeMap<>();
  /**
   * Delivered entries of earlier epochs, kept until every member of this epoch has delivered its
   * opening block (the entries a flush carried into it), in case this epoch is itself cut short.
   */
  private final List<StreamEntry.Carried> olderDelivered = new ArrayList<>();
  /** Per epoch this replica entered (the most recent few): the last origin seq it delivered. */
  private final LinkedHashMap<Long, Long> deliveredUpTo = new LinkedHashMap<>();
  /** The position of the last entry of this epoch's opening block, once a later entry came. */
  private long openingEnd = -1;

  private Map<Long, StreamEntry.Session> directory = new LinkedHashMap<>();
  /**
   * Per session this replica has seen (the most recent {@link #REMEMBERED_SESSIONS}, also after
   * they left): the highest request number it delivered. Kept after a session leaves the directory,
   * because a client whose server was cut off may be back in a later epoch, and the next leader
   * must not sequence again what this replica delivered.
   */
  private final LinkedHashMap<Long, StreamEntry.Session> seen =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, StreamEntry.Session> eldest) {
          return size() > REMEMBERED_SESSIONS;
        }
      };

  private final List<StreamEntry.Directory> directoryParts = new ArrayList<>();
  private boolean ackDue;
  /** Where the entry being delivered was first sequenced: its position, the same everywhere. */
  private long positionEpoch;

  private long positionSeq;
  private long nextNackNanos = Long.MAX_VALUE;
  private long deliveredCount;

  public StreamReplica(NodeId self, Sink sink, RoutingOutbox outbox, long retryNanos) {
    this.self = self;
    this.sink = sink;
    this.outbox = outbox;
    this.retryNanos = retryNanos;
  }

  // ---------------------------------------------------------------- inputs

  public void onSequenced(NodeId from, Sequenced message, long nowNanos) {
    if (log.isTraceEnabled()) {
      log.trace(
          "[{}] got {}:{} from {} (in {}, synced {})",
          self,
          Epochs.format(message.epoch()),
          message.seq(),
          from,
          Epochs.format(epoch),
          Epochs.format(syncedFor));
    }
    if (!accept(from, message.epoch())) {
      return;
    }
    long seq = message.seq();
    headKnown = Math.max(headKnown, seq);
    if (seq <= receivedContiguous
        || seq > receivedContiguous + RECEIVE_WINDOW
        || seq > delivered + RING) {
      ackDue = true; // a duplicate, or too far ahead: say where we are
      return;
    }
    int slot = (int) (seq & RING_MASK);
    if (received[slot] == null) {
      received[slot] = message.entry();
      buffered++;
    }
    while (receivedContiguous < delivered + RING
        && received[(int) ((receivedContiguous + 1) & RING_MASK)] != null) {
      receivedContiguous++;
    }
    ackDue = true;
    deliverReady();
    scheduleNack(nowNanos);
  }

  public void onStreamState(NodeId from, StreamState state, long nowNanos) {
    if (!accept(from, state.epoch())) {
      return;
    }
    headKnown = Math.max(headKnown, state.head());
    stableKnown = Math.max(stableKnown, state.stable());
    if (state.delivered() > allDeliveredKnown) {
      allDeliveredKnown = state.delivered();
      deliveredLog.headMap(allDeliveredKnown, true).clear();
      if (openingEnd >= 0 && allDeliveredKnown >= openingEnd) {
        olderDelivered.clear();
      }
    }
    deliverReady();
    if (headKnown > receivedContiguous) {
      ackDue = true;
    }
    scheduleNack(nowNanos);
  }

  /**
   * The leader of a new epoch asks for this replica's state. Answered every time it is asked
   * (the answer may be lost); from the first request on, nothing more of the current epoch is
   * delivered.
   */
  public void onSyncRequest(NodeId from, SyncRequest request) {
    long requested = request.epoch();
    if (requested == epoch
        || Epochs.earlierFlushOfSameLeader(requested, epoch)
        || Epochs.earlierFlushOfSameLeader(requested, syncedFor)) {
      return; // a late copy of a request for a flush this leader has moved past
    }
    // The router passes only requests from the leader this server follows; the latest decides
    // which epoch this replica will enter (epoch ids of different leaders do not compare).
    syncedFor = requested;
    answered.add(requested);
    if (answered.size() > REMEMBERED_EPOCHS) {
      answered.remove(answered.iterator().next());
    }
    log.debug("[{}] syncs for epoch {}: {}", self, Epochs.format(request.epoch()), this);
    for (SyncReply part : syncReply(request.epoch())) {
      outbox.send(from, part);
    }
  }

  /**
   * Freezes for {@code newEpoch}, started by this node itself as leader, and returns the reply it
   * would have sent.
   */
  public List<SyncReply> syncForOwnEpoch(long newEpoch) {
    syncedFor = newEpoch;
    answered.add(newEpoch);
    return syncReply(newEpoch);
  }

  /** The reply this replica gives a sync for {@code newEpoch}, in parts. */
  private List<SyncReply> syncReply(long newEpoch) {
    List<SyncReply.SequencedEntry> entries = new ArrayList<>();
    for (StreamEntry.Carried older : olderDelivered) {
      entries.add(new SyncReply.SequencedEntry(0, older));
    }
    for (Map.Entry<Long, StreamEntry.Carried> e : deliveredLog.entrySet()) {
      entries.add(new SyncReply.SequencedEntry(e.getKey(), e.getValue()));
    }
    // Received but not delivered here: stable entries some absent member may have delivered.
    // Every member's received entries are a prefix of one stream, so together they leave no gap.
    for (long seq = delivered + 1; seq <= receivedContiguous; seq++) {
      StreamEntry entry = received[(int) (seq & RING_MASK)];
      if (entry != null && !(entry instanceof StreamEntry.Directory)) {
        entries.add(new SyncReply.SequencedEntry(seq, origin(seq, entry)));
      }
    }
    List<StreamEntry.Session> sessions = sink.sessionReport();
    List<List<SyncReply.SequencedEntry>> entryParts = new ArrayList<>();
    List<List<StreamEntry.Session>> sessionParts = new ArrayList<>();
    List<SyncReply.SequencedEntry> currentEntries = new ArrayList<>();
    List<StreamEntry.Session> currentSessions = new ArrayList<>();
    int bytes = 0;
    for (SyncReply.SequencedEntry entry : entries) {
      int size = Sizes.of(entry.entry()) + 8;
      if (bytes + size > SYNC_PART_BYTES
          && !(currentEntries.isEmpty() && currentSessions.isEmpty())) {
        entryParts.add(currentEntries);
        sessionParts.add(currentSessions);
        currentEntries = new ArrayList<>();
        currentSessions = new ArrayList<>();
        bytes = 0;
      }
      currentEntries.add(entry);
      bytes += size;
    }
    for (StreamEntry.Session session : sessions) {
      int size = Sizes.of(session);
      if (bytes + size > SYNC_PART_BYTES
          && !(currentEntries.isEmpty() && currentSessions.isEmpty())) {
        entryParts.add(currentEntries);
        sessionParts.add(currentSessions);
        currentEntries = new ArrayList<>();
        currentSessions = new ArrayList<>();
        bytes = 0;
      }
      currentSessions.add(session);
      bytes += size;
    }
    entryParts.add(currentEntries);
    sessionParts.add(currentSessions);
    List<SyncReply> parts = new ArrayList<>();
    for (int i = 0; i < entryParts.size(); i++) {
      parts.add(new SyncReply(
          newEpoch,
          epoch,
          delivered,
          i,
          entryParts.size(),
          entryParts.get(i),
          sessionParts.get(i)));
    }
    return parts;
  }

  /** Sends a stream acknowledgement if one is due; called once after each event. */
  public void flush() {
    NodeId leader = epochLeader;
    if (ackDue && leader != null) {
      outbox.send(leader, new StreamAck(epoch, receivedContiguous, delivered));
    }
    ackDue = false;
  }

  /** Asks again for missing entries while the leader has more than this replica. */
  public void onTick(long nowNanos) {
    if (nextNackNanos <= nowNanos) {
      nextNackNanos = Long.MAX_VALUE;
      if (headKnown > receivedContiguous || stableKnown > delivered) {
        ackDue = true;
      }
      scheduleNack(nowNanos);
    }
  }

  public long nextDeadlineNanos() {
    return nextNackNanos;
  }

  // ---------------------------------------------------------------- outputs

  public long epoch() {
    return epoch;
  }

  public long delivered() {
    return delivered;
  }

  /** Entries delivered since this replica was created. */
  public long deliveredCount() {
    return deliveredCount;
  }

  public boolean isFrozen() {
    return syncedFor != epoch;
  }

  /** The connected clients by session id, as of the last delivered entry. */
  public Map<Long, StreamEntry.Session> directory() {
    return directory;
  }

  /** The highest request number of {@code session} delivered, or 0. */
  public long lastClientSeq(long session) {
    StreamEntry.Session known = seen.get(session);
    return known == null ? 0 : known.lastClientSeq();
  }

  /**
   * The epoch in which the entry being delivered (or last delivered) was first sequenced. With
   * {@link #positionSeq()}, an entry's position: the same on every server, and increasing in
   * delivery order.
   */
  public long positionEpoch() {
    return positionEpoch;
  }

  /** The entry's sequence number in {@link #positionEpoch()}. */
  public long positionSeq() {
    return positionSeq;
  }

  /** Entries received and not yet delivered (bounded by the receive window). */
  public int buffered() {
    return buffered;
  }

  // ---------------------------------------------------------------- internals

  /** Whether a message of {@code messageEpoch} belongs to the current epoch, entering it if new. */
  private boolean accept(NodeId from, long messageEpoch) {
    if (messageEpoch == epoch) {
      return true;
    }
    if (answered.contains(messageEpoch)
        && !deliveredUpTo.containsKey(messageEpoch)
        && Epochs.term(messageEpoch) >= Epochs.term(epoch)
        && !Epochs.earlierFlushOfSameLeader(messageEpoch, epoch)) {
      // A flush this replica answered has started (the router passes a new epoch's messages only
      // from the leader this server follows). Never an epoch it was in before, nor one of an older
      // term: a late message of an epoch it left must not take it back, losing what it received. It
      // may have answered a rival leader's flush since,
      // in a moment of doubt after a partition healed: the epoch its leader runs is the one.
      syncedFor = messageEpoch;
      enterEpoch(messageEpoch, from);
      return true;
    }
    // An older epoch, or one this replica took no part in (every member of an epoch answered
    // its flush): a leader on the other side of a healed partition, say, still in its own.
    return false;
  }

  private void enterEpoch(long newEpoch, NodeId leader) {
    // What this replica delivered of earlier epochs stays reportable until the new epoch's
    // opening block is delivered everywhere.
    olderDelivered.addAll(deliveredLog.values());
    while (olderDelivered.size() > MAX_RETAINED) {
      olderDelivered.remove(0);
    }
    // How far this replica got in the epoch it leaves (kept up to date only now: per entry it
    // is `delivered`), unless that epoch was closed (MAX_VALUE) or forgotten.
    deliveredUpTo.computeIfPresent(epoch, (e, upTo) -> upTo == Long.MAX_VALUE ? upTo : delivered);
    deliveredUpTo.put(newEpoch, 0L);
    while (deliveredUpTo.size() > REMEMBERED_EPOCHS) {
      deliveredUpTo.remove(deliveredUpTo.keySet().iterator().next());
    }
    openingEnd = -1;
    log.debug(
        "[{}] enters epoch {} (leader {}), leaving {} at {} delivered; {} older entries kept; epochs {}",
        self,
        Epochs.format(newEpoch),
        leader,
        Epochs.format(epoch),
        delivered,
        olderDelivered.size(),
        deliveredUpTo.keySet().stream().map(Epochs::format).toList());
    epoch = newEpoch;
    epochLeader = leader;
    java.util.Arrays.fill(received, null);
    buffered = 0;
    receivedContiguous = 0;
    delivered = 0;
    stableKnown = 0;
    allDeliveredKnown = 0;
    headKnown = 0;
    deliveredLog.clear();
    directoryParts.clear();
    sink.onEpochStarted(newEpoch);
  }

  private void scheduleNack(long nowNanos) {
    if ((headKnown > receivedContiguous || stableKnown > delivered)
        && nextNackNanos == Long.MAX_VALUE) {
      nextNackNanos = nowNanos + retryNanos;
    }
  }

  private void deliverReady() {
    long before = delivered;
    deliverStable();
    if (delivered > before) {
      ackDue = true; // the leader trims what every member has delivered
    }
  }

  private void deliverStable() {
    while (!isFrozen() && delivered < Math.min(stableKnown, receivedContiguous)) {
      long seq = delivered + 1;
      int slot = (int) (seq & RING_MASK);
      StreamEntry entry = received[slot];
      if (entry == null) {
        return;
      }
      received[slot] = null;
      buffered--;
      delivered = seq;
      deliveredCount++;
      boolean opening =
          entry instanceof StreamEntry.Directory || entry instanceof StreamEntry.Carried;
      if (!opening && openingEnd < 0) {
        openingEnd = seq - 1;
        if (allDeliveredKnown >= openingEnd) {
          olderDelivered.clear();
        }
        // Past this epoch's opening block, earlier epochs are closed here: what the flush did not
        // carry into this epoch is not delivered later, after newer messages (per-sender order).
        for (Map.Entry<Long, Long> earlier : deliveredUpTo.entrySet()) {
          if (earlier.getKey() != epoch) {
            earlier.setValue(Long.MAX_VALUE);
          }
        }
      }
      if (seq > allDeliveredKnown && !(entry instanceof StreamEntry.Directory)) {
        deliveredLog.put(seq, origin(seq, entry));
        while (deliveredLog.size() > MAX_RETAINED) {
          deliveredLog.pollFirstEntry();
        }
      }
      apply(entry);
    }
  }

  private void apply(StreamEntry entry) {
    if (log.isTraceEnabled()) {
      log.trace("[{}] delivers {}:{} {}", self, Epochs.format(epoch), delivered, entry);
    }
    if (entry instanceof StreamEntry.Carried) {
      StreamEntry.Carried carried = (StreamEntry.Carried) entry;
      Long upTo = deliveredUpTo.get(carried.epoch());
      if (upTo != null && carried.seq() > upTo) {
        // This replica was in that epoch and had not delivered this entry yet.
        deliveredUpTo.put(carried.epoch(), carried.seq());
        positionEpoch = carried.epoch();
        positionSeq = carried.seq();
        applyAt(carried.entry());
      }
      return;
    }
    positionEpoch = epoch;
    positionSeq = delivered;
    applyAt(entry);
  }

  private void applyAt(StreamEntry entry) {
    if (entry instanceof StreamEntry.Directory) {
      StreamEntry.Directory part = (StreamEntry.Directory) entry;
      directoryParts.add(part);
      if (directoryParts.size() == part.parts()) {
        Map<Long, StreamEntry.Session> next = new LinkedHashMap<>();
        for (StreamEntry.Directory p : directoryParts) {
          for (StreamEntry.Session session : p.sessions()) {
            // The session's lastClientSeq is what its own server delivered; this replica's
            // record of what it delivered itself stays as it is.
            next.put(session.session(), session);
          }
        }
        directoryParts.clear();
        Map<Long, StreamEntry.Session> before = directory;
        directory = next;
        for (StreamEntry.Session session : next.values()) {
          remember(session.name(), session.session(), session.server(), session.token());
        }
        sink.onDirectoryReplaced(before, next);
      }
      return;
    }
    if (entry instanceof StreamEntry.Chat) {
      StreamEntry.Chat chat = (StreamEntry.Chat) entry;
      if (!consume(chat.session(), chat.clientSeq())) {
        return;
      }
    } else if (entry instanceof StreamEntry.ChatRejected) {
      StreamEntry.ChatRejected rejected = (StreamEntry.ChatRejected) entry;
      if (!consume(rejected.session(), rejected.clientSeq())) {
        return;
      }
    } else if (entry instanceof StreamEntry.Detached) {
      StreamEntry.Detached detached = (StreamEntry.Detached) entry;
      StreamEntry.Session known = directory.get(detached.session());
      if (known == null || known.detached()) {
        return;
      }
      directory.put(known.session(), known.withServer(known.server(), true));
    } else if (entry instanceof StreamEntry.Resumed) {
      StreamEntry.Resumed resumed = (StreamEntry.Resumed) entry;
      StreamEntry.Session known = directory.get(resumed.session());
      if (known != null && !known.detached() && known.server().equals(resumed.server())) {
        return; // applied before
      }
      directory.put(
          resumed.session(),
          known == null
              ? new StreamEntry.Session(
                  resumed.name(), resumed.session(), resumed.server(), 0, resumed.token())
              : known.withServer(resumed.server(), false));
      remember(resumed.name(), resumed.session(), resumed.server(), resumed.token());
      StreamEntry.Session record = seen.get(resumed.session());
      if (record != null) {
        seen.put(resumed.session(), record.withServer(resumed.server(), false));
      }
    } else if (entry instanceof StreamEntry.Joined) {
      StreamEntry.Joined joined = (StreamEntry.Joined) entry;
      if (directory.containsKey(joined.session())) {
        return; // delivered before, in an earlier epoch
      }
      directory.put(
          joined.session(),
          new StreamEntry.Session(
              joined.name(), joined.session(), joined.server(), 0, joined.token()));
      remember(joined.name(), joined.session(), joined.server(), joined.token());
    } else if (entry instanceof StreamEntry.JoinRefused) {
      StreamEntry.JoinRefused refused = (StreamEntry.JoinRefused) entry;
      StreamEntry.Session known = directory.get(refused.session());
      if (known != null
          && ClientNames.key(known.name()).equals(ClientNames.key(refused.name()))
          && known.server().equals(refused.server())
          && !known.detached()) {
        // Two leaders of a split cluster decided this join apart; the join applied here stands.
        // (A refused resume — under another name, or without the session's token, from a server
        // the session is not on — is no such case: its server must hear of it.)
        return;
      }
    } else if (entry instanceof StreamEntry.Left) {
      StreamEntry.Left left = (StreamEntry.Left) entry;
      if (directory.remove(left.session()) == null) {
        return; // gone already
      }
    }
    sink.onDelivered(entry, directory);
  }

  /** Entry {@code seq} of this epoch, named by where it was first sequenced. */
  private StreamEntry.Carried origin(long seq, StreamEntry entry) {
    return entry instanceof StreamEntry.Carried
        ? (StreamEntry.Carried) entry
        : new StreamEntry.Carried(epoch, seq, entry);
  }

  /** Records request {@code clientSeq} of {@code session}; false if it was delivered before. */
  private boolean consume(long session, long clientSeq) {
    StreamEntry.Session known = seen.get(session);
    long last = known == null ? 0 : known.lastClientSeq();
    if (clientSeq <= last) {
      return false;
    }
    if (known != null) {
      seen.put(session, known.withLastClientSeq(clientSeq));
    }
    return true;
  }

  private void remember(String name, long session, NodeId server, ResumeToken token) {
    if (!seen.containsKey(session)) {
      seen.put(session, new StreamEntry.Session(name, session, server, 0, token));
    }
  }

  /** Every session this replica remembers, with the last request number it delivered of each. */
  public java.util.Collection<StreamEntry.Session> seenSessions() {
    return seen.values();
  }

  @Override
  public String toString() {
    return String.format(
        "replica[%s epoch %s received %d delivered %d stable %d head %d%s]",
        self,
        Epochs.format(epoch),
        receivedContiguous,
        delivered,
        stableKnown,
        headKnown,
        isFrozen() ? " frozen" : "");
  }
}
