package io.github.ringleader.messaging.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An independent checker of the delivery guarantees, fed only with what clients did and saw: what
 * each client sent, which of its messages the server acknowledged or rejected, what each client
 * received, when clients connected and disconnected, and which intervals the test itself declares
 * "disturbed" for a client. It uses nothing of the servers' internals.
 *
 * <p>Report events in the order they happened (a single-threaded simulation does this naturally):
 * a receipt belongs to the recipient's session that is open when {@link #received} is called.
 * Times are only used for the no-loss rule and for messages.
 *
 * <p>{@link #violations} checks:
 *
 * <ol>
 *   <li><b>sanity</b>: every ack or reject is for a message that was sent; no message is both acked
 *       and rejected; no message id is sent twice; a client receives only while connected; a name
 *       (ignoring case) has at most one open session; disconnects match connects;
 *   <li><b>no invention</b>: every received {@code (sender, id)} was sent by that sender, with the
 *       same addressee, and not after it was received; a private message is received only by its
 *       addressee; a rejected message is never received;
 *   <li><b>no duplicates</b>: per recipient session, each {@code (sender, id)} at most once;
 *   <li><b>per-sender FIFO</b>: per recipient session and sender name, messages arrive in the
 *       sender's sending order (across the sender's sessions);
 *   <li><b>one total order of broadcasts</b>: every pair of recipient sessions agrees on the
 *       relative order of the broadcasts both received, and, when no pair disagrees, one order fits
 *       all of them together (no cycle through three or more sessions);
 *   <li><b>no loss</b>: see {@link #violations}.
 * </ol>
 *
 * <p><b>Two modes.</b> The default ({@link #DeliveryChecker()}) keeps the partition exemptions
 * of a cluster that elects without a quorum: a message whose sender was {@linkplain #disturbed
 * disturbed} (cut off, frozen, outside the leader's group) may be decided apart — rejected on one
 * side and delivered on the other, ordered differently on the two sides — and loss is not
 * counted for a disturbed sender or recipient. {@link #withoutPartitionExemptions()} is the
 * stricter mode of majority commit: disturbances excuse nothing; a rejected message is never
 * delivered, every broadcast takes part in the one total order, and an accepted message reaches
 * every recipient connected from before the send to the end, cut off for a while or not. Only a
 * loss the client was told of ({@link #toldOfLoss}: a resume that said some messages may be
 * missing) is excused in both modes.
 *
 * <p>Client names are compared ignoring case. Not thread-safe.
 */
final class DeliveryChecker {

  /** How many violations of one kind are listed before the rest are summarised in one line. */
  static final int MAX_LISTED_PER_KIND = 20;

  /** The kinds of violation, in the order they are reported; each message starts with its tag. */
  enum Kind {
    SANITY("sanity"),
    INVENTED("invented"),
    MISDELIVERED("misdelivered"),
    REJECTED_DELIVERED("rejected-delivered"),
    DUPLICATE("duplicate"),
    FIFO("fifo"),
    TOTAL_ORDER("total-order"),
    LOSS("loss");

    private final String tag;

    Kind(String tag) {
      this.tag = tag;
    }

    /** The tag that starts every message of this kind, e.g. {@code "[duplicate] "}. */
    String prefix() {
      return "[" + tag + "] ";
    }
  }

  /** A message's identity: the sender's name in lower case and the sender's id. */
  private record MessageKey(String senderKey, long id) {}

  /** An ack or a reject: the sender's name as it reported it, and when. */
  private record Fate(String sender, long atNanos) {}

  /** A disturbed interval, both ends included. */
  private record Interval(long fromNanos, long toNanos) {}

  /** What a client received, as it saw it. */
  private record Receipt(
      String recipient, String sender, long id, @Nullable String to, long atNanos, MessageKey key) {

    /** The message as this recipient saw it, e.g. "bob#7 (broadcast)". */
    String message() {
      return describe(sender, id, to);
    }
  }

  /** A message a client sent, with its fate as the sender saw it. */
  private static final class Sent {
    final MessageKey key;
    final String sender;
    final long id;
    final @Nullable String to;
    final long sentAtNanos;
    /** The position of this message in its sender name's sending order, from 0. */
    final int order;

    Sent(MessageKey key, String sender, long id, @Nullable String to, long sentAtNanos, int order) {
      this.key = key;
      this.sender = sender;
      this.id = id;
      this.to = to;
      this.sentAtNanos = sentAtNanos;
      this.order = order;
    }
  }

  /** One connection of a client, from its welcome to its disconnect. */
  private static final class Session {
    final String name;
    /** 1 for the client's first session, 2 for the next, ... */
    final int number;

    final long connectedAtNanos;
    boolean open = true;
    long disconnectedAtNanos;
    final List<Receipt> receipts = new ArrayList<>();

    Session(String name, int number, long connectedAtNanos) {
      this.name = name;
      this.number = number;
      this.connectedAtNanos = connectedAtNanos;
    }

    @Override
    public String toString() {
      return name + " (session " + number + ")";
    }
  }

  /** Everything known about one client name (ignoring case). */
  private static final class Client {
    /** The name as first seen. */
    final String name;

    final List<Session> sessions = new ArrayList<>();

    @Nullable
    Session current;
    /** Receipts reported while the client had no open session (each is also a sanity violation). */
    final List<Receipt> detached = new ArrayList<>();

    Client(String name) {
      this.name = name;
    }
  }

  private final Map<MessageKey, Sent> sent = new HashMap<>();
  /** Per sender name key, how many messages it has sent. */
  private final Map<String, Integer> sentCounts = new HashMap<>();
  /** Every sent message, in the order they were sent. */
  private final List<Sent> sentInOrder = new ArrayList<>();

  private final Map<MessageKey, Fate> acks = new LinkedHashMap<>();
  private final Map<MessageKey, Fate> rejects = new LinkedHashMap<>();
  /** Clients by name key, in the order they first appeared. */
  private final Map<String, Client> clients = new LinkedHashMap<>();

  private final Map<String, List<Interval>> disturbances = new HashMap<>();
  /** Intervals in which a client was told it may have missed messages (both modes excuse). */
  private final Map<String, List<Interval>> toldOfLoss = new HashMap<>();
  /** Whether disturbances excuse split decisions and losses (no quorum) or nothing (majority). */
  private final boolean partitionExemptions;

  /** The checker with the partition exemptions of a cluster without a quorum. */
  DeliveryChecker() {
    this(true);
  }

  private DeliveryChecker(boolean partitionExemptions) {
    this.partitionExemptions = partitionExemptions;
  }

  /**
   * The stricter checker: the promises hold through partitions, freezes and false failure
   * detections; {@link #disturbed} intervals are recorded but excuse nothing.
   */
  static DeliveryChecker withoutPartitionExemptions() {
    return new DeliveryChecker(false);
  }
  /** Sanity violations found while recording. */
  private final List<String> recordingProblems = new ArrayList<>();

  /**
   * A client sent a message; id is unique per (sender, id) and known to the test (it is embedded
   * in the text). to == null: broadcast.
   */
  void sent(String sender, long id, @Nullable String to, long atNanos) {
    MessageKey key = new MessageKey(nameKey(sender), id);
    Sent previous = sent.get(key);
    if (previous != null) {
      recordingProblems.add(String.format(
          Locale.ROOT,
          "%s%s sent id %d again at %s (first sent at %s as %s); ids must be unique per sender,"
              + " the second send is ignored",
          Kind.SANITY.prefix(),
          sender,
          id,
          time(atNanos),
          time(previous.sentAtNanos),
          describe(previous.sender, id, previous.to)));
      return;
    }
    int order = sentCounts.merge(key.senderKey(), 1, Integer::sum) - 1;
    Sent message = new Sent(key, sender, id, to, atNanos, order);
    sent.put(key, message);
    sentInOrder.add(message);
  }

  /** The server acknowledged (accepted) the sender's message id. */
  void acked(String sender, long id, long atNanos) {
    acks.putIfAbsent(new MessageKey(nameKey(sender), id), new Fate(sender, atNanos));
  }

  /**
   * The server rejected it (e.g. unknown recipient) — it must then never be delivered to anyone.
   */
  void rejected(String sender, long id, long atNanos) {
    rejects.putIfAbsent(new MessageKey(nameKey(sender), id), new Fate(sender, atNanos));
  }

  /** recipient received message (sender, id) that was addressed to `to` (null = broadcast). */
  void received(String recipient, String sender, long id, @Nullable String to, long atNanos) {
    Receipt receipt =
        new Receipt(recipient, sender, id, to, atNanos, new MessageKey(nameKey(sender), id));
    Client client = client(recipient);
    Session session = client.current;
    if (session == null) {
      recordingProblems.add(String.format(
          Locale.ROOT,
          "%s%s received %s at %s while not connected",
          Kind.SANITY.prefix(),
          recipient,
          describe(sender, id, to),
          time(atNanos)));
      client.detached.add(receipt);
      return;
    }
    session.receipts.add(receipt);
  }

  /**
   * The client `name` was connected (welcomed) at that time; a client may connect again later with
   * the same name (a new session).
   */
  void connected(String name, long atNanos) {
    Client client = client(name);
    Session open = client.current;
    if (open != null) {
      recordingProblems.add(String.format(
          Locale.ROOT,
          "%s%s was welcomed at %s while %s, connected at %s, was still connected: two clients"
              + " with the same name (ignoring case)",
          Kind.SANITY.prefix(),
          name,
          time(atNanos),
          open,
          time(open.connectedAtNanos)));
      open.open = false;
      open.disconnectedAtNanos = atNanos;
    }
    Session session = new Session(name, client.sessions.size() + 1, atNanos);
    client.sessions.add(session);
    client.current = session;
  }

  /** The client `name` was disconnected at that time. */
  void disconnected(String name, long atNanos) {
    Client client = client(name);
    Session open = client.current;
    if (open == null) {
      recordingProblems.add(String.format(
          Locale.ROOT,
          "%s%s disconnected at %s but was not connected",
          Kind.SANITY.prefix(),
          name,
          time(atNanos)));
      return;
    }
    open.open = false;
    open.disconnectedAtNanos = atNanos;
    client.current = null;
  }

  /**
   * The test declares an interval during which client `name` was "disturbed" (its server crashed,
   * paused, was partitioned from some other server, etc.). Loss obligations exclude messages whose
   * sender or recipient was disturbed at any time between the send and the end of the check window.
   */
  void disturbed(String name, long fromNanos, long toNanos) {
    addInterval(disturbances, "disturbance", name, fromNanos, toNanos);
  }

  /**
   * The client {@code name} was told that it may have missed messages sent in {@code [fromNanos,
   * toNanos]} (a resume answered {@code complete=false}): a documented loss, excused in both modes
   * as a disturbance is in the default mode.
   */
  void toldOfLoss(String name, long fromNanos, long toNanos) {
    addInterval(toldOfLoss, "loss notice", name, fromNanos, toNanos);
  }

  private void addInterval(
      Map<String, List<Interval>> intervals,
      String what,
      String name,
      long fromNanos,
      long toNanos) {
    if (toNanos < fromNanos) {
      recordingProblems.add(String.format(
          Locale.ROOT,
          "%sthe %s of %s ends (%s) before it starts (%s); taken as %s..%s",
          Kind.SANITY.prefix(),
          what,
          name,
          time(toNanos),
          time(fromNanos),
          time(toNanos),
          time(fromNanos)));
    }
    intervals
        .computeIfAbsent(nameKey(name), k -> new ArrayList<>())
        .add(new Interval(Math.min(fromNanos, toNanos), Math.max(fromNanos, toNanos)));
  }

  /**
   * Checks everything; returns a list of human-readable violations (empty = all good). endNanos =
   * end of the run; messages acked at or before `lossDeadlineNanos` are subject to the no-loss
   * rule.
   *
   * <p>No loss: every message acked at or before {@code lossDeadlineNanos} (and not rejected) must
   * have been received by every intended recipient (a broadcast: every client, its sender
   * included; a private message: its addressee) that was connected in one session from at or
   * before the send until at least {@code endNanos}, received in that session, unless the
   * recipient or the sender was disturbed at some time in {@code [sentAt, endNanos]}.
   *
   * <p>Each message starts with its kind's tag ({@code "[loss] "}, ...). At most {@link
   * #MAX_LISTED_PER_KIND} violations of one kind are listed, followed by one line counting the
   * rest. Can be called any number of times.
   */
  List<String> violations(long lossDeadlineNanos, long endNanos) {
    Report report = new Report();
    for (String problem : recordingProblems) {
      report.add(Kind.SANITY, problem);
    }
    checkAcksAndRejects(report);
    checkEachReceipt(report);
    Map<Session, Set<MessageKey>> receivedBySession = new HashMap<>();
    List<Session> sessionsWithBroadcasts = new ArrayList<>();
    List<List<MessageKey>> broadcastOrders = new ArrayList<>();
    for (Client client : clients.values()) {
      for (Session session : client.sessions) {
        List<MessageKey> broadcasts = checkSession(session, report, receivedBySession);
        if (!broadcasts.isEmpty()) {
          sessionsWithBroadcasts.add(session);
          broadcastOrders.add(broadcasts);
        }
      }
    }
    checkTotalOrder(sessionsWithBroadcasts, broadcastOrders, report);
    checkNoLoss(lossDeadlineNanos, endNanos, receivedBySession, report);
    return report.lines();
  }

  // ------------------------------------------------------------------ the checks

  private void checkAcksAndRejects(Report report) {
    for (Map.Entry<MessageKey, Fate> ack : acks.entrySet()) {
      MessageKey key = ack.getKey();
      Fate acked = ack.getValue();
      if (!sent.containsKey(key)) {
        report.add(
            Kind.SANITY,
            String.format(
                Locale.ROOT,
                "%s#%d was acknowledged at %s but %s never sent it",
                acked.sender(),
                key.id(),
                time(acked.atNanos()),
                acked.sender()));
      }
      Fate rejected = rejects.get(key);
      if (rejected != null) {
        report.add(
            Kind.SANITY,
            String.format(
                Locale.ROOT,
                "%s was both acknowledged (at %s) and rejected (at %s)",
                describe(key),
                time(acked.atNanos()),
                time(rejected.atNanos())));
      }
    }
    for (Map.Entry<MessageKey, Fate> reject : rejects.entrySet()) {
      Fate rejected = reject.getValue();
      if (!sent.containsKey(reject.getKey())) {
        report.add(
            Kind.SANITY,
            String.format(
                Locale.ROOT,
                "%s#%d was rejected at %s but %s never sent it",
                rejected.sender(),
                reject.getKey().id(),
                time(rejected.atNanos()),
                rejected.sender()));
      }
    }
  }

  /** No invention, no misdelivery, no delivery of rejected messages, for every receipt. */
  private void checkEachReceipt(Report report) {
    for (Client client : clients.values()) {
      for (Session session : client.sessions) {
        for (Receipt receipt : session.receipts) {
          checkReceipt(session, receipt, report);
        }
      }
      for (Receipt receipt : client.detached) {
        checkReceipt(client.name + " (not connected)", receipt, report);
      }
    }
  }

  /** {@code recipient} is the session, or what to call a client that was not connected. */
  private void checkReceipt(Object recipient, Receipt receipt, Report report) {
    MessageKey key = receipt.key();
    Sent message = sent.get(key);
    if (message == null) {
      report.add(
          Kind.INVENTED,
          String.format(
              Locale.ROOT,
              "%s received %s at %s, but %s never sent id %d",
              recipient,
              receipt.message(),
              time(receipt.atNanos()),
              receipt.sender(),
              receipt.id()));
      return;
    }
    if (!sameName(receipt.to(), message.to)) {
      report.add(
          Kind.INVENTED,
          String.format(
              Locale.ROOT,
              "%s received %s at %s, but it was sent as %s",
              recipient,
              receipt.message(),
              time(receipt.atNanos()),
              describe(message.sender, message.id, message.to)));
    }
    if (receipt.atNanos() < message.sentAtNanos) {
      report.add(
          Kind.INVENTED,
          String.format(
              Locale.ROOT,
              "%s received %s at %s, before it was sent at %s",
              recipient,
              receipt.message(),
              time(receipt.atNanos()),
              time(message.sentAtNanos)));
    }
    String addressee = message.to;
    if (addressee != null && !nameKey(addressee).equals(nameKey(receipt.recipient()))) {
      report.add(
          Kind.MISDELIVERED,
          String.format(
              Locale.ROOT,
              "%s received %s at %s, a private message for %s only",
              recipient,
              describe(message.sender, message.id, addressee),
              time(receipt.atNanos()),
              addressee));
    }
    Fate rejected = rejects.get(key);
    // A sender cut off by a partition may hear "rejected" from its side's leader while the other
    // side's leader delivered the message: without a quorum the two sides decide apart. That
    // split decision is allowed only when the sender was disturbed between send and rejection.
    if (rejected != null
        && !(partitionExemptions
            && disturbedBetween(message.sender, message.sentAtNanos, rejected.atNanos()))) {
      report.add(
          Kind.REJECTED_DELIVERED,
          String.format(
              Locale.ROOT,
              "%s received %s at %s, but the server rejected it at %s",
              recipient,
              describe(message.sender, message.id, message.to),
              time(receipt.atNanos()),
              time(rejected.atNanos())));
    }
  }

  /**
   * No duplicates and per-sender FIFO within one session; returns the session's broadcasts in the
   * order first received, and records the session's received messages in {@code received}.
   */
  private List<MessageKey> checkSession(
      Session session, Report report, Map<Session, Set<MessageKey>> received) {
    Map<MessageKey, Receipt> first = new HashMap<>();
    Map<String, Receipt> latestBySender = new HashMap<>();
    List<MessageKey> broadcasts = new ArrayList<>();
    for (Receipt receipt : session.receipts) {
      MessageKey key = receipt.key();
      Receipt earlier = first.putIfAbsent(key, receipt);
      if (earlier != null) {
        report.add(
            Kind.DUPLICATE,
            String.format(
                Locale.ROOT,
                "%s received %s twice: at %s and again at %s",
                session,
                receipt.message(),
                time(earlier.atNanos()),
                time(receipt.atNanos())));
        continue;
      }
      if (receipt.to() == null && !decidedApart(key)) {
        broadcasts.add(key);
      }
      Sent message = sent.get(key);
      if (message == null) {
        continue; // invented: already reported, and it has no place in the sender's order
      }
      Receipt latest = latestBySender.get(key.senderKey());
      Sent latestSent = latest == null ? null : sent.get(latest.key());
      if (latest != null && latestSent != null && message.order < latestSent.order) {
        report.add(
            Kind.FIFO,
            String.format(
                Locale.ROOT,
                "%s received %s at %s after %s at %s, but %s sent id %d before id %d",
                session,
                describe(message.sender, message.id, message.to),
                time(receipt.atNanos()),
                describe(latestSent.sender, latestSent.id, latestSent.to),
                time(latest.atNanos()),
                message.sender,
                message.id,
                latestSent.id));
      } else {
        latestBySender.put(key.senderKey(), receipt);
      }
    }
    received.put(session, first.keySet());
    return broadcasts;
  }

  /**
   * Every pair of sessions agrees on the order of their common broadcasts: for each pair, walk the
   * second session's broadcasts and look up each one's position in the first's; the positions
   * must increase. O(total broadcasts received) per pair, with one reusable position array. If
   * every pair agrees, checks that the union of all sessions' orders has no cycle.
   */
  private void checkTotalOrder(
      List<Session> sessions, List<List<MessageKey>> orders, Report report) {
    Map<MessageKey, Integer> index = new HashMap<>();
    List<MessageKey> messages = new ArrayList<>();
    int[][] sequences = new int[orders.size()][];
    for (int s = 0; s < orders.size(); s++) {
      List<MessageKey> order = orders.get(s);
      int[] sequence = new int[order.size()];
      for (int i = 0; i < sequence.length; i++) {
        MessageKey key = order.get(i);
        Integer known = index.get(key);
        if (known == null) {
          known = messages.size();
          index.put(key, known);
          messages.add(key);
        }
        sequence[i] = known;
      }
      sequences[s] = sequence;
    }
    int[] position = new int[messages.size()];
    Arrays.fill(position, -1);
    boolean pairsAgree = true;
    for (int a = 0; a < sequences.length; a++) {
      int[] first = sequences[a];
      for (int i = 0; i < first.length; i++) {
        position[first[i]] = i;
      }
      for (int b = a + 1; b < sequences.length; b++) {
        int previous = -1; // the previous common message, as an index into messages
        for (int message : sequences[b]) {
          int at = position[message];
          if (at < 0) {
            continue;
          }
          if (previous >= 0 && at < position[previous]) {
            pairsAgree = false;
            MessageKey x = messages.get(message);
            MessageKey y = messages.get(previous);
            report.add(
                Kind.TOTAL_ORDER,
                String.format(
                    Locale.ROOT,
                    "%s and %s disagree on the order of broadcasts: %s received %s before %s, %s"
                        + " received %s before %s",
                    sessions.get(a),
                    sessions.get(b),
                    sessions.get(a),
                    describe(x),
                    describe(y),
                    sessions.get(b),
                    describe(y),
                    describe(x)));
            break; // one disagreement per pair is enough to debug it
          }
          previous = message;
        }
      }
      for (int message : first) {
        position[message] = -1;
      }
    }
    if (pairsAgree) {
      checkNoCycle(sessions, sequences, messages, report);
    }
  }

  /**
   * One order must fit all sessions together: the graph with an edge from each broadcast to the
   * next one a session received must have no cycle. The edges are sorted and deduplicated, then
   * Kahn's algorithm frees every message whose predecessors are all freed; if some are never
   * freed, walking back through their unfreed predecessors finds a cycle.
   */
  private void checkNoCycle(
      List<Session> sessions, int[][] sequences, List<MessageKey> messages, Report report) {
    int n = messages.size();
    int edgeCount = 0;
    for (int[] sequence : sequences) {
      edgeCount += Math.max(0, sequence.length - 1);
    }
    long[] edges = new long[edgeCount];
    int e = 0;
    for (int[] sequence : sequences) {
      for (int i = 1; i < sequence.length; i++) {
        edges[e++] = edge(sequence[i - 1], sequence[i]);
      }
    }
    Arrays.sort(edges);
    int unique = 0;
    for (int i = 0; i < edges.length; i++) {
      if (i == 0 || edges[i] != edges[i - 1]) {
        edges[unique++] = edges[i];
      }
    }
    // Sorted by source, so each message's successors are one run: start[m] .. start[m + 1].
    int[] start = new int[n + 1];
    int[] inDegree = new int[n];
    for (int i = 0; i < unique; i++) {
      start[edgeFrom(edges[i]) + 1]++;
      inDegree[edgeTo(edges[i])]++;
    }
    for (int m = 0; m < n; m++) {
      start[m + 1] += start[m];
    }
    int[] free = new int[n]; // a queue of freed messages
    int head = 0;
    int tail = 0;
    for (int m = 0; m < n; m++) {
      if (inDegree[m] == 0) {
        free[tail++] = m;
      }
    }
    boolean[] done = new boolean[n];
    while (head < tail) {
      int message = free[head++];
      done[message] = true;
      for (int i = start[message]; i < start[message + 1]; i++) {
        int next = edgeTo(edges[i]);
        if (--inDegree[next] == 0) {
          free[tail++] = next;
        }
      }
    }
    if (tail == n) {
      return;
    }
    List<List<Integer>> predecessors = new ArrayList<>(n);
    for (int m = 0; m < n; m++) {
      predecessors.add(new ArrayList<>(1));
    }
    for (int i = 0; i < unique; i++) {
      if (!done[edgeFrom(edges[i])] && !done[edgeTo(edges[i])]) {
        predecessors.get(edgeTo(edges[i])).add(edgeFrom(edges[i]));
      }
    }
    int current = 0;
    while (done[current]) {
      current++;
    }
    // Every message not freed has a predecessor not freed, so walking back must revisit one.
    int[] stepOf = new int[n];
    Arrays.fill(stepOf, -1);
    List<Integer> walk = new ArrayList<>();
    while (stepOf[current] < 0) {
      stepOf[current] = walk.size();
      walk.add(current);
      current = predecessors.get(current).get(0);
    }
    List<Integer> cycle = new ArrayList<>(walk.subList(stepOf[current], walk.size()));
    Collections.reverse(cycle); // now in receiving order: each received before the next
    StringBuilder explanation = new StringBuilder();
    int shown = Math.min(cycle.size(), 10);
    for (int i = 0; i < shown; i++) {
      int from = cycle.get(i);
      int to = cycle.get((i + 1) % cycle.size());
      explanation
          .append(i == 0 ? "" : "; ")
          .append(witness(sessions, sequences, from, to))
          .append(" received ")
          .append(describe(messages.get(from)))
          .append(" before ")
          .append(describe(messages.get(to)));
    }
    if (shown < cycle.size()) {
      explanation.append("; ... (").append(cycle.size() - shown).append(" more steps)");
    }
    report.add(
        Kind.TOTAL_ORDER,
        "no single order of broadcasts fits what the clients received, though every two of them"
            + " agree: "
            + explanation);
  }

  /** The first session that received {@code to} right after {@code from}. */
  private static Object witness(List<Session> sessions, int[][] sequences, int from, int to) {
    for (int s = 0; s < sequences.length; s++) {
      int[] sequence = sequences[s];
      for (int i = 1; i < sequence.length; i++) {
        if (sequence[i - 1] == from && sequence[i] == to) {
          return sessions.get(s);
        }
      }
    }
    return "?";
  }

  private void checkNoLoss(
      long lossDeadlineNanos,
      long endNanos,
      Map<Session, Set<MessageKey>> received,
      Report report) {
    // Per name: the latest end of a disturbance that starts at or before endNanos. A disturbance
    // overlaps [sentAt, endNanos] exactly when it starts at or before endNanos and ends at or
    // after sentAt.
    Map<String, Long> disturbedUntil = new HashMap<>();
    List<Map<String, List<Interval>>> excuses =
        partitionExemptions ? List.of(disturbances, toldOfLoss) : List.of(toldOfLoss);
    for (Map<String, List<Interval>> intervals : excuses) {
      for (Map.Entry<String, List<Interval>> entry : intervals.entrySet()) {
        for (Interval interval : entry.getValue()) {
          if (interval.fromNanos() <= endNanos) {
            disturbedUntil.merge(entry.getKey(), interval.toNanos(), Math::max);
          }
        }
      }
    }
    // Per name: the one session (the last) that lasted until endNanos, if any.
    Map<String, Session> survivors = new HashMap<>();
    for (Map.Entry<String, Client> entry : clients.entrySet()) {
      List<Session> sessions = entry.getValue().sessions;
      if (!sessions.isEmpty()) {
        Session last = sessions.get(sessions.size() - 1);
        if (last.open || last.disconnectedAtNanos >= endNanos) {
          survivors.put(entry.getKey(), last);
        }
      }
    }
    for (Sent message : sentInOrder) {
      MessageKey key = message.key;
      Fate acked = acks.get(key);
      if (acked == null || acked.atNanos() > lossDeadlineNanos || rejects.containsKey(key)) {
        continue;
      }
      if (wasDisturbed(disturbedUntil, key.senderKey(), message.sentAtNanos)) {
        continue;
      }
      String addressee = message.to;
      Iterable<String> recipients =
          addressee == null ? clients.keySet() : List.of(nameKey(addressee));
      for (String recipient : recipients) {
        Session session = survivors.get(recipient);
        if (session == null
            || session.connectedAtNanos > message.sentAtNanos
            || wasDisturbed(disturbedUntil, recipient, message.sentAtNanos)) {
          continue;
        }
        Set<MessageKey> got = received.get(session);
        if (got == null || !got.contains(key)) {
          boolean own = recipient.equals(key.senderKey());
          report.add(
              Kind.LOSS,
              String.format(
                  Locale.ROOT,
                  "%s, connected from %s to the end, never received %s%s, sent at %s and"
                      + " acknowledged at %s; %s",
                  session,
                  time(session.connectedAtNanos),
                  own ? "its own " : "",
                  describe(message.sender, message.id, message.to),
                  time(message.sentAtNanos),
                  time(acked.atNanos()),
                  !partitionExemptions
                      ? "it was not told of a loss (without partition exemptions)"
                      : own
                          ? "it was not disturbed"
                          : "neither it nor the sender " + message.sender + " was disturbed"));
        }
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private Client client(String name) {
    return clients.computeIfAbsent(nameKey(name), k -> new Client(name));
  }

  /**
   * Whether a message was sent while its sender was disturbed (cut off from part of the cluster),
   * from the send until the server answered (or the end, unanswered). Without a quorum, the two
   * sides of a partition may each order such a message among their own: the one-order promise
   * covers messages whose sender stayed in one connected group.
   */
  private boolean decidedApart(MessageKey key) {
    Sent message = sent.get(key);
    if (message == null || !partitionExemptions) {
      return false;
    }
    Fate answer = acks.get(key);
    if (answer == null) {
      answer = rejects.get(key);
    }
    long until = answer == null ? Long.MAX_VALUE : answer.atNanos();
    return disturbedBetween(message.sender, message.sentAtNanos, until);
  }

  private boolean disturbedBetween(String name, long fromNanos, long toNanos) {
    for (Interval interval : disturbances.getOrDefault(nameKey(name), List.of())) {
      if (interval.fromNanos() <= toNanos && interval.toNanos() >= fromNanos) {
        return true;
      }
    }
    return false;
  }

  private static boolean wasDisturbed(
      Map<String, Long> disturbedUntil, String nameKey, long sentAt) {
    Long until = disturbedUntil.get(nameKey);
    return until != null && until >= sentAt;
  }

  private static long edge(int from, int to) {
    return ((long) from << 32) | to;
  }

  private static int edgeFrom(long edge) {
    return (int) (edge >>> 32);
  }

  private static int edgeTo(long edge) {
    return (int) edge;
  }

  private static String nameKey(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static boolean sameName(@Nullable String a, @Nullable String b) {
    if (a == null || b == null) {
      return a == null && b == null;
    }
    return nameKey(a).equals(nameKey(b));
  }

  /** "bob#7 (broadcast)" or "bob#7 (private to carol)". */
  private static String describe(String sender, long id, @Nullable String to) {
    return sender + "#" + id + (to == null ? " (broadcast)" : " (private to " + to + ")");
  }

  private String describe(MessageKey key) {
    Sent message = sent.get(key);
    return message == null
        ? key.senderKey() + "#" + key.id()
        : describe(message.sender, message.id, message.to);
  }

  /** Virtual time in milliseconds with nanosecond digits: "t=12.000345ms". */
  static String time(long nanos) {
    long abs = Math.abs(nanos);
    return String.format(
        Locale.ROOT, "t=%s%d.%06dms", nanos < 0 ? "-" : "", abs / 1_000_000, abs % 1_000_000);
  }

  /** Violations grouped by kind, each kind's list cut at {@link #MAX_LISTED_PER_KIND}. */
  private static final class Report {
    private final Map<Kind, List<String>> listed = new EnumMap<>(Kind.class);
    private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    private final Set<String> seen = new HashSet<>();

    void add(Kind kind, String message) {
      String line = message.startsWith(kind.prefix()) ? message : kind.prefix() + message;
      if (!seen.add(line)) {
        return;
      }
      int count = counts.merge(kind, 1, Integer::sum);
      if (count <= MAX_LISTED_PER_KIND) {
        listed.computeIfAbsent(kind, k -> new ArrayList<>()).add(line);
      }
    }

    List<String> lines() {
      List<String> lines = new ArrayList<>();
      for (Kind kind : Kind.values()) {
        lines.addAll(listed.getOrDefault(kind, List.of()));
        int count = counts.getOrDefault(kind, 0);
        if (count > MAX_LISTED_PER_KIND) {
          lines.add(kind.prefix() + "... and " + (count - MAX_LISTED_PER_KIND) + " more " + kind.tag
              + " violations");
        }
      }
      return lines;
    }
  }
}
