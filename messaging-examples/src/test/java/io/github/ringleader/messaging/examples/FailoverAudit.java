package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SendResult;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * An independent check of what a set of clients sent, were told and received, written for the
 * failover tests (it does not use the core's test helpers). Each client records, as they happen:
 * every send it tried (text {@code name#n}, unique), the number {@code send} returned or the
 * exception it threw, the numbers and texts handed back by {@code onConnectionLost}, every answer
 * ({@code onAccepted}, {@code onRejected}) and every message received, in order. {@link #check()}
 * then lists every breach of:
 *
 * <ul>
 *   <li>every send that got a number is answered exactly once (accepted or rejected), and no
 *       answer names a number nobody was given;
 *   <li>no rejection is {@code UNKNOWN_RECIPIENT} (every addressee exists throughout);
 *   <li>every accepted message reaches every intended recipient (a broadcast: every client, the
 *       sender included; a private message: its addressee) exactly once, and nobody else;
 *   <li>a rejected or never-numbered send reaches nobody;
 *   <li>no client receives a message twice, nor one nobody sent;
 *   <li>each recipient has each sender's messages in the order they were sent;
 *   <li>all clients have the broadcasts in one order.
 * </ul>
 */
final class FailoverAudit {

  /** One client's record; its methods are called from the client's threads and the sender's. */
  static final class Record {
    final String name;
    /**
     * Texts tried, in order, with the message's number (or null if the client did not take it).
     * Until its answer tells the number, a send in flight holds a stand-in (below any real one),
     * so that it counts as numbered and unanswered.
     */
    final Map<String, @Nullable Long> tried = Collections.synchronizedMap(new LinkedHashMap<>());

    final Map<String, String> targets = new ConcurrentHashMap<>(); // text -> "*" or addressee
    final Map<String, String> threw = new ConcurrentHashMap<>();
    /** Numbers and texts the client listed as unconfirmed when it lost a connection. */
    final Map<Long, String> unconfirmed = new ConcurrentHashMap<>();

    final List<Long> accepted = new CopyOnWriteArrayList<>();
    final List<ServerEvent.Rejected> rejected = new CopyOnWriteArrayList<>();
    final List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong standIns =
        new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);

    Record(String name) {
      this.name = name;
    }

    /** Records a send and, when it comes, its answer. */
    void sent(String text, @Nullable String to, CompletableFuture<SendResult> answer) {
      targets.put(text, to == null ? "*" : to);
      tried.put(text, standIns.getAndIncrement());
      answer.whenComplete((ok, failed) -> {
        if (ok != null) {
          tried.put(text, ok.number());
          accepted.add(ok.number());
        } else if (failed instanceof SendFailedException f) {
          SentMessage message = f.sent();
          if (message == null) { // not sent: the client did not take it
            tried.put(text, null);
            threw.put(text, f.toString());
            return;
          }
          tried.put(text, message.number()); // unconfirmed: numbered, never answered
          ServerEvent.Reason code = f.code();
          if (f.kind() == SendFailedException.Kind.REJECTED && code != null) {
            rejected.add(new ServerEvent.Rejected(message.number(), code, f.reason()));
          }
        }
      });
    }

    void sendThrew(String text, @Nullable String to, Exception e) {
      targets.put(text, to == null ? "*" : to);
      tried.put(text, null);
      threw.put(text, e.toString());
    }

    void connectionLost(List<SentMessage> sends) {
      for (SentMessage s : sends) {
        unconfirmed.put(s.number(), s.text());
      }
    }

    /** Sends with a number (returned or listed as unconfirmed) still without an answer. */
    int unansweredCount() {
      Map<Long, String> numbers = numbers(new ArrayList<>());
      int answered = 0;
      for (Long seq : accepted) {
        if (numbers.containsKey(seq)) {
          answered++;
        }
      }
      for (ServerEvent.Rejected r : rejected) {
        if (numbers.containsKey(r.seq())) {
          answered++;
        }
      }
      return numbers.size() - answered;
    }

    /** Number -> text for every send that got a number; clashes go to {@code problems}. */
    Map<Long, String> numbers(List<String> problems) {
      Map<Long, String> byNumber = new HashMap<>();
      synchronized (tried) {
        for (Map.Entry<String, @Nullable Long> e : tried.entrySet()) {
          if (e.getValue() != null) {
            byNumber.put(e.getValue(), e.getKey());
          }
        }
      }
      for (Map.Entry<Long, String> e : unconfirmed.entrySet()) {
        String before = byNumber.putIfAbsent(e.getKey(), e.getValue());
        if (before != null && !before.equals(e.getValue())) {
          problems.add(name + ": number " + e.getKey() + " is " + before
              + " but was listed unconfirmed as " + e.getValue());
        }
      }
      return byNumber;
    }
  }

  /** Outcome of one attempted send. */
  private static final class Send {
    final String text;
    final String from;
    final int n;
    final @Nullable String to;
    boolean numbered;
    int accepted;
    int rejected;
    final Map<String, Integer> deliveries = new HashMap<>();

    Send(String text, String from, int n, @Nullable String to) {
      this.text = text;
      this.from = from;
      this.n = n;
      this.to = to;
    }
  }

  private final List<Record> records;
  private final List<String> problems = new ArrayList<>();
  private int acceptedCount;
  private int rejectedCount;
  private int threwCount;
  private int deliveryCount;

  FailoverAudit(List<Record> records) {
    this.records = records;
  }

  /** Runs every check; returns the breaches (empty when all holds). */
  List<String> check() {
    Map<String, Send> sends = new HashMap<>();
    List<String> names = records.stream().map(r -> r.name).toList();
    for (Record r : records) {
      synchronized (r.tried) {
        for (Map.Entry<String, @Nullable Long> e : r.tried.entrySet()) {
          String target = r.targets.get(e.getKey());
          Send s =
              new Send(e.getKey(), r.name, number(e.getKey()), "*".equals(target) ? null : target);
          s.numbered = e.getValue() != null;
          sends.put(e.getKey(), s);
        }
      }
      threwCount += r.threw.size();
      Map<Long, String> numbers = r.numbers(problems);
      for (String text : numbers.values()) {
        Send s = sends.get(text);
        if (s == null) {
          problems.add(r.name + ": listed as unconfirmed a text it never sent: " + text);
        } else {
          s.numbered = true;
        }
      }
      for (long seq : r.accepted) {
        String text = numbers.get(seq);
        Send s = text == null ? null : sends.get(text);
        if (s == null) {
          problems.add(r.name + ": accepted number " + seq + " which no send got");
        } else {
          s.accepted++;
        }
      }
      for (ServerEvent.Rejected rej : r.rejected) {
        String text = numbers.get(rej.seq());
        Send s = text == null ? null : sends.get(text);
        if (s == null) {
          problems.add(r.name + ": rejected number " + rej.seq() + " which no send got");
        } else {
          s.rejected++;
        }
        if (rej.code() == ServerEvent.Reason.UNKNOWN_RECIPIENT) {
          problems.add(r.name + ": " + text + " rejected as UNKNOWN_RECIPIENT: " + rej.reason());
        }
      }
    }

    Map<String, List<String>> broadcastOrder = new HashMap<>();
    for (Record r : records) {
      Map<String, Integer> lastFrom = new HashMap<>();
      List<String> order = new ArrayList<>();
      broadcastOrder.put(r.name, order);
      for (ReceivedMessage m : r.received) {
        deliveryCount++;
        Send s = sends.get(m.text());
        if (s == null) {
          problems.add(r.name + ": received a message nobody sent: " + m);
          continue;
        }
        if (!s.from.equals(m.from()) || !Objects.equals(s.to, m.to())) {
          problems.add(r.name + ": " + s.text + " arrived as from " + m.from() + " to " + m.to()
              + ", was sent by " + s.from + " to " + (s.to == null ? "everyone" : s.to));
        }
        if (s.to != null && !s.to.equals(r.name)) {
          problems.add(r.name + ": received " + s.text + ", private to " + s.to);
        }
        int times = s.deliveries.merge(r.name, 1, Integer::sum);
        if (times == 2) {
          problems.add(r.name + ": received " + s.text + " twice");
        }
        Integer last = lastFrom.get(s.from);
        if (last != null && s.n <= last) {
          problems.add(r.name + ": received " + s.text + " after " + s.from + "#" + last
              + " (sender order broken)");
        }
        lastFrom.put(s.from, last == null ? s.n : Math.max(last, s.n));
        if (s.to == null) {
          order.add(s.text);
        }
      }
    }

    for (Send s : sends.values()) {
      if (s.accepted > 0) {
        acceptedCount++;
      }
      if (s.rejected > 0) {
        rejectedCount++;
      }
      if (s.numbered && s.accepted + s.rejected != 1) {
        problems.add(s.from + ": " + s.text + " answered " + s.accepted + " time(s) accepted, "
            + s.rejected + " rejected (expected exactly one answer)");
      }
      if (s.accepted > 0) {
        List<String> intended = s.to == null ? names : List.of(s.to);
        for (String who : intended) {
          if (s.deliveries.getOrDefault(who, 0) == 0) {
            problems.add(who + ": never received accepted " + s.text
                + (s.to == null ? " (broadcast)" : " (private)"));
          }
        }
      } else if (!s.deliveries.isEmpty()) {
        problems.add(s.text + " was "
            + (s.rejected > 0
                ? "rejected"
                : s.numbered ? "never answered" : "never numbered (send threw)")
            + " yet reached " + s.deliveries.keySet());
      }
    }

    // One order of broadcasts for all: for every two clients, the broadcasts both have are in the
    // same order.
    for (int a = 0; a < records.size(); a++) {
      Map<String, Integer> position = new HashMap<>();
      List<String> first = broadcastOrder.getOrDefault(records.get(a).name, List.of());
      for (int i = 0; i < first.size(); i++) {
        position.putIfAbsent(first.get(i), i);
      }
      for (int b = a + 1; b < records.size(); b++) {
        int last = -1;
        String lastText = null;
        for (String text : broadcastOrder.getOrDefault(records.get(b).name, List.of())) {
          Integer p = position.get(text);
          if (p == null) {
            continue;
          }
          if (p < last) {
            problems.add("broadcast order differs: " + records.get(b).name + " has " + lastText
                + " before " + text + ", " + records.get(a).name + " the other way round");
            break;
          }
          last = p;
          lastText = text;
        }
      }
    }
    return problems;
  }

  /** A one-line account of what was checked, for assertion messages. */
  String summary() {
    return String.format(
        "%d sends tried, %d accepted, %d rejected, %d threw in send(), %d deliveries",
        records.stream().mapToInt(r -> r.tried.size()).sum(),
        acceptedCount,
        rejectedCount,
        threwCount,
        deliveryCount);
  }

  private static int number(String text) {
    int hash = text.indexOf('#');
    return Integer.parseInt(text.substring(hash + 1));
  }
}
