package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.examples.BenchCommand.LatencyRecorder;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The bench's data-path scenarios ({@code bench --scenario fanout|steady|rtt|all}), with every
 * client in this process and the servers in child processes ({@code --processes}), already running
 * ({@code --connect}) or in this process. Each message carries its publisher's sequence number and
 * send time; each receiver counts, per publisher, what it got twice, out of order and not at all
 * (of what the cluster accepted).
 */
final class ScenarioBench {

  /** What to run and against what; checked by {@link BenchCommand}. */
  record Settings(
      List<String> scenarios,
      boolean processes,
      List<InetSocketAddress> connect,
      int servers,
      int subscribers,
      int seconds,
      int count,
      int rate,
      int pingRate,
      int size,
      int window,
      int warmup) {}

  private static final Duration DRAIN = Duration.ofSeconds(10);
  /** After sending, how long to wait for answers and deliveries in all, and without any coming. */
  private static final Duration DRAIN_MAX = Duration.ofSeconds(60);

  private static final Duration STALL = Duration.ofSeconds(5);
  private static final Duration START_LIMIT = Duration.ofSeconds(30);
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration PONG_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_SAMPLES = 1_000_000;

  private final Settings settings;
  private final PrintStream out;
  /** Makes this run's client names unique, should an earlier run's sessions still be held. */
  private final String tag =
      Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36, 36L * 36 * 36 * 36), 36);

  private final List<MessagingClient> open = new ArrayList<>();
  /** Messages sent before this time (System.nanoTime) are checked but not in the latencies. */
  private volatile long measureFrom;

  private final Progress progress;

  private ScenarioBench(Settings settings, PrintStream out, Progress progress) {
    this.settings = settings;
    this.out = out;
    this.progress = progress;
  }

  /** Runs the scenarios: results on {@code out}, how far they have got on {@code progress}. */
  static int run(Settings settings, PrintStream out, Progress progress) {
    return new ScenarioBench(settings, out, progress).run();
  }

  private int run() {
    String cluster = "bench-" + ProcessHandle.current().pid() + "-" + tag;
    ChildServers children = null;
    List<InProcessServer> inProcess = new ArrayList<>();
    try {
      List<InetSocketAddress> addresses;
      if (!settings.connect().isEmpty()) {
        addresses = settings.connect();
        say(
            "Ringleader bench against running servers %s.",
            String.join(
                ", ",
                addresses.stream()
                    .map(a -> a.getHostString() + ":" + a.getPort())
                    .toList()));
      } else {
        int mcastPort;
        try {
          mcastPort = ClusterOptions.freeUdpPort();
        } catch (IOException e) {
          say("FAILED: cannot find a free UDP port on 127.0.0.1: %s", e.getMessage());
          return 1;
        }
        try {
          if (settings.processes()) {
            say(
                "Ringleader bench: starting %d server processes (default settings), cluster '%s',"
                    + " multicast port %d on loopback.",
                settings.servers(), cluster, mcastPort);
            children = ChildServers.start(settings.servers(), cluster, mcastPort);
            ChildServers started = children;
            if (!await(
                    () -> started.ready() || started.exited() != null,
                    START_LIMIT,
                    "the server processes to accept clients")
                || started.exited() != null) {
              showLogs(started);
              return 1;
            }
            addresses = children.addresses();
          } else {
            say(
                "Ringleader bench: %d servers in this process (default settings), cluster '%s',"
                    + " multicast port %d on loopback.",
                settings.servers(), cluster, mcastPort);
            for (int i = 1; i <= settings.servers(); i++) {
              inProcess.add(InProcessServer.start(
                  "server" + i, MessagingNode.builder().clusterName(cluster), mcastPort, 0));
            }
            addresses = new ArrayList<>();
            for (InProcessServer s : inProcess) {
              addresses.add(new InetSocketAddress("127.0.0.1", s.tcp().localPort()));
            }
          }
        } catch (IOException e) {
          say("FAILED: cannot start the servers: %s", e.getMessage());
          return 1;
        }
      }
      long t0 = System.nanoTime();
      NodeId leader = awaitLeader(addresses, settings.connect().isEmpty() ? settings.servers() : 0);
      if (leader == null) {
        if (children != null) {
          showLogs(children);
        }
        return 1;
      }
      say("Servers agree on leader %s (%.1f s).", leader, (System.nanoTime() - t0) / 1e9);
      int status = 0;
      for (String scenario : settings.scenarios()) {
        say("");
        int result;
        switch (scenario) {
          case "fanout":
            result = publish(addresses, false);
            break;
          case "steady":
            result = publish(addresses, true);
            break;
          default:
            result = roundTrips(addresses);
            break;
        }
        closeClients();
        status = Math.max(status, result);
        if (children != null && children.exited() != null) {
          say("FAILED: server process %s ended during the run.", children.exited().id);
          showLogs(children);
          return 1;
        }
      }
      return status;
    } finally {
      closeClients();
      if (children != null) {
        children.close();
        say("Server processes stopped.");
      }
      inProcess.forEach(InProcessServer::stop);
    }
  }

  // ---------------------------------------------------------------- the cluster

  /**
   * Joins a probe client to each server and waits until all of them name the same leader and
   * (when {@code expected} > 0) list {@code expected} servers.
   */
  private @Nullable NodeId awaitLeader(List<InetSocketAddress> addresses, int expected) {
    MessagingClient[] probes = new MessagingClient[addresses.size()];
    // A fresh name for every attempt: a join that timed out on a slow machine may still have
    // succeeded on the server, which then holds that name for its grace period (NAME_TAKEN).
    int[] attempts = new int[addresses.size()];
    long deadline = System.nanoTime() + START_LIMIT.toNanos();
    String last = "no server answered";
    try {
      while (System.nanoTime() - deadline < 0) {
        NodeId agreed = null;
        boolean all = true;
        int size = -1;
        for (int i = 0; i < probes.length; i++) {
          InetSocketAddress a = addresses.get(i);
          if (probes[i] == null) {
            try {
              probes[i] = MessagingClient.connect(
                  a.getHostString(),
                  a.getPort(),
                  "probe" + (i + 1) + "-" + (++attempts[i]) + "." + tag,
                  new ClientSession.Listener() {},
                  Duration.ofSeconds(2));
            } catch (IOException | RuntimeException e) {
              last = a + ": " + e.getMessage();
              all = false;
              continue;
            }
          }
          MessagingClient p = probes[i];
          try {
            p.listServers();
          } catch (IOException e) {
            last = a + ": " + e.getMessage();
          }
          ServerEvent.Servers list = p.servers();
          NodeId leader = list.servers().stream()
              .filter(ServerEvent.ServerInfo::leader)
              .map(ServerEvent.ServerInfo::id)
              .findFirst()
              .orElse(null);
          if (leader == null
              || (agreed != null && !agreed.equals(leader))
              || (expected > 0 && list.servers().size() != expected)
              || (size >= 0 && size != list.servers().size())) {
            last = list.self() + " lists " + list.servers().size() + " servers, leader " + leader;
            all = false;
          } else {
            agreed = leader;
            size = list.servers().size();
          }
        }
        if (all && agreed != null) {
          return agreed;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
      say("FAILED: waited %s for the servers to agree on a leader (%s).", START_LIMIT, last);
      return null;
    } finally {
      for (MessagingClient p : probes) {
        if (p != null) {
          p.close();
        }
      }
    }
  }

  private void join(Peer peer, InetSocketAddress at) throws IOException {
    MessagingClient c =
        MessagingClient.connect(at.getHostString(), at.getPort(), peer.name, peer, JOIN_TIMEOUT);
    synchronized (open) {
      open.add(c);
    }
    peer.connection = c;
    peer.server = c.welcome().server().toString();
  }

  private void closeClients() {
    List<MessagingClient> all;
    synchronized (open) {
      all = new ArrayList<>(open);
      open.clear();
    }
    all.parallelStream().forEach(MessagingClient::close);
  }

  // ---------------------------------------------------------------- fan-out and steady

  /**
   * One publisher on the first server, subscribers spread round-robin from the first server on.
   * Fan-out ({@code steady} false): the publisher sends as fast as the cluster answers, at most
   * {@code window} unanswered; steady: at {@code rate} a second, latency measured from each
   * message's scheduled time (so a stalled publisher shows as latency, not as fewer samples).
   */
  private int publish(List<InetSocketAddress> addresses, boolean steady) {
    String what = steady ? "Steady" : "Fan-out";
    int subs = settings.subscribers();
    int total = steady
        ? (int) Math.min(settings.count(), (long) settings.rate() * settings.seconds())
        : settings.count();
    if (steady) {
      say(
          "%s: 1 publisher, %d subscribers, %d-byte messages, %d/s for %d s (%d messages).",
          what, subs, settings.size(), settings.rate(), settings.seconds(), total);
    } else {
      say(
          "%s: 1 publisher, %d subscribers, %d-byte messages, as fast as accepted (at most %d"
              + " unanswered), up to %d messages or %d s.",
          what, subs, settings.size(), settings.window(), total, settings.seconds());
    }
    Publisher pub = new Publisher((steady ? "spub." : "fpub.") + tag, total);
    List<Subscriber> subscribers = new ArrayList<>();
    LatencyRecorder all = new LatencyRecorder(MAX_SAMPLES);
    LatencyRecorder same = new LatencyRecorder(MAX_SAMPLES);
    LatencyRecorder other = new LatencyRecorder(MAX_SAMPLES);
    try {
      join(pub, addresses.get(0));
      for (int i = 0; i < subs; i++) {
        Subscriber s = new Subscriber((steady ? "ssub" : "fsub") + (i + 1) + "." + tag, total, all);
        join(s, addresses.get(i % addresses.size()));
        s.near = s.server.equals(pub.server) ? same : other;
        subscribers.add(s);
      }
    } catch (IOException | RuntimeException e) {
      say("FAILED: a client could not join: %s", e.getMessage());
      return 1;
    }
    // Warm-up: once every subscriber has the publisher's hello, it has all that follows (one
    // order of broadcasts for all).
    try {
      pub.connection().send("W|" + pub.name);
    } catch (IOException e) {
      say("FAILED: the publisher could not send: %s", e.getMessage());
      return 1;
    }
    if (!await(
        () -> subscribers.stream().allMatch(s -> s.warm),
        DRAIN,
        "every subscriber to hear the publisher")) {
      return 1;
    }

    long start = System.nanoTime();
    measureFrom = start + TimeUnit.SECONDS.toNanos(settings.warmup());
    long end = start + TimeUnit.SECONDS.toNanos(settings.seconds());
    Thread sender = new Thread(
        () -> {
          if (steady) {
            pub.sendSteady(start, end);
          } else {
            pub.sendFlat(end);
          }
        },
        "bench-publisher");
    sender.setDaemon(true);
    sender.start();
    String name = steady ? "steady" : "fanout";
    progress.update(() -> "");
    while (sender.isAlive() && System.nanoTime() - (end + DRAIN.toNanos()) < 0) {
      joinQuietly(sender, 50);
      if (sender.isAlive()) {
        progress.update(() -> {
          long elapsed = System.nanoTime() - start;
          return String.format(
              Locale.ROOT,
              "bench: %s %d s of %d s, %s sent, %s accepted (%s/s so far)," + " %s deliveries",
              name,
              Math.min(elapsed / 1_000_000_000L, settings.seconds()),
              settings.seconds(),
              Progress.count(pub.sentCount.get()),
              Progress.count(pub.accepted.get()),
              Progress.count(Math.round(pub.accepted.get() / Math.max(elapsed / 1e9, 1e-3))),
              Progress.count(deliveries(subscribers)));
        });
      }
    }
    if (sender.isAlive()) {
      say("FAILED: the publisher was still blocked in send() %s after the end.", DRAIN);
      return 1;
    }
    long sendEnd = pub.sendEnd;
    int sent = pub.sentCount.get();
    drain(
        () -> pub.answered() >= sent
            && subscribers.stream().allMatch(s -> s.received() >= pub.accepted.get()),
        () -> pub.answered() + deliveries(subscribers),
        () -> String.format(
            Locale.ROOT,
            "bench: %s draining, %s of %s answered, %s deliveries",
            name,
            Progress.count(pub.answered()),
            Progress.count(sent),
            Progress.count(deliveries(subscribers))));
    long lastAccept = pub.lastAnswerNanos.get();
    long lastDelivery = subscribers.stream().mapToLong(s -> s.lastNanos).max().orElse(start);
    BitSet accepted = pub.acceptedSet();
    BitSet refused = pub.rejectedSet();
    long acc = accepted.cardinality();
    long unanswered = sent - accepted.cardinality() - refused.cardinality();

    say("");
    say(
        "%s report (%s)",
        what, steady ? "latency from each message's scheduled send time" : "send time to delivery");
    if (steady) {
      say(
          "  sending took              %.3f s (target %d s; worst lag behind schedule %.3f ms)",
          (sendEnd - start) / 1e9, settings.seconds(), pub.maxLagNanos / 1e6);
    }
    say(
        "  sent                      %d in %.3f s%s",
        sent,
        (sendEnd - start) / 1e9,
        !steady && sent < total ? " (stopped by the time limit)" : "");
    say(
        "  accepted                  %d (%.1f/s, first send to last answer)",
        acc, acc / Math.max(1e-9, (Math.max(lastAccept, start) - start) / 1e9));
    say(
        "  rejected, unanswered      %d, %d%s",
        refused.cardinality(),
        unanswered,
        pub.rejections.isEmpty() ? "" : " (reasons: " + pub.rejections + ")");
    if (pub.sendErrors.get() > 0) {
      say("  send errors               %d", pub.sendErrors.get());
    }
    long delivered = deliveries(subscribers);
    say("  deliveries                %d (expected %d = %d x %d)", delivered, acc * subs, acc, subs);
    say(
        "  deliveries/s              %.1f (first send to last delivery, %.3f s)",
        delivered / Math.max(1e-9, (lastDelivery - start) / 1e9), (lastDelivery - start) / 1e9);
    say("  latency (ms)              %s%s", all.summary(), warmupNote());
    say("    on the publisher's server %s", same.summary());
    say("    on other servers        %s", other.summary());
    say(
        "  %-22s %-10s %10s %8s %8s %12s %10s",
        "subscriber", "server", "received", "lost", "doubled", "out of order", "unexpected");
    long lost = 0;
    long doubled = 0;
    long reordered = 0;
    long unexpected = 0;
    for (Subscriber s : subscribers) {
      Subscriber.Count c = s.got.count(accepted, refused);
      lost += c.lost();
      doubled += c.doubled();
      reordered += c.reordered();
      unexpected += c.unexpected();
      say(
          "  %-22s %-10s %10d %8d %8d %12d %10d",
          s.name, s.server, c.received(), c.lost(), c.doubled(), c.reordered(), c.unexpected());
    }
    say(
        "  total                                %10d %8d %8d %12d %10d",
        delivered, lost, doubled, reordered, unexpected);
    double acceptedPerSecond = acc / Math.max(1e-9, (Math.max(lastAccept, start) - start) / 1e9);
    if (steady && acceptedPerSecond < 0.9 * settings.rate()) {
      say(
          "  note: the cluster accepted %.0f/s of the %d/s offered; the rest waited in line (see"
              + " the latency)",
          acceptedPerSecond, settings.rate());
    }
    return verdict(
        what,
        lost,
        doubled,
        reordered,
        unexpected,
        unanswered + pub.sendErrors.get(),
        String.format(
            Locale.ROOT,
            "all %d accepted messages reached all %d subscribers once, in order",
            acc,
            subs));
  }

  private String warmupNote() {
    return settings.warmup() == 0
        ? ""
        : ", sent in the first " + settings.warmup() + " s not counted";
  }

  private int verdict(
      String what,
      long lost,
      long doubled,
      long reordered,
      long unexpected,
      long unanswered,
      String ok) {
    if (lost + doubled + reordered + unexpected + unanswered == 0) {
      say("OK %s: %s.", what.toLowerCase(Locale.ROOT), ok);
      return 0;
    }
    say(
        "FAILED %s: lost %d, doubled %d, out of order %d, not accepted but delivered %d, unanswered %d.",
        what.toLowerCase(Locale.ROOT), lost, doubled, reordered, unexpected, unanswered);
    return 1;
  }

  private static long deliveries(List<Subscriber> subscribers) {
    return subscribers.stream().mapToLong(Subscriber::received).sum();
  }

  // ---------------------------------------------------------------- round trips

  /**
   * A client on the first server sends private pings, one at a time and at most {@code pingRate}
   * a second, to a client on the second server, which answers each.
   */
  private int roundTrips(List<InetSocketAddress> addresses) {
    int total = (int) Math.min(settings.count(), (long) settings.pingRate() * settings.seconds());
    say(
        "Round trip: private ping on one server, pong on another, one at a time, at most %d/s for %d s"
            + " (%d pings), %d-byte messages.",
        settings.pingRate(), settings.seconds(), total, settings.size());
    Pinger ping = new Pinger(total);
    Ponger pong = new Ponger(total);
    try {
      join(pong, addresses.get(1 % addresses.size()));
      join(ping, addresses.get(0));
    } catch (IOException | RuntimeException e) {
      say("FAILED: a client could not join: %s", e.getMessage());
      return 1;
    }
    long start = System.nanoTime();
    measureFrom = start + TimeUnit.SECONDS.toNanos(settings.warmup());
    long end = start + TimeUnit.SECONDS.toNanos(settings.seconds());
    long interval = TimeUnit.SECONDS.toNanos(1) / settings.pingRate();
    int sent = 0;
    int timedOut = 0;
    for (int i = 0; i < total && System.nanoTime() - end < 0; i++) {
      long due = start + i * interval;
      long now;
      while ((now = System.nanoTime()) - due < 0) {
        LockSupport.parkNanos(due - now);
      }
      if (!ping.send(pong.name, message('P', i, System.nanoTime()), i)) {
        say("  ping %d could not be sent; stopping", i);
        break;
      }
      sent++;
      try {
        if (!ping.answers.tryAcquire(PONG_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
          timedOut++;
          say("  ping %d: no answer within %s; stopping", i, PONG_TIMEOUT);
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      progress.update(() -> String.format(
          Locale.ROOT,
          "bench: rtt %d s of %d s, %s round trips",
          Math.min((System.nanoTime() - start) / 1_000_000_000L, settings.seconds()),
          settings.seconds(),
          Progress.count(ping.got.received)));
    }
    long sendEnd = System.nanoTime();
    int pings = sent;
    drain(
        () -> ping.answered() >= pings && pong.answered() >= pong.got.received(),
        () -> ping.answered() + pong.answered(),
        () -> String.format(
            Locale.ROOT,
            "bench: rtt draining, %s of %s pings answered",
            Progress.count(ping.answered()),
            Progress.count(pings)));
    Subscriber.Count atPong = pong.got.count(ping.acceptedSet(), ping.rejectedSet());
    Subscriber.Count atPing = ping.got.count(pong.acceptedSet(), pong.rejectedSet());
    say("");
    say("Round trip report (%s -> %s -> %s)", ping.server, pong.server, ping.server);
    say(
        "  round trips               %d of %d pings in %.3f s (%.1f/s)",
        ping.got.received,
        pings,
        (sendEnd - start) / 1e9,
        ping.got.received / Math.max(1e-9, (sendEnd - start) / 1e9));
    say(
        "  rejected                  %d pings, %d pongs%s",
        ping.rejected.get(),
        pong.rejected.get(),
        ping.rejections.isEmpty() && pong.rejections.isEmpty()
            ? ""
            : " (reasons: " + ping.rejections + " " + pong.rejections + ")");
    say("  RTT (ms)                  %s%s", ping.latency.summary(), warmupNote());
    say(
        "  pings at %-16s received %d, lost %d, doubled %d, out of order %d",
        pong.name, atPong.received(), atPong.lost(), atPong.doubled(), atPong.reordered());
    say(
        "  pongs at %-16s received %d, lost %d, doubled %d, out of order %d",
        ping.name, atPing.received(), atPing.lost(), atPing.doubled(), atPing.reordered());
    return verdict(
        "round trip",
        atPong.lost() + atPing.lost(),
        atPong.doubled() + atPing.doubled(),
        atPong.reordered() + atPing.reordered(),
        atPong.unexpected() + atPing.unexpected(),
        (pings - ping.answered())
            + (pong.got.received() - pong.answered())
            + timedOut
            + pong.sendErrors.get(),
        String.format(Locale.ROOT, "all %d pings answered once, in order", pings));
  }

  // ---------------------------------------------------------------- clients

  private String message(char kind, int seq, long nanos) {
    StringBuilder text = new StringBuilder()
        .append(kind)
        .append('|')
        .append(seq)
        .append('|')
        .append(nanos)
        .append('|');
    while (text.length() < settings.size()) {
      text.append('.');
    }
    return text.toString();
  }

  /** Parses {@code K|seq|nanos|...}: the kind, or 0 if the text is not a bench message. */
  private static long[] parse(String text) {
    int second = text.indexOf('|', 2);
    int third = second < 0 ? -1 : text.indexOf('|', second + 1);
    if (text.length() < 2 || text.charAt(1) != '|' || third < 0) {
      return new long[0];
    }
    try {
      return new long[] {
        Long.parseLong(text, 2, second, 10), Long.parseLong(text, second + 1, third, 10)
      };
    } catch (NumberFormatException e) {
      return new long[0];
    }
  }

  /** A client of the bench: its connection and, for one that sends, what its sends came to. */
  private class Peer implements ClientSession.Listener {
    final String name;
    volatile @Nullable MessagingClient connection;
    volatile String server = "?";
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong sendErrors = new AtomicLong();
    final AtomicLong lastAnswerNanos = new AtomicLong();
    final ConcurrentHashMap<String, Long> rejections = new ConcurrentHashMap<>();
    /** SDK number → the bench's sequence number, or the answer when it came first (see #sent). */
    private final ConcurrentHashMap<Long, Long> pending = new ConcurrentHashMap<>();

    private final BitSet acceptedSet = new BitSet();
    private final BitSet rejectedSet = new BitSet();

    Peer(String name) {
      this.name = name;
    }

    MessagingClient connection() {
      MessagingClient c = connection;
      if (c == null) {
        throw new IllegalStateException(name + " is not connected");
      }
      return c;
    }

    long answered() {
      return accepted.get() + rejected.get();
    }

    synchronized BitSet acceptedSet() {
      return (BitSet) acceptedSet.clone();
    }

    synchronized BitSet rejectedSet() {
      return (BitSet) rejectedSet.clone();
    }

    /** Sends {@code text} (to {@code to}, or to all) as the bench's message {@code seq}. */
    boolean send(@Nullable String to, String text, int seq) {
      try {
        sent(connection().send(to, text), seq);
        return true;
      } catch (IOException | RuntimeException e) {
        sendErrors.incrementAndGet();
        return false;
      }
    }

    private void sent(long sdkSeq, long seq) {
      Long answer = pending.putIfAbsent(sdkSeq, seq);
      if (answer != null) {
        pending.remove(sdkSeq);
        settle(seq, answer == ACCEPTED);
      }
    }

    private void answered(long sdkSeq, boolean ok) {
      lastAnswerNanos.accumulateAndGet(System.nanoTime(), Math::max);
      Long seq = pending.putIfAbsent(sdkSeq, ok ? ACCEPTED : REJECTED);
      if (seq != null) {
        pending.remove(sdkSeq);
        settle(seq, ok);
      }
    }

    private void settle(long seq, boolean ok) {
      if (ok) {
        synchronized (this) {
          acceptedSet.set((int) seq);
        }
        accepted.incrementAndGet();
      } else {
        synchronized (this) {
          rejectedSet.set((int) seq);
        }
        rejected.incrementAndGet();
      }
    }

    @Override
    public void onAccepted(long sdkSeq) {
      answered(sdkSeq, true);
    }

    @Override
    public void onRejected(ServerEvent.Rejected r) {
      rejections.merge(r.code().name(), 1L, Long::sum);
      answered(r.seq(), false);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      boolean ours;
      synchronized (open) {
        ours = open.contains(connection);
      }
      if (ours) {
        say("  %s was disconnected%s", name, reason == null ? "" : ": " + reason);
      }
    }
  }

  private static final long ACCEPTED = -1;
  private static final long REJECTED = -2;

  private final class Publisher extends Peer {
    final int total;
    final java.util.concurrent.atomic.AtomicInteger sentCount =
        new java.util.concurrent.atomic.AtomicInteger();
    volatile long sendEnd;
    volatile long maxLagNanos;

    Publisher(String name, int total) {
      super(name);
      this.total = total;
    }

    /** As fast as answers come back, never more than {@code window} unanswered; backs off after a refusal. */
    void sendFlat(long end) {
      long rejectedSeen = 0;
      for (int seq = 0; seq < total; seq++) {
        while (sentCount.get() - answered() >= settings.window()) {
          if (System.nanoTime() - end >= 0) {
            sendEnd = System.nanoTime();
            return;
          }
          LockSupport.parkNanos(20_000);
        }
        if (rejected.get() > rejectedSeen) {
          // Refused (BUSY, say): let half the window drain before going on.
          rejectedSeen = rejected.get();
          while (sentCount.get() - answered() > settings.window() / 2
              && System.nanoTime() - end < 0) {
            LockSupport.parkNanos(100_000);
          }
        }
        long now = System.nanoTime();
        if (now - end >= 0) {
          break;
        }
        if (!send(null, message('F', seq, now), seq)) {
          break;
        }
        sentCount.incrementAndGet();
      }
      sendEnd = System.nanoTime();
    }

    /** At a fixed rate; each message carries its scheduled time. */
    void sendSteady(long start, long end) {
      long interval = TimeUnit.SECONDS.toNanos(1) / settings.rate();
      long lag = 0;
      for (int seq = 0; seq < total; seq++) {
        long due = start + seq * interval;
        long now;
        while ((now = System.nanoTime()) - due < 0) {
          LockSupport.parkNanos(due - now);
        }
        if (now - (end + DRAIN.toNanos()) >= 0) {
          break; // hopelessly behind: stop, and say so (sent < total)
        }
        lag = Math.max(lag, now - due);
        if (!send(null, message('S', seq, due), seq)) {
          break;
        }
        sentCount.incrementAndGet();
      }
      maxLagNanos = lag;
      sendEnd = System.nanoTime();
    }
  }

  /** Receives a publisher's broadcasts: what arrived, twice, out of order; latency. */
  private final class Subscriber extends Peer {
    record Count(long received, long lost, long doubled, long reordered, long unexpected) {}

    final Tracker got;
    private final LatencyRecorder all;
    /** Latency of subscribers on the publisher's server, or of those on others. */
    volatile LatencyRecorder near;

    volatile boolean warm;
    volatile long lastNanos;

    Subscriber(String name, int total, LatencyRecorder all) {
      super(name);
      got = new Tracker(total);
      this.all = all;
      this.near = all;
    }

    long received() {
      return got.received();
    }

    @Override
    public void onMessage(ServerEvent.Message m) {
      long now = System.nanoTime();
      String text = m.text();
      if (text.startsWith("W|")) {
        warm = true;
        return;
      }
      char kind = text.isEmpty() ? ' ' : text.charAt(0);
      long[] f = parse(text);
      if (f.length == 0 || m.to() != null || (kind != 'F' && kind != 'S')) {
        return;
      }
      got.saw(f[0]);
      if (f[1] - measureFrom >= 0) {
        all.record(now - f[1]);
        near.record(now - f[1]);
      }
      lastNanos = now;
    }
  }

  /** Sends pings, and takes the pongs: round-trip times from the time each ping was sent. */
  private final class Pinger extends Peer {
    final Tracker got;
    final Semaphore answers = new Semaphore(0);
    final LatencyRecorder latency = new LatencyRecorder(MAX_SAMPLES);

    Pinger(int total) {
      super("ping." + tag);
      got = new Tracker(total);
    }

    @Override
    public void onMessage(ServerEvent.Message m) {
      long now = System.nanoTime();
      long[] f = parse(m.text());
      if (f.length == 0 || !m.text().startsWith("Q|") || !name.equals(m.to())) {
        return;
      }
      got.saw(f[0]);
      if (f[1] - measureFrom >= 0) {
        latency.record(now - f[1]);
      }
      answers.release();
    }
  }

  /** Answers each ping with a pong carrying the ping's number and time. */
  private final class Ponger extends Peer {
    final Tracker got;

    Ponger(int total) {
      super("pong." + tag);
      got = new Tracker(total);
    }

    @Override
    public void onMessage(ServerEvent.Message m) {
      long[] f = parse(m.text());
      if (f.length == 0 || !m.text().startsWith("P|") || !name.equals(m.to())) {
        return;
      }
      got.saw(f[0]);
      send(m.from(), "Q" + m.text().substring(1), (int) f[0]);
    }
  }

  /** One receiver's record of one sender's sequence numbers. */
  private static final class Tracker {
    private final BitSet seen;
    private long received;
    private long doubled;
    private long reordered;
    private long highest = -1;

    Tracker(int total) {
      seen = new BitSet(total);
    }

    synchronized void saw(long seq) {
      received++;
      if (seq < 0 || seq > Integer.MAX_VALUE) {
        return;
      }
      if (seen.get((int) seq)) {
        doubled++;
        return;
      }
      seen.set((int) seq);
      if (seq < highest) {
        reordered++;
      }
      highest = Math.max(highest, seq);
    }

    synchronized long received() {
      return received;
    }

    /**
     * Against what the cluster answered: lost (accepted, not received) and unexpected (rejected,
     * yet received).
     */
    synchronized Subscriber.Count count(BitSet accepted, BitSet rejected) {
      BitSet lost = (BitSet) accepted.clone();
      lost.andNot(seen);
      BitSet unexpected = (BitSet) seen.clone();
      unexpected.and(rejected);
      return new Subscriber.Count(
          received, lost.cardinality(), doubled, reordered, unexpected.cardinality());
    }
  }

  // ---------------------------------------------------------------- helpers

  private static void joinQuietly(Thread t, long millis) {
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until {@code done}, while {@code progress} keeps moving: at most {@link #DRAIN_MAX}, and
   * gives up after {@link #STALL} without progress; reports once a second.
   */
  private void drain(
      BooleanSupplier done, java.util.function.LongSupplier moved, Supplier<String> report) {
    long start = System.nanoTime();
    long lastMove = start;
    long last = moved.getAsLong();
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now - start > DRAIN_MAX.toNanos()) {
        say("  gave up waiting after %s: counting what has come", DRAIN_MAX);
        return;
      }
      if (now - lastMove > STALL.toNanos()) {
        say("  nothing answered or delivered for %s: counting what has come", STALL);
        return;
      }
      progress.update(report);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      long p = moved.getAsLong();
      if (p != last) {
        last = p;
        lastMove = System.nanoTime();
      }
    }
  }

  private boolean await(BooleanSupplier condition, Duration limit, String what) {
    if (Waiting.until(condition, limit, 10)) {
      return true;
    }
    say("FAILED: waited %s for %s.", limit, what);
    return false;
  }

  private void showLogs(ChildServers servers) {
    for (ChildServers.Child c : servers.children()) {
      say(
          "--- %s (%s), last lines:",
          c.id, c.process.isAlive() ? "running" : "exited " + c.process.exitValue());
      say("%s", c.tail(20));
    }
  }

  /** Prints a line of the results on standard output, taking the progress line off the screen first. */
  private synchronized void say(String format, @Nullable Object... args) {
    progress.clear();
    out.println(String.format(Locale.ROOT, format, Durations.humanArgs(args)));
    out.flush();
  }
}
