package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.session.ServerEvent;
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
 * <p><b>Numbering.</b> A chat keeps the client's own number, which only grows within a session,
 * and names the chat this server passed on before it: the leader sequences a session's chats in
 * that chain's order, and each number once, however often and from whichever server it comes
 * (a resumed session's client sends again what the cluster had not taken).
 *
 * <p><b>Epochs.</b> A leader starts a new epoch (a flush) when it wins an election and whenever its
 * view of the live members changes.
 */
public final class Router implements StreamReplica.Sink {
  /** Requests of one session waiting to be delivered, at most. */
  static final int MAX_PENDING_PER_SESSION = 1024;

  /**
   * Stream entries whose positions this server remembers, with the chat messages among them: what
   * a resuming client may have missed. The most recent ones only.
   */
  public static final int RECENT_ENTRIES = 8192;

  private enum SessionState {
    NEW,
    JOINING,
    /** Its client asked to resume it here; waiting for the leader to move it. */
    RESUMING,
    JOINED,
    LEAVING
  }

  /** A delivered entry's position, and the entry if it is a chat message or a refused one. */
  private record Recent(long epoch, long seq, @Nullable StreamEntry entry) {}

  private static final class LocalSession {
    final long connection;
    final ClientLink link;
    boolean linkOpen = true;
    SessionState state = SessionState.NEW;
    String name = "";
    long session;
    /** The session's secret: drawn here at its join, or shown by its client to resume it. */
    ResumeToken token = ResumeToken.NONE;
    /** The client's number of the last send it made (the numbers only grow). */
    long lastClientSeq;
    /** The number of the last chat passed on to the leader: the next one's predecessor. */
    long lastForwarded;

    boolean leaveWhenJoined;
    /** Whether that leaving may be resumed (a lost connection) or not (a goodbye). */
    boolean leaveMayResume;
    /** For a resuming client: the position of the last event it received. */
    long resumeEpoch;

    long resumeSeq;
    /** When it joined, or was last taken up here (this server's clock, as of its last event). */
    long attachedAtNanos;
    /** The numbers of the chats passed on and not yet delivered. */
    final Set<Long> inFlight = new java.util.HashSet<>();
    /** The one chat of this session being timed for {@link RoutingCounters#acceptLatency}, or -1. */
    long timedSeq = -1;

    long timedSinceNanos;
    private final RoutingCounters counters;

    LocalSession(long connection, ClientLink link, RoutingCounters counters) {
      this.connection = connection;
      this.link = link;
      this.counters = counters;
    }

    void send(ServerEvent event) {
      if (event instanceof ServerEvent.Refused refused) {
        counters.countRefusal(refused.code());
      } else if (event instanceof ServerEvent.Rejected rejected) {
        counters.countRefusal(rejected.code());
      }
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

  private final NodeId self;
  private final int capacity;
  private final RoutingOutbox outbox;
  private final long retryNanos;
  private final long stateIntervalNanos;
  private final Supplier<@Nullable NodeId> redirect;
  private final Supplier<@Nullable NodeId> elder;
  private final StreamReplica replica;
  private final java.util.function.LongSupplier incarnation;
  private java.util.@Nullable SplittableRandom sessionIds;
  private final java.util.random.RandomGenerator secrets;
  private long nextConnection;
  private final Map<Long, LocalSession> byConnection = new LinkedHashMap<>();
  private final Map<Long, LocalSession> bySession = new HashMap<>();
  /** Sessions whose connection closed, until the cluster has them held for their client. */
  private final Map<Long, StreamEntry.Session> detaching = new LinkedHashMap<>();

  private final Forwarder pending;
  private final long graceNanos;
  private final java.util.ArrayDeque<Recent> recent = new java.util.ArrayDeque<>();
  private final RoutingCounters counters = new RoutingCounters();
  /**
   * A timed chat not answered by then (its session moved, say) no longer blocks timing the next:
   * far above any latency worth a bucket, so nothing real is cut short.
   */
  private static final long UNTIMED_AFTER_NANOS = 60_000_000_000L;
  /** The time of the latest event, for what is delivered without a clock at hand. */
  private long lastNowNanos;

  private @Nullable NodeId leader;
  private @Nullable Sequencer sequencer;
  private boolean leading;
  private long leadingTerm = -1;
  private int flushes;
  private Map<NodeId, Long> epochMembers = Map.of();

  /**
   * @param config this server's id, capacity and timings
   * @param outbox where routing sends to the cluster
   * @param incarnation this server's incarnation (read when the first client joins); it seeds the
   *     session ids
   * @param redirect names a server with room, for a client this full server turns away
   * @param elder names a live server with room that has been up longer than this one, to send a
   *     resuming client to when this server does not know where the client stopped (it came up
   *     since); null: none
   * @param secrets where the sessions' resume tokens come from: a {@link java.security.SecureRandom}
   *     in production (they must be unguessable), a seeded generator in a simulation (so that it
   *     replays); used on the caller's thread only
   */
  public Router(
      RoutingConfig config,
      RoutingOutbox outbox,
      java.util.function.LongSupplier incarnation,
      Supplier<@Nullable NodeId> redirect,
      Supplier<@Nullable NodeId> elder,
      java.util.random.RandomGenerator secrets) {
    NodeId self = config.self();
    long retryNanos = config.retryNanos();
    this.self = self;
    this.secrets = secrets;
    this.elder = elder;
    this.graceNanos = config.graceNanos();
    this.capacity = config.capacity();
    this.outbox = outbox;
    this.retryNanos = retryNanos;
    this.stateIntervalNanos = config.stateIntervalNanos();
    this.redirect = redirect;
    this.replica = new StreamReplica(self, this, outbox, retryNanos);
    this.pending = new Forwarder(retryNanos);
    this.incarnation = incarnation;
  }

  public StreamReplica replica() {
    return replica;
  }

  public @Nullable Sequencer sequencer() {
    return sequencer;
  }

  /** This router's counters of client traffic; readable from any thread. */
  public RoutingCounters counters() {
    return counters;
  }

  /**
   * Sessions the cluster holds for a client to resume (their connection or server is gone, the
   * grace period runs), as this server's copy of the directory has them.
   */
  public int heldSessions() {
    int held = 0;
    for (StreamEntry.Session session : replica.directory().values()) {
      if (session.detached()) {
        held++;
      }
    }
    return held;
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
      Collection<io.github.ringleader.messaging.node.MemberInfo> liveMembers,
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
    for (io.github.ringleader.messaging.node.MemberInfo member : liveMembers) {
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
    Sequencer next =
        new Sequencer(self, epoch, members, outbox, retryNanos, stateIntervalNanos, graceNanos);
    sequencer = next;
    next.begin(replica.syncForOwnEpoch(epoch), nowNanos);
  }

  // ---------------------------------------------------------------- cluster messages

  public void onForward(NodeId from, Forward forward, long nowNanos) {
    Sequencer s = sequencer;
    if (s != null) {
      s.onForward(from, forward.request(), nowNanos);
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
    lastNowNanos = nowNanos;
    if (message.epoch() == replica.epoch() || from.equals(leader)) {
      replica.onSequenced(from, message, nowNanos);
      if (message.entry() instanceof StreamEntry.Chat chat
          && message.epoch() == replica.epoch()
          && bySession.containsKey(chat.session())) {
        // The leader has it: no need to send it again while this epoch lasts.
        pending.sequenced(chatKey(chat.session(), chat.clientSeq()), nowNanos);
      }
    }
  }

  public void onStreamAck(NodeId from, StreamAck ack, long nowNanos) {
    Sequencer s = sequencer;
    if (s != null) {
      s.onStreamAck(from, ack, nowNanos);
    }
  }

  public void onStreamState(NodeId from, StreamState state, long nowNanos) {
    lastNowNanos = nowNanos;
    if (state.epoch() == replica.epoch() || from.equals(leader)) {
      replica.onStreamState(from, state, nowNanos);
    }
  }

  public void onTick(long nowNanos) {
    lastNowNanos = nowNanos;
    replica.onTick(nowNanos);
    Sequencer s = sequencer;
    if (s != null) {
      s.onTick(nowNanos);
    }
    sendDuePending(nowNanos);
  }

  /** Sends what the last event made due: forwards, acknowledgements, the stream state. */
  public void flush(long nowNanos) {
    lastNowNanos = nowNanos;
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
    return Math.min(next, pending.nextDeadlineNanos(leader));
  }

  // ---------------------------------------------------------------- forwarding

  private void submit(Forwarder.Key key, StreamEntry request) {
    pending.submit(key, request);
  }

  private void sendAllPendingSoon() {
    pending.sendAllSoon();
  }

  private void sendDuePending(long nowNanos) {
    pending.flush(leader, nowNanos, outbox);
  }

  private static Forwarder.Key joinKey(long session) {
    return Forwarder.Key.of(Forwarder.Kind.JOIN, session);
  }

  private static Forwarder.Key chatKey(long session, long seq) {
    return Forwarder.Key.chat(session, seq);
  }

  private static Forwarder.Key leaveKey(long session) {
    return Forwarder.Key.of(Forwarder.Kind.LEAVE, session);
  }

  private static Forwarder.Key detachKey(long session) {
    return Forwarder.Key.of(Forwarder.Kind.DETACH, session);
  }

  private static Forwarder.Key resumeKey(long session) {
    return Forwarder.Key.of(Forwarder.Kind.RESUME, session);
  }

  // ---------------------------------------------------------------- clients

  /** A client connected; returns the id to pass with its requests. */
  public long attach(ClientLink link) {
    long connection = ++nextConnection;
    byConnection.put(connection, new LocalSession(connection, link, counters));
    return connection;
  }

  /** As {@link #onClientRequest(long, ClientRequest)}, at {@code nowNanos} (times the request). */
  public void onClientRequest(long connection, ClientRequest request, long nowNanos) {
    lastNowNanos = nowNanos;
    onClientRequest(connection, request);
  }

  public void onClientRequest(long connection, ClientRequest request) {
    LocalSession session = byConnection.get(connection);
    if (session == null) {
      return;
    }
    if (request instanceof ClientRequest.Hello) {
      hello(session, ((ClientRequest.Hello) request).name());
    } else if (request instanceof ClientRequest.Resume) {
      resume(session, (ClientRequest.Resume) request);
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
      leave(session, "left", false);
    }
  }

  /** Sends {@code event} to the client on {@code connection}, if it is still connected. */
  public void tell(long connection, ServerEvent event) {
    LocalSession session = byConnection.get(connection);
    if (session != null) {
      session.send(event);
    }
  }

  /**
   * Tells the client on {@code connection}, if it has joined, the position of the last entry this
   * server delivered: everything for it up to there has been sent (see {@link
   * ServerEvent.Position}).
   */
  public void tellPosition(long connection) {
    LocalSession session = byConnection.get(connection);
    Recent last = recent.peekLast();
    if (session != null && session.state == SessionState.JOINED && last != null) {
      session.send(new ServerEvent.Position(last.epoch(), last.seq()));
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

  /**
   * Asks one client to move elsewhere, to even out the load: the one here longest among those
   * here for at least {@code minAttachedNanos}. It is told goodbye, and its session is held for it
   * to resume on another server (a reference client moves to the least-loaded one). Only with a
   * grace period. Returns whether a client was asked.
   */
  public boolean moveOne(long nowNanos, long minAttachedNanos, String reason) {
    if (graceNanos <= 0) {
      return false;
    }
    LocalSession oldest = null;
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINED
          && session.linkOpen
          && nowNanos - session.attachedAtNanos >= minAttachedNanos
          && (oldest == null || session.attachedAtNanos < oldest.attachedAtNanos)) {
        oldest = session;
      }
    }
    if (oldest == null) {
      return false;
    }
    oldest.send(new ServerEvent.Goodbye(reason));
    oldest.close();
    detach(oldest, "moved to even out the load");
    return true;
  }

  /**
   * Refuses the join or resume of the client on {@code connection}, which has not joined, for a
   * reason decided outside the router (authentication): it is told {@code text}, counted under
   * {@code code} and disconnected.
   */
  public void refuseConnection(long connection, ServerEvent.Reason code, String text) {
    LocalSession session = byConnection.get(connection);
    if (session != null && session.state == SessionState.NEW) {
      refuse(session, code, text, null);
    }
  }

  /** The client's connection closed. */
  public void onClientClosed(long connection) {
    LocalSession session = byConnection.get(connection);
    if (session != null) {
      session.linkOpen = false;
      leave(session, "lost its connection", true);
    }
  }

  /** Whether a new connection may join (or resume) as {@code name}; refuses it if not. */
  private boolean admits(LocalSession session, String name, long resuming) {
    if (session.state != SessionState.NEW) {
      session.send(new ServerEvent.Refused(
          ServerEvent.Reason.PROTOCOL_ERROR, "this connection has already joined", null));
      return false;
    }
    String problem = ClientNames.problemWith(name);
    if (problem != null) {
      refuse(
          session,
          ServerEvent.Reason.INVALID_NAME,
          "invalid name \"" + name + "\": " + problem,
          null);
      return false;
    }
    if (clientCount() >= capacity) {
      NodeId elsewhere = redirect.get();
      refuse(
          session,
          ServerEvent.Reason.SERVER_FULL,
          "server " + self + " is full (" + capacity + " clients)"
              + (elsewhere != null ? "; " + elsewhere + " has room" : "; no server has room"),
          elsewhere);
      return false;
    }
    String key = ClientNames.key(name);
    for (LocalSession other : byConnection.values()) {
      if (other.state != SessionState.NEW
          && other.state != SessionState.LEAVING
          && other.session != resuming
          && ClientNames.key(other.name).equals(key)) {
        refuse(
            session,
            ServerEvent.Reason.NAME_TAKEN,
            "the name " + other.name + " is taken by a connected client",
            null);
        return false;
      }
    }
    return true;
  }

  private void hello(LocalSession session, String name) {
    if (!admits(session, name, -1)) {
      return;
    }
    session.state = SessionState.JOINING;
    session.name = name;
    session.session = newSessionId();
    session.token = ResumeToken.random(secrets);
    bySession.put(session.session, session);
    submit(
        joinKey(session.session),
        new StreamEntry.Joined(name, session.session, self, session.token));
  }

  /**
   * A session id: 63 random bits from a source seeded by this server's id and incarnation, so ids
   * are unique across servers and lives (a collision is a 2^-63 chance) and a simulation replays.
   * Ids are not secret (clients see each other's with every message): resuming a session takes
   * its {@link ResumeToken}.
   */
  private long newSessionId() {
    java.util.SplittableRandom ids = sessionIds;
    if (ids == null) {
      ids = new java.util.SplittableRandom(
          self.value().hashCode() * 0x9E3779B97F4A7C15L ^ incarnation.getAsLong());
      sessionIds = ids;
    }
    long id;
    do {
      id = ids.nextLong() & Long.MAX_VALUE;
    } while (id == 0 || bySession.containsKey(id));
    return id;
  }

  private void refuse(
      LocalSession session, ServerEvent.Reason reason, String text, @Nullable NodeId elsewhere) {
    session.send(new ServerEvent.Refused(reason, text, elsewhere));
    session.close();
    byConnection.remove(session.connection);
  }

  private void send(LocalSession session, ClientRequest.Send send) {
    long seq = send.seq();
    if (session.state != SessionState.JOINED) {
      session.send(
          new ServerEvent.Rejected(seq, ServerEvent.Reason.PROTOCOL_ERROR, "join before sending"));
      return;
    }
    if (seq > io.github.ringleader.messaging.protocol.Bounds.MAX_CLIENT_SEQ) {
      session.send(new ServerEvent.Rejected(
          seq,
          ServerEvent.Reason.PROTOCOL_ERROR,
          "message numbers must be at most "
              + io.github.ringleader.messaging.protocol.Bounds.MAX_CLIENT_SEQ));
      return;
    }
    if (seq <= session.lastClientSeq && session.inFlight.contains(seq)) {
      return; // sent again after a resume while still on its way: answered when delivered
    }
    if (seq <= session.lastClientSeq) {
      session.send(new ServerEvent.Rejected(
          seq,
          ServerEvent.Reason.PROTOCOL_ERROR,
          "message numbers must increase; " + seq + " follows " + session.lastClientSeq));
      return;
    }
    session.lastClientSeq = seq;
    int bytes = io.github.ringleader.messaging.protocol.Utf8.length(send.text());
    if (bytes > StreamEntry.MAX_TEXT_BYTES) {
      session.send(new ServerEvent.Rejected(
          seq,
          ServerEvent.Reason.BAD_MESSAGE,
          "the message is " + bytes + " bytes; the limit is " + StreamEntry.MAX_TEXT_BYTES));
      return;
    }
    String to = send.to();
    if (to != null && ClientNames.problemWith(to) != null) {
      session.send(new ServerEvent.Rejected(
          seq, ServerEvent.Reason.UNKNOWN_RECIPIENT, "no client named " + to + " is connected"));
      return;
    }
    if (session.inFlight.size() >= MAX_PENDING_PER_SESSION) {
      session.send(new ServerEvent.Rejected(
          seq,
          ServerEvent.Reason.BUSY,
          MAX_PENDING_PER_SESSION + " messages are still on their way; wait for their answers"));
      return;
    }
    long previous = session.lastForwarded;
    session.lastForwarded = seq;
    session.inFlight.add(seq);
    counters.countReceived();
    if (session.timedSeq < 0 || lastNowNanos - session.timedSinceNanos > UNTIMED_AFTER_NANOS) {
      session.timedSeq = seq;
      session.timedSinceNanos = lastNowNanos;
    }
    submit(
        chatKey(session.session, seq),
        new StreamEntry.Chat(session.name, session.session, seq, to, send.text(), previous));
  }

  /**
   * The session ends ({@code mayResume} false: its client said goodbye) or its connection is
   * gone; with a grace period, the cluster then holds the session for its client to resume.
   */
  private void leave(LocalSession session, String reason, boolean mayResume) {
    switch (session.state) {
      case NEW:
        byConnection.remove(session.connection);
        break;
      case JOINING:
      case RESUMING:
        session.leaveWhenJoined = true;
        session.leaveMayResume = mayResume;
        break;
      case JOINED:
        if (mayResume && graceNanos > 0) {
          detach(session, reason);
        } else {
          session.state = SessionState.LEAVING;
          submit(
              leaveKey(session.session),
              new StreamEntry.Left(session.name, session.session, reason));
        }
        break;
      case LEAVING:
        break;
    }
  }

  /**
   * Lets go of a session whose connection is gone: what it sent and this server has not yet had
   * sequenced is dropped (its client sends it again when it resumes), and the cluster is asked to
   * hold the session. Until that is delivered, this server reports the session as detached.
   */
  private void detach(LocalSession session, String reason) {
    byConnection.remove(session.connection);
    bySession.remove(session.session);
    dropRequestsOf(session);
    detaching.put(
        session.session,
        new StreamEntry.Session(
            session.name,
            session.session,
            self,
            replica.lastClientSeq(session.session),
            true,
            false,
            session.token));
    submit(
        detachKey(session.session),
        new StreamEntry.Detached(session.name, session.session, reason));
  }

  /**
   * A client asks to take up its session here. If this server still has the session on an older
   * connection (the client gave up on it first), the new connection takes it over at once;
   * otherwise the leader moves the session here, and the client hears back when that is
   * delivered.
   */
  private void resume(LocalSession session, ClientRequest.Resume request) {
    String name = request.name();
    if (graceNanos <= 0) {
      refuse(
          session,
          ServerEvent.Reason.SESSION_ENDED,
          "sessions are not resumed in this cluster; join again",
          null);
      return;
    }
    LocalSession old = bySession.get(request.session());
    if (!admits(session, name, old != null ? request.session() : -1)) {
      return;
    }
    // The session's id is no secret; its token is. Checked here against what this server knows
    // of the session (the leader checks it again): the same answer as for a session that ended.
    StreamEntry.Session listed = replica.directory().get(request.session());
    ResumeToken expected = old != null && old.state != SessionState.RESUMING
        ? old.token
        : listed != null ? listed.token() : null;
    if (expected != null && !expected.matches(request.token())) {
      refuse(
          session,
          ServerEvent.Reason.SESSION_ENDED,
          "the session of " + name + " has ended; join again",
          null);
      return;
    }
    session.name = name;
    session.session = request.session();
    session.token = request.token();
    session.resumeEpoch = request.epoch();
    session.resumeSeq = request.seq();
    if (old != null && !ClientNames.key(old.name).equals(ClientNames.key(name))) {
      refuse(
          session,
          ServerEvent.Reason.SESSION_ENDED,
          "the session of " + name + " has ended; join again",
          null);
      return;
    }
    if (old != null && old.state == SessionState.JOINED) {
      old.send(new ServerEvent.Goodbye("the session continues on a new connection"));
      old.close();
      byConnection.remove(old.connection);
      session.state = SessionState.JOINED;
      session.attachedAtNanos = lastNowNanos;
      session.lastClientSeq = old.lastClientSeq;
      session.lastForwarded = old.lastForwarded;
      session.inFlight.addAll(old.inFlight);
      bySession.put(session.session, session);
      // Only what this server has delivered of the session is sure to be sequenced; the client
      // sends the rest again, and those still on their way here are answered when delivered.
      welcomeBack(
          session,
          replica.lastClientSeq(session.session),
          replica.positionEpoch(),
          replica.positionSeq());
      return;
    }
    NodeId older =
        request.seq() != 0 && !knows(request.epoch(), request.seq()) ? elder.get() : null;
    if (old == null && older != null) {
      // This server came up after the client's last message and cannot send it what it missed;
      // one that has been up longer may.
      refuse(
          session,
          ServerEvent.Reason.BUSY,
          "server " + self + " came up after your last message; " + older
              + " may have what you missed",
          older);
      return;
    }
    if (old != null || detaching.containsKey(request.session())) {
      // Its leaving (or letting go) is on its way to the leader and must be decided first: a
      // resumption overtaking it would be undone by it.
      refuse(
          session,
          ServerEvent.Reason.BUSY,
          "the session of " + name + " is still joining or leaving here; try again",
          null);
      return;
    }
    session.state = SessionState.RESUMING;
    bySession.put(session.session, session);
    submit(
        resumeKey(session.session),
        new StreamEntry.Resumed(name, session.session, self, 0, session.token));
  }

  /**
   * Tells a client that resumed where it stands, then sends it what it missed: every chat message
   * for it after the position it gave, in order.
   */
  private void welcomeBack(LocalSession session, long lastSendSeq, long epoch, long seq) {
    List<ServerEvent.Message> missed = new ArrayList<>();
    boolean found = false;
    String key = ClientNames.key(session.name);
    for (Recent r : recent) {
      // Refusals of its chats first, whenever they were: the client may not have had them, and
      // would otherwise take those chats, numbered up to lastSendSeq, as accepted.
      if (r.entry() instanceof StreamEntry.ChatRejected rejected
          && rejected.session() == session.session) {
        session.send(new ServerEvent.Rejected(
            rejected.clientSeq(), ServerEvent.Reason.UNKNOWN_RECIPIENT, rejected.reason()));
      }
      if (!found) {
        found = r.epoch() == session.resumeEpoch && r.seq() == session.resumeSeq;
        continue;
      }
      if (r.entry() instanceof StreamEntry.Chat chat) {
        String to = chat.to();
        if (to == null || ClientNames.key(to).equals(key)) {
          missed.add(new ServerEvent.Message(
              chat.from(), to, chat.text(), r.epoch(), r.seq(), chat.session(), chat.clientSeq()));
        }
      }
    }
    session.send(new ServerEvent.Resumed(
        session.name, session.session, self, lastSendSeq, epoch, seq, found));
    for (ServerEvent.Message message : missed) {
      session.send(message);
    }
  }

  /** Whether this server delivered the entry at that position (and still remembers it). */
  private boolean knows(long epoch, long seq) {
    for (Iterator<Recent> it = recent.descendingIterator(); it.hasNext(); ) {
      Recent r = it.next();
      if (r.epoch() == epoch && r.seq() == seq) {
        return true;
      }
    }
    return false;
  }

  private void remember(@Nullable StreamEntry entry) {
    recent.addLast(new Recent(replica.positionEpoch(), replica.positionSeq(), entry));
    if (recent.size() > RECENT_ENTRIES) {
      recent.removeFirst();
    }
  }

  // ---------------------------------------------------------------- deliveries

  @Override
  public void onDelivered(StreamEntry entry, Map<Long, StreamEntry.Session> directory) {
    counters.countEntry();
    remember(
        entry instanceof StreamEntry.Chat || entry instanceof StreamEntry.ChatRejected
            ? entry
            : null);
    if (entry instanceof StreamEntry.Joined) {
      StreamEntry.Joined joined = (StreamEntry.Joined) entry;
      pending.remove(joinKey(joined.session()));
      LocalSession mine = bySession.get(joined.session());
      if (mine != null && mine.state == SessionState.JOINING) {
        mine.state = SessionState.JOINED;
        mine.attachedAtNanos = lastNowNanos;
        mine.send(new ServerEvent.Welcome(
            mine.name,
            mine.session,
            self,
            replica.positionEpoch(),
            replica.positionSeq(),
            mine.token));
        if (mine.leaveWhenJoined) {
          leave(mine, mine.leaveMayResume ? "lost its connection" : "left", mine.leaveMayResume);
        }
      } else if (mine == null && joined.server().equals(self)) {
        // A join of a client this server no longer has: refused here, and a late copy sequenced
        // by a newer leader. Without this, the session would hold the name with nobody behind it.
        submit(
            leaveKey(joined.session()),
            new StreamEntry.Left(joined.name(), joined.session(), "its client is gone"));
      }
      tellOthers(joined.session(), new ServerEvent.Presence(joined.name(), true, ""));
    } else if (entry instanceof StreamEntry.JoinRefused) {
      StreamEntry.JoinRefused refused = (StreamEntry.JoinRefused) entry;
      pending.remove(joinKey(refused.session()));
      LocalSession mine = bySession.get(refused.session());
      if (refused.server().equals(self)) {
        pending.remove(resumeKey(refused.session())); // an earlier attempt elsewhere is not ours
      }
      if (mine != null
          && (mine.state == SessionState.JOINING || mine.state == SessionState.RESUMING)) {
        bySession.remove(refused.session());
        refuse(
            mine,
            mine.state == SessionState.JOINING
                ? ServerEvent.Reason.NAME_TAKEN
                : ServerEvent.Reason.SESSION_ENDED,
            refused.reason(),
            null);
      }
    } else if (entry instanceof StreamEntry.Chat) {
      StreamEntry.Chat chat = (StreamEntry.Chat) entry;
      pending.remove(chatKey(chat.session(), chat.clientSeq()));
      LocalSession sender = bySession.get(chat.session());
      if (sender != null && sender.inFlight.remove(chat.clientSeq())) {
        counters.countAccepted();
        if (sender.timedSeq == chat.clientSeq()) {
          counters.acceptLatency().record(lastNowNanos - sender.timedSinceNanos);
          sender.timedSeq = -1;
        }
        sender.send(new ServerEvent.Accepted(chat.clientSeq()));
      }
      ServerEvent.Message message = new ServerEvent.Message(
          chat.from(),
          chat.to(),
          chat.text(),
          replica.positionEpoch(),
          replica.positionSeq(),
          chat.session(),
          chat.clientSeq());
      String to = chat.to();
      String key = to == null ? null : ClientNames.key(to);
      for (LocalSession session : byConnection.values()) {
        if (session.state == SessionState.JOINED
            && (key == null || ClientNames.key(session.name).equals(key))) {
          session.send(message);
          if (session.linkOpen) {
            counters.countDelivered();
          }
        }
      }
    } else if (entry instanceof StreamEntry.ChatRejected) {
      StreamEntry.ChatRejected rejected = (StreamEntry.ChatRejected) entry;
      pending.remove(chatKey(rejected.session(), rejected.clientSeq()));
      LocalSession sender = bySession.get(rejected.session());
      if (sender != null && sender.timedSeq == rejected.clientSeq()) {
        sender.timedSeq = -1; // a refusal is no measure of delivery
      }
      if (sender != null && sender.inFlight.remove(rejected.clientSeq())) {
        sender.send(new ServerEvent.Rejected(
            rejected.clientSeq(), ServerEvent.Reason.UNKNOWN_RECIPIENT, rejected.reason()));
      }
    } else if (entry instanceof StreamEntry.Detached) {
      StreamEntry.Detached detached = (StreamEntry.Detached) entry;
      long session = detached.session();
      pending.remove(detachKey(session));
      detaching.remove(session);
      LocalSession live = bySession.get(session);
      if (live != null && live.state == SessionState.JOINED && live.linkOpen) {
        // A late copy of an earlier letting-go held a session whose client is here: take it up
        // again (what it sends meanwhile waits in the pending forwards).
        submit(
            resumeKey(session),
            new StreamEntry.Resumed(detached.name(), session, self, 0, live.token));
      }
    } else if (entry instanceof StreamEntry.Resumed) {
      onResumed((StreamEntry.Resumed) entry);
    } else if (entry instanceof StreamEntry.Left) {
      StreamEntry.Left left = (StreamEntry.Left) entry;
      pending.remove(leaveKey(left.session()));
      pending.remove(detachKey(left.session()));
      detaching.remove(left.session());
      LocalSession resuming = bySession.get(left.session());
      if (resuming != null && resuming.state == SessionState.RESUMING) {
        // The session ended while its client asked to resume it here: the leader refuses that.
        tellOthers(left.session(), new ServerEvent.Presence(left.name(), false, left.reason()));
        return;
      }
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

  private void onResumed(StreamEntry.Resumed resumed) {
    LocalSession mine = bySession.get(resumed.session());
    if (resumed.server().equals(self)
        && mine == null
        && !pending.contains(detachKey(resumed.session()))) {
      // A late copy of an earlier resumption put the session back here, where nobody is behind
      // it any more: hold it for its client again, or it would keep the name for good.
      submit(
          detachKey(resumed.session()),
          new StreamEntry.Detached(resumed.name(), resumed.session(), "lost its connection"));
      return;
    }
    if (resumed.server().equals(self)) {
      pending.remove(resumeKey(resumed.session()));
      if (mine != null && mine.state == SessionState.RESUMING) {
        mine.state = SessionState.JOINED;
        mine.attachedAtNanos = lastNowNanos;
        mine.lastClientSeq = resumed.lastClientSeq();
        mine.lastForwarded = resumed.lastClientSeq();
        welcomeBack(mine, resumed.lastClientSeq(), replica.positionEpoch(), replica.positionSeq());
        if (mine.leaveWhenJoined) {
          leave(mine, mine.leaveMayResume ? "lost its connection" : "left", mine.leaveMayResume);
        }
      }
      return;
    }
    // The client took its session to another server: whatever this one still had of it goes.
    pending.remove(detachKey(resumed.session()));
    detaching.remove(resumed.session());
    if (mine != null && mine.state != SessionState.RESUMING) {
      bySession.remove(resumed.session());
      dropRequestsOf(mine);
      pending.remove(leaveKey(resumed.session()));
      mine.send(new ServerEvent.Goodbye("the session continues on server " + resumed.server()));
      mine.close();
      byConnection.remove(mine.connection);
    }
  }

  private void dropRequestsOf(LocalSession session) {
    pending.removeChatsOf(session.session);
  }

  private void tellOthers(long aboutSession, ServerEvent event) {
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINED && session.session != aboutSession) {
        session.send(event);
      }
    }
  }

  @Override
  public void onDirectoryReplaced(
      Map<Long, StreamEntry.Session> before, Map<Long, StreamEntry.Session> after) {
    // Every member of an epoch delivers its directory: its position is one a client may resume
    // from on any of them, including a server that has just come (back).
    remember(null);
    for (Long held : new ArrayList<>(detaching.keySet())) {
      StreamEntry.Session listed = after.get(held);
      if (listed == null || listed.detached()) {
        // The flush took it as held (or gone): the letting-go is done.
        detaching.remove(held);
        pending.remove(detachKey(held));
      }
    }
    for (StreamEntry.Session gone : before.values()) {
      if (!after.containsKey(gone.session())) {
        pending.remove(leaveKey(gone.session())); // nothing left to leave
        LocalSession leaving = bySession.get(gone.session());
        if (leaving != null && leaving.state == SessionState.LEAVING) {
          bySession.remove(gone.session());
          dropRequestsOf(leaving);
          leaving.close();
          byConnection.remove(leaving.connection);
        }
        tellOthers(
            gone.session(),
            new ServerEvent.Presence(
                gone.name(), false, "its server " + gone.server() + " is gone"));
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
    Set<Long> reported = new java.util.HashSet<>();
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINED || session.state == SessionState.LEAVING) {
        reported.add(session.session);
        sessions.add(new StreamEntry.Session(
            session.name,
            session.session,
            self,
            replica.lastClientSeq(session.session),
            false,
            false,
            session.token));
      }
    }
    // A session still joining here may have been sequenced where this server did not deliver it;
    // it is mentioned (as not current here) so that the leader does not hold it for a resume.
    for (LocalSession session : byConnection.values()) {
      if (session.state == SessionState.JOINING && reported.add(session.session)) {
        sessions.add(new StreamEntry.Session(
            session.name, session.session, self, 0, false, true, session.token));
      }
    }
    for (StreamEntry.Session held : detaching.values()) {
      if (reported.add(held.session())) {
        sessions.add(held);
      }
    }
    // Other servers' sessions as this server's directory has them (a detached one stays held),
    // with what this server delivered of them; and sessions that are over here, for that alone.
    Map<Long, StreamEntry.Session> current = replica.directory();
    for (StreamEntry.Session known : new ArrayList<>(replica.seenSessions())) {
      if (reported.contains(known.session())) {
        continue;
      }
      StreamEntry.Session listed = current.get(known.session());
      if (listed != null && (listed.detached() || !listed.server().equals(self))) {
        sessions.add(listed.withLastClientSeq(known.lastClientSeq()).asPast(false));
      } else if (listed == null && !known.server().equals(self)) {
        sessions.add(known.asPast(true));
      }
    }
    return sessions;
  }
}
