package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.client.ClientLink;
import io.github.ringleader.messaging.client.ClientRequest;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One server's routing: its clients' sessions, the forwarding of their requests to the leader,
 * the server's {@link StreamReplica}, and — while this server leads — the {@link Sequencer}.
 *
 * <p><b>A request's life.</b> A client's join, message or goodbye becomes a stream-entry
 * proposal that this server forwards to the leader, and forwards again every retry interval, and
 * at once when a new epoch starts, until it is delivered here. The client hears the outcome
 * ({@link ServerEvent.Welcome}, {@link ServerEvent.Accepted}, a refusal) when this server
 * delivers the entry — so an accepted message is already stable, and will reach every recipient
 * that stays connected.
 *
 * <p><b>Numbering.</b> The server numbers each session's forwarded messages itself, 1, 2, 3, …;
 * the leader sequences them in that order, once each. The client's own numbers only have to
 * increase: they are echoed in the answers.
 *
 * <p><b>Epochs.</b> A leader starts a new epoch (a flush) when it wins an election and whenever its
 * view of the live members changes.
 */
public final class Router implements StreamReplica.Sink {
  /** Requests of one session waiting to be delivered, at most. */
  static final int MAX_PENDING_PER_SESSION = 256;

  private enum SessionState {
    NEW,
    JOINING,
    JOINED,
    LEAVING
  }

  private static final class LocalSession {
    final long connection;
    final ClientLink link;
    boolean linkOpen = true;
    SessionState state = SessionState.NEW;
    String name = "";
    long session;
    long lastClientSeq;
    long nextStreamSeq = 1;
    boolean leaveWhenJoined;
    /** Stream request number → the client's own number, for the answers. */
    final Map<Long, Long> clientSeqs = new HashMap<>();

    LocalSession(long connection, ClientLink link) {
      this.connection = connection;
      this.link = link;
    }

    void send(ServerEvent event) {
      if (linkOpen) {
        link.send(event);
      }
    }

    void close() {
      if (linkOpen) {
        linkOpen = false;
        link.close();
      }
    }
  }

  private static final class Pending {
    final StreamEntry request;
    long nextSendNanos;

    Pending(StreamEntry request) {
      this.request = request;
    }
  }

  private final NodeId self;
  private final int capacity;
  private final RoutingOutbox outbox;
  private final long retryNanos;
  private final long stateIntervalNanos;
  private final Supplier<@Nullable NodeId> redirect;
  private final StreamReplica replica;
  private final java.util.function.LongSupplier incarnation;
  private java.util.@Nullable SplittableRandom sessionIds;
  private long nextConnection;
  private final Map<Long, LocalSession> byConnection = new LinkedHashMap<>();
  private final Map<Long, LocalSession> bySession = new HashMap<>();
  private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();

  private @Nullable NodeId leader;
  private @Nullable Sequencer sequencer;
  private boolean leading;
  private long leadingTerm = -1;
  private int flushes;
  private Map<NodeId, Long> epochMembers = Map.of();

  /**
   * @param incarnation this server's incarnation (read when the first client joins); it seeds the
   *     session ids
   * @param redirect names a server with room, for a client this full server turns away
   */
  public Router(
      NodeId self,
      java.util.function.LongSupplier incarnation,
      int capacity,
      RoutingOutbox outbox,
      long retryNanos,
      long stateIntervalNanos,
      Supplier<@Nullable NodeId> redirect) {
    this.self = self;
    this.capacity = capacity;
    this.outbox = outbox;
    this.retryNanos = retryNanos;
    this.stateIntervalNanos = stateIntervalNanos;
    this.redirect = redirect;
    this.replica = new StreamReplica(self, this, outbox, retryNanos);
    this.incarnation = incarnation;
  }

  public StreamReplica replica() {
    return replica;
  }

  public @Nullable Sequencer sequencer() {
    return sequencer;
  }

  /** Clients connected to this server (joining, joined or leaving). */
  public int clientCount() {
    int count = 0;
    for (LocalSession session : byConnection.values()) {
      if (session.state != SessionState.NEW) {
        count++;
      }
    }
    return count;
  }

