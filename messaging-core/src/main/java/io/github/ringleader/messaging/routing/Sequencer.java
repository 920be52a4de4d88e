package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's sequencer for one epoch: it orders every client request of the cluster into one
 * stream, and it is what makes broadcasts arrive everywhere in one total order.
 *
 * <p><b>Flush.</b> Before sequencing anything, it asks every member of the epoch for its state
 * ({@code SyncRequest}, sent again until answered or the member is gone) and from the answers
 * builds the epoch's first entries: the directory of connected clients (what the members report
 * as their local sessions; a name claimed on both sides of a healed partition keeps its older
 * session and the other is told to leave), then every entry of an earlier epoch that some member
 * delivered and another may not have ({@link StreamEntry.Carried}, in their old order).
 *
 * <p><b>Sequencing.</b> A request passes a gate: a chat whose number it has sequenced before is
 * dropped (servers send requests again until they deliver them; a resumed client sends again
 * what it was not told was taken), a chat waits for the one its server passed on before it (so
 * each sender's order holds), a session's chats and leaving count only from the server it is on,
 * a join of a taken name and a private message to an unknown client become refusals, and a late
 * copy of the join of a session this leader refused or saw leave is dropped.
 *
 * <p><b>Detached sessions.</b> With a grace period, a session whose connection closed, or whose
 * server is gone, stays in the directory, detached: its name stays taken and messages to it are
 * sequenced as usual (servers keep them for its client). Its client resumes it on any server
 * ({@link StreamEntry.Resumed}, which names the last chat of the session sequenced); a session
 * not resumed within the grace period leaves. A join of a connected session is sequenced again when its server
 * asks again: that server has not delivered it (it was sequenced where the server was not a
 * member), and the others skip the copy. Each entry goes to all members; each acknowledges how far
 * it has the stream; entries every member has are <em>stable</em> and announced as such, and only
 * then delivered. A member that falls behind gets the missing entries again. While {@link
 * #WINDOW} or more entries are not yet delivered everywhere, the sequencer takes no new requests
 * (servers keep re-sending them); an epoch's opening block, which carries what earlier epochs left,
 * may exceed that by itself.
 *
 * <p>Limit: a leader numbers its flushes within one term in 16 bits; after 65,535 membership
 * changes under one leader, flush ids repeat (a new election starts a new series).
 *
 * <p>The epoch's members are fixed: the leader starts a new epoch whenever its view changes.
 */
public final class Sequencer {
  private static final Logger log = LoggerFactory.getLogger(Sequencer.class);

  /** Entries sequenced but not yet delivered by every member, at most. */
  static final int WINDOW = 4096;
  /** Chats held per session waiting for an earlier one, at most. */
  static final int HELD_PER_SESSION = 256;
  /** Sessions per directory entry. */
  static final int DIRECTORY_PART_SESSIONS = 200;
  /** Entries re-sent to one lagging member per retry. */
  static final int RESEND_BATCH = 64;

  private enum Phase {
    SYNCING,
    ACTIVE
  }

  private static final class Progress {
    long received;
    long delivered;
    long lastProgressNanos;

    Progress(long nowNanos) {
      lastProgressNanos = nowNanos;
    }
  }

  private final NodeId self;
  private final long epoch;
  private final RoutingOutbox outbox;
  private final long retryNanos;
  private final long stateIntervalNanos;
  private final Set<NodeId> members;
  private final long graceNanos;
  private Phase phase = Phase.SYNCING;

  // ---- flush
  private final Map<NodeId, List<SyncReply>> replies = new HashMap<>();
  private long nextSyncRetryNanos;

  // ---- sequencing
  private long head;
  private final TreeMap<Long, StreamEntry> entries = new TreeMap<>();
  private final Map<NodeId, Progress> progress = new HashMap<>();
  private long stable;
  private long allDelivered;
  private boolean stateDue;
  private long nextStateNanos = Long.MAX_VALUE;
  /** The connected clients by session, as of the last sequenced entry. */
  private final Map<Long, StreamEntry.Session> directory = new LinkedHashMap<>();
  /** The number of the last chat sequenced per session (the client's own numbering). */
  private final Map<Long, Long> lastSequenced = new HashMap<>();
  /** Detached sessions, in the order they detached: when (on this leader's clock) they did. */
  private final LinkedHashMap<Long, Long> detachedSince = new LinkedHashMap<>();

  private final Map<Long, TreeMap<Long, StreamEntry.Chat>> held = new HashMap<>();
  /**
   * Sessions this leader refused or saw leave (the most recent few): a late copy of their join is
   * dropped. Only this leader's own decisions count; a decision carried from another side of a
   * split does not close a session here (closing on those lost messages in the simulation).
   */
  private final java.util.LinkedHashSet<Long> closedSessions = new java.util.LinkedHashSet<>();

  static final int REMEMBERED_CLOSED_SESSIONS = 8192;

  /**
   * @param members every server of the epoch, this one included
   * @param graceNanos how long a detached session is held for its client to resume it; 0: a
   *     client that loses its connection or its server leaves at once
   */
  public Sequencer(
      NodeId self,
      long epoch,
      Collection<NodeId> members,
      RoutingOutbox outbox,
      long retryNanos,
      long stateIntervalNanos) {
    this(self, epoch, members, outbox, retryNanos, stateIntervalNanos, 0);
  }

  /** As above, with a grace period for detached sessions. */
  public Sequencer(
      NodeId self,
      long epoch,
      Collection<NodeId> members,
      RoutingOutbox outbox,
      long retryNanos,
      long stateIntervalNanos,
      long graceNanos) {
    this.self = self;
    this.graceNanos = graceNanos;
    this.epoch = epoch;
    this.members = new TreeSet<>(members);
    this.members.add(self);
    this.outbox = outbox;
    this.retryNanos = retryNanos;
    this.stateIntervalNanos = stateIntervalNanos;
  }

  public long epoch() {
    return epoch;
  }

  public boolean isActive() {
    return phase == Phase.ACTIVE;
  }

  public Set<NodeId> members() {
    return members;
  }

  /** Asks every other member for its state; this node's own reply is given directly. */
  public void begin(List<SyncReply> ownReply, long nowNanos) {
    replies.put(self, ownReply);
    requestSync(nowNanos);
    maybeStart(nowNanos);
  }

  private void requestSync(long nowNanos) {
    for (NodeId member : members) {
      if (!member.equals(self) && !complete(replies.get(member))) {
        outbox.send(member, new SyncRequest(epoch));
      }
    }
    nextSyncRetryNanos = nowNanos + retryNanos;
  }

  public void onSyncReply(NodeId from, SyncReply part, long nowNanos) {
    if (phase != Phase.SYNCING || part.epoch() != epoch || !members.contains(from)) {
      return;
    }
    List<SyncReply> parts = replies.computeIfAbsent(from, k -> new ArrayList<>());
    for (SyncReply known : parts) {
      if (known.part() == part.part()) {
        return;
      }
    }
    parts.add(part);
    maybeStart(nowNanos);
  }

  private static boolean complete(@org.jspecify.annotations.Nullable List<SyncReply> parts) {
    return parts != null && !parts.isEmpty() && parts.size() == parts.get(0).parts();
  }

  /** A member failed or left: it no longer holds up the flush or stability. */
  public void onMemberGone(NodeId id, long nowNanos) {
    if (id.equals(self) || !members.remove(id)) {
      return;
    }
    replies.remove(id);
    progress.remove(id);
    if (phase == Phase.SYNCING) {
      maybeStart(nowNanos);
    } else {
      recomputeStability();
    }
  }

  private void maybeStart(long nowNanos) {
    for (NodeId member : members) {
      if (!complete(replies.get(member))) {
        return;
      }
    }
    start(nowNanos);
  }

  /** Every member answered: write the epoch's opening entries and start sequencing. */
  private void start(long nowNanos) {
    phase = Phase.ACTIVE;
    for (NodeId member : members) {
      progress.put(member, new Progress(nowNanos));
    }
    // Sessions the members report, and every delivered entry some member may lack, by origin.
    // A session is connected if its own server reports it; how far it was sequenced is the most
    // any member delivered of it (its own server may have missed some, cut off for a while).
    // A session its own server does not report — held for its client (detached), on a server
    // not in this epoch, or on one that lost it (a new life of it, say) — is kept detached for
    // the grace period, if grace is on and some member still lists it.
    Map<Long, StreamEntry.Session> reported = new LinkedHashMap<>();
    Map<Long, StreamEntry.Session> heldSessions = new LinkedHashMap<>();
    // Sessions their own server reports as still joining there: not held, for the join was
    // sequenced where that server did not deliver it, and it asks again.
    Set<Long> joiningOnOwner = new java.util.HashSet<>();
    Map<Long, Long> deliveredAnywhere = new HashMap<>();
    TreeMap<Long, TreeMap<Long, StreamEntry>> byOrigin = new TreeMap<>();
    for (Map.Entry<NodeId, List<SyncReply>> reply : replies.entrySet()) {
      for (SyncReply part : reply.getValue()) {
        for (StreamEntry.Session session : part.sessions()) {
          deliveredAnywhere.merge(session.session(), session.lastClientSeq(), Math::max);
          if (session.past() && session.server().equals(reply.getKey())) {
            joiningOnOwner.add(session.session());
          }
          if (session.past()) {
            continue;
          }
          if (session.server().equals(reply.getKey()) && !session.detached()) {
            reported.put(session.session(), session);
          } else if (graceNanos > 0) {
            heldSessions.putIfAbsent(session.session(), session.withServer(session.server(), true));
          }
        }
        for (SyncReply.SequencedEntry entry : part.entries()) {
          if (entry.entry() instanceof StreamEntry.Carried) {
            StreamEntry.Carried origin = (StreamEntry.Carried) entry.entry();
            byOrigin
                .computeIfAbsent(origin.epoch(), k -> new TreeMap<>())
                .putIfAbsent(origin.seq(), origin.entry());
          }
        }
      }
    }
    replies.clear();

    for (StreamEntry.Session session : heldSessions.values()) {
      if (!joiningOnOwner.contains(session.session())) {
        reported.putIfAbsent(session.session(), session);
      }
    }
    for (StreamEntry.Session session : reported.values()) {
      directory.put(session.session(), session);
      lastSequenced.put(session.session(), deliveredAnywhere.getOrDefault(session.session(), 0L));
      if (session.detached()) {
        detachedSince.put(session.session(), nowNanos);
      }
    }
    // The directory is what the live members report; it goes first, so carried private
    // messages find their recipients.
    List<StreamEntry.Session> sessions = new ArrayList<>(directory.values());
    int parts =
        Math.max(1, (sessions.size() + DIRECTORY_PART_SESSIONS - 1) / DIRECTORY_PART_SESSIONS);
    for (int i = 0; i < parts; i++) {
      int from = i * DIRECTORY_PART_SESSIONS;
      int to = Math.min(sessions.size(), from + DIRECTORY_PART_SESSIONS);
      append(new StreamEntry.Directory(i, parts, sessions.subList(from, to)), nowNanos);
    }
    // Then, in origin order, what some member may lack. Epochs only grow, so a member delivered
    // every entry of an earlier epoch before any of a later one; a member skips what it
    // delivered already, and epochs it was not in.
    int carried = 0;
    for (Map.Entry<Long, TreeMap<Long, StreamEntry>> origin : byOrigin.entrySet()) {
      for (Map.Entry<Long, StreamEntry> e : origin.getValue().entrySet()) {
        append(new StreamEntry.Carried(origin.getKey(), e.getKey(), e.getValue()), nowNanos);
        noteCarried(e.getValue(), nowNanos);
        carried++;
      }
    }
    // A carried join may name a client whose server is not in this epoch: that client is gone,
    // or, with a grace period, held for it to resume.
    for (StreamEntry.Session session : new ArrayList<>(directory.values())) {
      if (!members.contains(session.server()) && !session.detached()) {
        String reason = "its server " + session.server() + " is gone";
        if (graceNanos > 0) {
          detach(session, reason, nowNanos);
        } else {
          forget(session.session());
          append(new StreamEntry.Left(session.name(), session.session(), reason), nowNanos);
        }
      }
    }
    resolveNameConflicts(nowNanos);
    log.debug(
        "[{}] epoch {} started with members {}, {} sessions, {} carried entries",
        self,
        Epochs.format(epoch),
        members,
        directory.size(),
        carried);
  }

  /** Brings the gate's state up to date with an entry carried from an earlier epoch. */
  private void noteCarried(StreamEntry entry, long nowNanosOfStart) {
    if (entry instanceof StreamEntry.Joined) {
      StreamEntry.Joined joined = (StreamEntry.Joined) entry;
      directory.putIfAbsent(
          joined.session(),
          new StreamEntry.Session(
              joined.name(), joined.session(), joined.server(), 0, joined.token()));
      lastSequenced.putIfAbsent(joined.session(), 0L);
    } else if (entry instanceof StreamEntry.Left) {
      forget(((StreamEntry.Left) entry).session());
    } else if (entry instanceof StreamEntry.Chat) {
      StreamEntry.Chat chat = (StreamEntry.Chat) entry;
      noteSequenced(chat.session(), chat.clientSeq());
    } else if (entry instanceof StreamEntry.ChatRejected) {
      StreamEntry.ChatRejected rejected = (StreamEntry.ChatRejected) entry;
      noteSequenced(rejected.session(), rejected.clientSeq());
    } else if (entry instanceof StreamEntry.Detached) {
      long session = ((StreamEntry.Detached) entry).session();
      StreamEntry.Session known = directory.get(session);
      if (known != null && !known.detached()) {
        directory.put(session, known.withServer(known.server(), true));
        detachedSince.put(session, nowNanosOfStart);
      }
    } else if (entry instanceof StreamEntry.Resumed) {
      StreamEntry.Resumed resumed = (StreamEntry.Resumed) entry;
      StreamEntry.Session known = directory.get(resumed.session());
      directory.put(
          resumed.session(),
          known != null
              ? known.withServer(resumed.server(), false)
              : new StreamEntry.Session(
                  resumed.name(),
                  resumed.session(),
                  resumed.server(),
                  resumed.lastClientSeq(),
                  resumed.token()));
      lastSequenced.merge(resumed.session(), resumed.lastClientSeq(), Math::max);
      detachedSince.remove(resumed.session());
    }
  }

  /** Only for a connected session: a carried chat does not make its session connected. */
  private void noteSequenced(long session, long clientSeq) {
    lastSequenced.computeIfPresent(session, (k, last) -> Math.max(last, clientSeq));
  }

  /** The gate forgets a session that left. */
  private void forget(long session) {
    directory.remove(session);
    lastSequenced.remove(session);
    detachedSince.remove(session);
    held.remove(session);
  }

  /** Holds {@code session} for its client to resume it, for the grace period from now. */
  private void detach(StreamEntry.Session session, String reason, long nowNanos) {
    directory.put(session.session(), session.withServer(session.server(), true));
    detachedSince.put(session.session(), nowNanos);
    held.remove(session.session());
    append(new StreamEntry.Detached(session.name(), session.session(), reason), nowNanos);
  }

  /** Two sides of a healed partition may each have let a client take a name: the older keeps it. */
  private void resolveNameConflicts(long nowNanos) {
    Map<String, StreamEntry.Session> owner = new HashMap<>();
    for (StreamEntry.Session session : new ArrayList<>(directory.values())) {
      String key = ClientNames.key(session.name());
      StreamEntry.Session first = owner.get(key);
      if (first == null) {
        owner.put(key, session);
        continue;
      }
      // A session in use beats one held for its client; between equals, the lower id wins.
      StreamEntry.Session loser = first.detached() != session.detached()
          ? (first.detached() ? first : session)
          : first.session() <= session.session() ? session : first;
      owner.put(key, loser == session ? first : session);
      append(
          new StreamEntry.Left(
              loser.name(),
              loser.session(),
              "another client took the name " + loser.name() + " while the cluster was split"),
          nowNanos);
      forget(loser.session());
    }
  }

  /**
   * Server {@code from} passes on one of its clients' requests. A session's chats and its leaving
   * count only from the server the session is on: after a client resumed elsewhere, its old
   * server's late requests are dropped.
   */
  public void onForward(NodeId from, StreamEntry request, long nowNanos) {
    if (phase != Phase.ACTIVE || head - allDelivered >= WINDOW) {
      return; // the origin sends it again
    }
    if (request instanceof StreamEntry.Detached) {
      StreamEntry.Detached detached = (StreamEntry.Detached) request;
      StreamEntry.Session known = directory.get(detached.session());
      if (known == null || known.detached() || !known.server().equals(from)) {
        return;
      }
      if (graceNanos > 0) {
        detach(known, detached.reason(), nowNanos);
      } else {
        forget(known.session());
        close(known.session());
        append(new StreamEntry.Left(known.name(), known.session(), detached.reason()), nowNanos);
      }
      return;
    }
    if (request instanceof StreamEntry.Resumed) {
      resume(from, (StreamEntry.Resumed) request, nowNanos);
      return;
    }
    if (request instanceof StreamEntry.Joined) {
      StreamEntry.Joined join = (StreamEntry.Joined) request;
      if (closedSessions.contains(join.session())) {
        return; // refused or gone already: a late copy
      }
      if (directory.containsKey(join.session())) {
        // Its server asks again, so it has not delivered the join: it was sequenced where that
        // server was not a member (it had just started, or was cut off) and never reached it.
        // Sequence it once more; servers that applied it skip it.
        append(join, nowNanos);
        return;
      }
      String key = ClientNames.key(join.name());
      for (StreamEntry.Session session : directory.values()) {
        if (ClientNames.key(session.name()).equals(key)) {
          append(
              new StreamEntry.JoinRefused(
                  join.name(),
                  join.session(),
                  join.server(),
                  "the name " + session.name() + " is taken by a connected client"),
              nowNanos);
          close(join.session());
          return;
        }
      }
      directory.put(
          join.session(),
          new StreamEntry.Session(join.name(), join.session(), join.server(), 0, join.token()));
      lastSequenced.put(join.session(), 0L);
      append(join, nowNanos);
    } else if (request instanceof StreamEntry.Left) {
      StreamEntry.Left left = (StreamEntry.Left) request;
      StreamEntry.Session known = directory.get(left.session());
      if (known == null || !known.server().equals(from)) {
        return;
      }
      forget(left.session());
      close(left.session());
      append(left, nowNanos);
    } else if (request instanceof StreamEntry.Chat) {
      StreamEntry.Chat chat = (StreamEntry.Chat) request;
      StreamEntry.Session known = directory.get(chat.session());
      Long last = lastSequenced.get(chat.session());
      if (known == null
          || known.detached()
          || !known.server().equals(from)
          || last == null
          || chat.clientSeq() <= last) {
        return; // not a connected session (or not from its server), or sequenced before
      }
      if (chat.previous() > last) {
        // Its predecessor is not sequenced yet: it waits, so the sender's order holds.
        TreeMap<Long, StreamEntry.Chat> waiting =
            held.computeIfAbsent(chat.session(), k -> new TreeMap<>());
        if (waiting.size() < HELD_PER_SESSION) {
          waiting.put(chat.clientSeq(), chat);
        }
        return;
      }
      sequenceChat(chat, nowNanos);
      TreeMap<Long, StreamEntry.Chat> waiting = held.get(chat.session());
      while (waiting != null && !waiting.isEmpty() && head - allDelivered < WINDOW) {
        long done = lastSequenced.getOrDefault(chat.session(), 0L);
        waiting.headMap(done, true).clear();
        Map.Entry<Long, StreamEntry.Chat> next = waiting.firstEntry();
        if (next == null || next.getValue().previous() > done) {
          break;
        }
        waiting.pollFirstEntry();
        sequenceChat(next.getValue(), nowNanos);
      }
      if (waiting != null && waiting.isEmpty()) {
        held.remove(chat.session());
      }
    }
  }

  private void close(long session) {
    closedSessions.add(session);
    if (closedSessions.size() > REMEMBERED_CLOSED_SESSIONS) {
      closedSessions.remove(closedSessions.iterator().next());
    }
  }

  /**
   * Moves a session to the server its client resumed it on — from a detached state, or from a
   * server the client gave up on before that server noticed. The entry tells the new server how
   * far the session's requests were sequenced.
   */
  private void resume(NodeId from, StreamEntry.Resumed request, long nowNanos) {
    StreamEntry.Session known = directory.get(request.session());
    if (known == null
        || !ClientNames.key(known.name()).equals(ClientNames.key(request.name()))
        || !known.token().matches(request.token())) {
      // Ended, or asked for by someone who names the session without its secret: to them it is
      // as good as ended.
      append(
          new StreamEntry.JoinRefused(
              request.name(),
              request.session(),
              from,
              "the session of " + request.name() + " has ended; join again"),
          nowNanos);
      return;
    }
    if (!known.detached() && known.server().equals(from)) {
      // Sequenced before; its server asks again because it has not delivered it yet. As with a
      // join: sequence it once more, and servers that applied it skip it.
      append(resumedOn(from, known), nowNanos);
      return;
    }
    directory.put(known.session(), known.withServer(from, false));
    detachedSince.remove(known.session());
    held.remove(known.session());
    append(resumedOn(from, known), nowNanos);
  }

  private StreamEntry.Resumed resumedOn(NodeId server, StreamEntry.Session session) {
    return new StreamEntry.Resumed(
        session.name(),
        session.session(),
        server,
        lastSequenced.getOrDefault(session.session(), 0L),
        session.token());
  }

  private void sequenceChat(StreamEntry.Chat chat, long nowNanos) {
    lastSequenced.put(chat.session(), chat.clientSeq());
    String to = chat.to();
    if (to != null && !isConnected(to)) {
      append(
          new StreamEntry.ChatRejected(
              chat.from(),
              chat.session(),
              chat.clientSeq(),
              "no client named " + to + " is connected"),
          nowNanos);
      return;
    }
    append(chat, nowNanos);
  }

  private boolean isConnected(String name) {
    String key = ClientNames.key(name);
    for (StreamEntry.Session session : directory.values()) {
      if (ClientNames.key(session.name()).equals(key)) {
        return true;
      }
    }
    return false;
  }

  private void append(StreamEntry entry, long nowNanos) {
    head++;
    entries.put(head, entry);
    outbox.sendToAll(new Sequenced(epoch, head, entry));
    if (nextStateNanos == Long.MAX_VALUE) {
      nextStateNanos = nowNanos + retryNanos;
    }
  }

  public void onStreamAck(NodeId from, StreamAck ack, long nowNanos) {
    Progress member = progress.get(from);
    if (log.isTraceEnabled()) {
      log.trace(
          "[{}] ack from {} {} ({} known: received {}, head {}, allDelivered {})",
          self,
          from,
          ack,
          member == null ? "not a member" : "member",
          member == null ? -1 : member.received,
          head,
          allDelivered);
    }
    if (phase != Phase.ACTIVE || ack.epoch() != epoch || member == null) {
      return;
    }
    if (ack.received() > member.received) {
      member.received = Math.min(ack.received(), head);
      member.lastProgressNanos = nowNanos;
    } else if (ack.received() < member.received) {
      // The member has less than it had said (it lost its stream and started over): believe it,
      // or the entries it lacks would never be sent again.
      member.received = ack.received();
    }
    member.delivered = Math.max(member.delivered, Math.min(ack.delivered(), head));
    if (ack.received() < head && nowNanos - member.lastProgressNanos >= retryNanos) {
      resend(from, member, nowNanos);
    }
    recomputeStability();
  }

  private void recomputeStability() {
    long minReceived = head;
    long minDelivered = head;
    for (Progress member : progress.values()) {
      minReceived = Math.min(minReceived, member.received);
      minDelivered = Math.min(minDelivered, member.delivered);
    }
    if (minReceived > stable) {
      stable = minReceived;
      stateDue = true;
    }
    if (minDelivered > allDelivered) {
      allDelivered = minDelivered;
      entries.headMap(allDelivered, true).clear();
      stateDue = true;
    }
  }

  private void resend(NodeId to, Progress member, long nowNanos) {
    long from = member.received + 1;
    long until = Math.min(head, member.received + RESEND_BATCH);
    for (long seq = from; seq <= until; seq++) {
      StreamEntry entry = entries.get(seq);
      if (entry != null) {
        outbox.send(to, new Sequenced(epoch, seq, entry));
      }
    }
    member.lastProgressNanos = nowNanos;
  }

  /** Sends the stream state if it changed; called once after each event. */
  public void flush(long nowNanos) {
    if (stateDue && phase == Phase.ACTIVE) {
      sendState(nowNanos);
    }
  }

  private void sendState(long nowNanos) {
    stateDue = false;
    outbox.sendToAll(new StreamState(epoch, head, stable, allDelivered));
    nextStateNanos =
        nowNanos + (stable < head || allDelivered < head ? retryNanos : stateIntervalNanos);
  }

  public void onTick(long nowNanos) {
    if (phase == Phase.SYNCING) {
      if (nextSyncRetryNanos <= nowNanos) {
        requestSync(nowNanos);
      }
      return;
    }
    for (Map.Entry<NodeId, Progress> e : progress.entrySet()) {
      Progress member = e.getValue();
      if (member.received < head && nowNanos - member.lastProgressNanos >= retryNanos) {
        resend(e.getKey(), member, nowNanos);
      }
    }
    expireDetached(nowNanos);
    if (nextStateNanos <= nowNanos) {
      sendState(nowNanos);
    }
  }

  public long nextDeadlineNanos() {
    if (phase == Phase.SYNCING) {
      return nextSyncRetryNanos;
    }
    long next = nextStateNanos;
    if (!detachedSince.isEmpty() && head - allDelivered < WINDOW) {
      next = Math.min(next, detachedSince.values().iterator().next() + graceNanos);
    }
    for (Progress member : progress.values()) {
      if (member.received < head) {
        next = Math.min(next, member.lastProgressNanos + retryNanos);
      }
    }
    return next;
  }

  /**
   * Ends the sessions whose clients did not resume them within the grace period (the oldest
   * first; they are kept in the order they detached). While the window is full, they wait.
   */
  private void expireDetached(long nowNanos) {
    for (Iterator<Map.Entry<Long, Long>> it = detachedSince.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Long> e = it.next();
      if (nowNanos - e.getValue() < graceNanos || head - allDelivered >= WINDOW) {
        return;
      }
      it.remove();
      StreamEntry.Session session = directory.get(e.getKey());
      if (session == null) {
        continue;
      }
      forget(session.session());
      close(session.session());
      append(
          new StreamEntry.Left(
              session.name(), session.session(), "did not come back within " + formatGrace()),
          nowNanos);
    }
  }

  private String formatGrace() {
    long millis = graceNanos / 1_000_000;
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  /** Entries sequenced in this epoch. */
  public long head() {
    return head;
  }

  /**
   * Per member of the epoch (this leader included): how many entries sequenced in this epoch it
   * has not yet reported delivered — its replication lag, as of its last acknowledgement. Empty
   * while the epoch's flush runs.
   */
  public Map<NodeId, Long> deliveryLag() {
    Map<NodeId, Long> lag = new java.util.TreeMap<>();
    if (phase == Phase.ACTIVE) {
      for (Map.Entry<NodeId, Progress> e : progress.entrySet()) {
        lag.put(e.getKey(), Math.max(0, head - e.getValue().delivered));
      }
    }
    return lag;
  }

  /** Entries kept for members that have not delivered them (bounded by {@link #WINDOW}). */
  public int logSize() {
    return entries.size();
  }

  @Override
  public String toString() {
    return String.format(
        "sequencer[%s epoch %s %s head %d stable %d delivered %d members %s]",
        self, Epochs.format(epoch), phase, head, stable, allDelivered, members);
  }
}