  // ---------------------------------------------------------------- cluster changes

  /**
   * Tells routing who leads and who is live; called after every event. A leader starts a new
   * epoch when it has just won, and whenever the live members change.
   */
  public void onCluster(
      @Nullable NodeId currentLeader,
      boolean isLeader,
      long term,
      Collection<io.github.ringleader.messaging.membership.MemberInfo> liveMembers,
      long nowNanos) {
    boolean leaderChanged = currentLeader == null ? leader != null : !currentLeader.equals(leader);
    leader = currentLeader;
    if (leaderChanged) {
      sendAllPendingSoon();
    }
    if (!isLeader) {
      leading = false;
      sequencer = null;
      return;
    }
    // Members by id and incarnation: a restarted server is a new life with an empty stream,
    // which must be brought in by a flush like any newcomer.
    Map<NodeId, Long> lives = new java.util.TreeMap<>();
    for (io.github.ringleader.messaging.membership.MemberInfo member : liveMembers) {
      lives.put(member.id(), member.incarnation());
    }
    lives.put(self, -1L);
    if (!leading || term != leadingTerm) {
      leading = true;
      leadingTerm = term;
      flushes = 0;
      startEpoch(lives, nowNanos);
    } else if (!lives.equals(epochMembers)) {
      startEpoch(lives, nowNanos);
    }
  }

  private void startEpoch(Map<NodeId, Long> lives, long nowNanos) {
    epochMembers = lives;
    Set<NodeId> members = new TreeSet<>(lives.keySet());
    long epoch = Epochs.of(leadingTerm, self, incarnation.getAsLong(), flushes++);
    Sequencer next = new Sequencer(self, epoch, members, outbox, retryNanos, stateIntervalNanos);
    sequencer = next;
    next.begin(replica.syncForOwnEpoch(epoch), nowNanos);
  }

  // ---------------------------------------------------------------- cluster messages

  public void onForward(Forward forward, long nowNanos) {
    Sequencer s = sequencer;
    if (s != null) {
      s.onForward(forward.request(), nowNanos);
    }
  }

  public void onSyncRequest(NodeId from, SyncRequest request) {
    // Only the leader this server follows may freeze its stream; a stale or rival leader's
    // request is ignored (the real leader asks again until answered).
    if (from.equals(leader)) {
      replica.onSyncRequest(from, request);
    }
  }

  public void onSyncReply(NodeId from, SyncReply reply, long nowNanos) {
    Sequencer s = sequencer;
    if (s != null) {
      s.onSyncReply(from, reply, nowNanos);
    }
  }

  public void onSequenced(NodeId from, Sequenced message, long nowNanos) {
    if (message.epoch() == replica.epoch() || from.equals(leader)) {
      replica.onSequenced(from, message, nowNanos);
    }
  }

  public void onStreamAck(NodeId from, StreamAck ack, long nowNanos) {
    Sequencer s = sequencer;
    if (s != null) {
      s.onStreamAck(from, ack, nowNanos);
    }
  }

  public void onStreamState(NodeId from, StreamState state, long nowNanos) {
    if (state.epoch() == replica.epoch() || from.equals(leader)) {
      replica.onStreamState(from, state, nowNanos);
    }
  }

  public void onTick(long nowNanos) {
    replica.onTick(nowNanos);
    Sequencer s = sequencer;
    if (s != null) {
      s.onTick(nowNanos);
    }
    sendDuePending(nowNanos);
  }

  /** Sends what the last event made due: forwards, acknowledgements, the stream state. */
  public void flush(long nowNanos) {
    sendDuePending(nowNanos);
    replica.flush();
    Sequencer s = sequencer;
    if (s != null) {
      s.flush(nowNanos);
    }
  }

  public long nextDeadlineNanos() {
    long next = replica.nextDeadlineNanos();
    Sequencer s = sequencer;
    if (s != null) {
      next = Math.min(next, s.nextDeadlineNanos());
    }
    if (leader != null) {
      for (Pending p : pending.values()) {
        next = Math.min(next, p.nextSendNanos);
      }
    }
    return next;
  }

  // ---------------------------------------------------------------- forwarding

  private void submit(String key, StreamEntry request) {
    pending.put(key, new Pending(request));
  }

  private void sendAllPendingSoon() {
    for (Pending p : pending.values()) {
      p.nextSendNanos = 0;
    }
  }

  private void sendDuePending(long nowNanos) {
    NodeId target = leader;
    if (target == null) {
      return;
    }
    for (Pending p : pending.values()) {
      if (p.nextSendNanos <= nowNanos) {
        p.nextSendNanos = nowNanos + retryNanos;
        outbox.send(target, new Forward(p.request));
      }
    }
  }

  private static String joinKey(long session) {
    return "J" + session;
  }

  private static String chatKey(long session, long seq) {
    return "C" + session + ":" + seq;
  }

  private static String leaveKey(long session) {
    return "L" + session;
  }

  // ---------------------------------------------------------------- clients

  /** A client connected; returns the id to pass with its requests. */
  public long attach(ClientLink link) {
    long connection = ++nextConnection;
    byConnection.put(connection, new LocalSession(connection, link));
    return connection;
  }

  public void onClientRequest(long connection, ClientRequest request) {
    LocalSession session = byConnection.get(connection);
    if (session == null) {
      return;
    }
    if (request instanceof ClientRequest.Hello) {
      hello(session, ((ClientRequest.Hello) request).name());
    } else if (request instanceof ClientRequest.Send) {
      send(session, (ClientRequest.Send) request);
    } else if (request instanceof ClientRequest.ListUsers) {
      List<String> names = new ArrayList<>();
      for (StreamEntry.Session s : replica.directory().values()) {
        names.add(s.name());
      }
      names.sort(String.CASE_INSENSITIVE_ORDER);
      session.send(new ServerEvent.Users(names));
    } else if (request instanceof ClientRequest.Bye) {
      session.send(new ServerEvent.Goodbye("bye"));
      session.close();
      leave(session, "left");
    }
  }

  /** Sends {@code event} to the client on {@code connection}, if it is still connected. */
  public void tell(long connection, ServerEvent event) {
    LocalSession session = byConnection.get(connection);
    if (session != null) {
      session.send(event);
    }
  }

  /** Sends {@code event} to every client that has joined or is joining. */
  public void tellJoined(ServerEvent event) {
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINING || session.state == SessionState.JOINED) {
        session.send(event);
      }
    }
  }

  /**
   * Says goodbye to every client and closes their connections, for a server that stops. The
   * others learn that they left when this server leaves the cluster.
   */
  public void closeAll(String reason) {
    for (LocalSession session : byConnection.values()) {
      session.send(new ServerEvent.Goodbye(reason));
      session.close();
    }
  }

  /** The client's connection closed. */
  public void onClientClosed(long connection) {
    LocalSession session = byConnection.get(connection);
    if (session != null) {
      session.linkOpen = false;
      leave(session, "lost its connection");
    }
  }

  private void hello(LocalSession session, String name) {
    if (session.state != SessionState.NEW) {
      session.send(
          new ServerEvent.Refused(ServerEvent.Reason.PROTOCOL_ERROR, "this connection has already joined", null));
      return;
    }
    String problem = ClientNames.problemWith(name);
    if (problem != null) {
      refuse(session, ServerEvent.Reason.INVALID_NAME, "invalid name \"" + name + "\": " + problem, null);
      return;
    }
    if (clientCount() >= capacity) {
      NodeId elsewhere = redirect.get();
      refuse(
          session,
          ServerEvent.Reason.SERVER_FULL,
          "server " + self + " is full (" + capacity + " clients)"
              + (elsewhere != null ? "; " + elsewhere + " has room" : "; no server has room"),
          elsewhere);
      return;
    }
    String key = ClientNames.key(name);
    for (LocalSession other : byConnection.values()) {
      if (other.state != SessionState.NEW && other.state != SessionState.LEAVING && ClientNames.key(other.name).equals(key)) {
        refuse(session, ServerEvent.Reason.NAME_TAKEN, "the name " + other.name + " is taken by a connected client", null);
        return;
      }
    }
    session.state = SessionState.JOINING;
    session.name = name;
    session.session = newSessionId();
    bySession.put(session.session, session);
    submit(joinKey(session.session), new StreamEntry.Joined(name, session.session, self));
  }

  /**
   * A session id: 63 random bits from a source seeded by this server's id and incarnation, so ids
   * are unique across servers and lives (a collision is a 2^-63 chance) and a simulation replays.
   */
  private long newSessionId() {
    java.util.SplittableRandom ids = sessionIds;
    if (ids == null) {
      ids = new java.util.SplittableRandom(self.value().hashCode() * 0x9E3779B97F4A7C15L ^ incarnation.getAsLong());
      sessionIds = ids;
    }
    long id;
    do {
      id = ids.nextLong() & Long.MAX_VALUE;
    } while (id == 0 || bySession.containsKey(id));
    return id;
  }

  private void refuse(LocalSession session, ServerEvent.Reason reason, String text, @Nullable NodeId elsewhere) {
    session.send(new ServerEvent.Refused(reason, text, elsewhere));
    session.close();
    byConnection.remove(session.connection);
  }

  private void send(LocalSession session, ClientRequest.Send send) {
    long seq = send.seq();
    if (session.state != SessionState.JOINED) {
      session.send(new ServerEvent.Rejected(seq, ServerEvent.Reason.PROTOCOL_ERROR, "join before sending"));
      return;
    }
    if (seq <= session.lastClientSeq) {
      session.send(
          new ServerEvent.Rejected(
              seq, ServerEvent.Reason.PROTOCOL_ERROR,
              "message numbers must increase; " + seq + " follows " + session.lastClientSeq));
      return;
    }
    session.lastClientSeq = seq;
    int bytes = send.text().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > StreamEntry.MAX_TEXT_BYTES) {
      session.send(
          new ServerEvent.Rejected(
              seq, ServerEvent.Reason.BAD_MESSAGE,
              "the message is " + bytes + " bytes; the limit is " + StreamEntry.MAX_TEXT_BYTES));
      return;
    }
    String to = send.to();
    if (to != null && ClientNames.problemWith(to) != null) {
      session.send(
          new ServerEvent.Rejected(seq, ServerEvent.Reason.UNKNOWN_RECIPIENT, "no client named " + to + " is connected"));
      return;
    }
    if (session.clientSeqs.size() >= MAX_PENDING_PER_SESSION) {
      session.send(
          new ServerEvent.Rejected(
              seq, ServerEvent.Reason.BUSY,
              MAX_PENDING_PER_SESSION + " messages are still on their way; wait for their answers"));
      return;
    }
    long streamSeq = session.nextStreamSeq++;
    session.clientSeqs.put(streamSeq, seq);
    submit(
        chatKey(session.session, streamSeq),
        new StreamEntry.Chat(session.name, session.session, streamSeq, to, send.text()));
  }

  private void leave(LocalSession session, String reason) {
    switch (session.state) {
      case NEW:
        byConnection.remove(session.connection);
        break;
      case JOINING:
        session.leaveWhenJoined = true;
        break;
      case JOINED:
        session.state = SessionState.LEAVING;
        submit(leaveKey(session.session), new StreamEntry.Left(session.name, session.session, reason));
        break;
      case LEAVING:
        break;
    }
  }

  // ---------------------------------------------------------------- deliveries

  @Override
  public void onDelivered(StreamEntry entry, Map<Long, StreamEntry.Session> directory) {
    if (entry instanceof StreamEntry.Joined) {
      StreamEntry.Joined joined = (StreamEntry.Joined) entry;
      pending.remove(joinKey(joined.session()));
      LocalSession mine = bySession.get(joined.session());
      if (mine != null && mine.state == SessionState.JOINING) {
        mine.state = SessionState.JOINED;
        mine.send(new ServerEvent.Welcome(mine.name, mine.session, self));
        if (mine.leaveWhenJoined) {
          leave(mine, "lost its connection");
        }
      }
      tellOthers(joined.session(), new ServerEvent.Presence(joined.name(), true, ""));
    } else if (entry instanceof StreamEntry.JoinRefused) {
      StreamEntry.JoinRefused refused = (StreamEntry.JoinRefused) entry;
      pending.remove(joinKey(refused.session()));
      LocalSession mine = bySession.get(refused.session());
      if (mine != null && mine.state == SessionState.JOINING) {
        bySession.remove(refused.session());
        refuse(mine, ServerEvent.Reason.NAME_TAKEN, refused.reason(), null);
      }
    } else if (entry instanceof StreamEntry.Chat) {
      StreamEntry.Chat chat = (StreamEntry.Chat) entry;
      pending.remove(chatKey(chat.session(), chat.clientSeq()));
      LocalSession sender = bySession.get(chat.session());
      if (sender != null) {
        Long clientSeq = sender.clientSeqs.remove(chat.clientSeq());
        if (clientSeq != null) {
          sender.send(new ServerEvent.Accepted(clientSeq));
        }
      }
      ServerEvent.Message message = new ServerEvent.Message(chat.from(), chat.to(), chat.text());
      String to = chat.to();
      String key = to == null ? null : ClientNames.key(to);
      for (LocalSession session : byConnection.values()) {
        if (session.state == SessionState.JOINED
            && (key == null || ClientNames.key(session.name).equals(key))) {
          session.send(message);
        }
      }
    } else if (entry instanceof StreamEntry.ChatRejected) {
      StreamEntry.ChatRejected rejected = (StreamEntry.ChatRejected) entry;
      pending.remove(chatKey(rejected.session(), rejected.clientSeq()));
      LocalSession sender = bySession.get(rejected.session());
      if (sender != null) {
        Long clientSeq = sender.clientSeqs.remove(rejected.clientSeq());
        if (clientSeq != null) {
          sender.send(new ServerEvent.Rejected(clientSeq, ServerEvent.Reason.UNKNOWN_RECIPIENT, rejected.reason()));
        }
      }
    } else if (entry instanceof StreamEntry.Left) {
      StreamEntry.Left left = (StreamEntry.Left) entry;
      pending.remove(leaveKey(left.session()));
      LocalSession mine = bySession.remove(left.session());
      if (mine != null) {
        dropRequestsOf(mine);
        if (mine.linkOpen) {
          mine.send(new ServerEvent.Goodbye(left.reason()));
          mine.close();
        }
        byConnection.remove(mine.connection);
      }
      tellOthers(left.session(), new ServerEvent.Presence(left.name(), false, left.reason()));
    }
  }

  private void dropRequestsOf(LocalSession session) {
    String chats = "C" + session.session + ":";
    for (Iterator<String> it = pending.keySet().iterator(); it.hasNext(); ) {
      String key = it.next();
      if (key.startsWith(chats)) {
        it.remove();
      }
    }
  }

  private void tellOthers(long aboutSession, ServerEvent event) {
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINED && session.session != aboutSession) {
        session.send(event);
      }
    }
  }

  @Override
  public void onDirectoryReplaced(Map<Long, StreamEntry.Session> before, Map<Long, StreamEntry.Session> after) {
    for (StreamEntry.Session gone : before.values()) {
      if (!after.containsKey(gone.session())) {
        tellOthers(gone.session(), new ServerEvent.Presence(gone.name(), false, "its server " + gone.server() + " is gone"));
      }
    }
    for (StreamEntry.Session came : after.values()) {
      if (!before.containsKey(came.session())) {
        tellOthers(came.session(), new ServerEvent.Presence(came.name(), true, ""));
      }
    }
  }

  @Override
  public void onEpochStarted(long epoch) {
    sendAllPendingSoon();
  }

  @Override
  public List<StreamEntry.Session> sessionReport() {
    List<StreamEntry.Session> sessions = new ArrayList<>();
    Set<Long> local = new java.util.HashSet<>();
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINED || session.state == SessionState.LEAVING) {
        local.add(session.session);
        sessions.add(
            new StreamEntry.Session(session.name, session.session, self, replica.lastClientSeq(session.session)));
      }
    }
    for (StreamEntry.Session known : new ArrayList<>(replica.seenSessions())) {
      if (!local.contains(known.session()) && !known.server().equals(self)) {
        sessions.add(known);
      }
    }
    return sessions;
  }
}
