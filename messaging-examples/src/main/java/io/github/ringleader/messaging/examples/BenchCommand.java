package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code bench}: a load generator. Starts servers in this process over real UDP multicast on the
 * loopback interface, connects clients over TCP, sends broadcasts at a fixed total rate (plus a
 * private ping/pong round trip every 10th message), and reports throughput and latency.
 */
final class BenchCommand {
  static final String USAGE =
      "usage: java -jar messaging-examples.jar bench [--scenario <name>] [options]\n"
          + "\n"
          + "Measures a cluster on this machine: every client runs in this process, the servers in\n"
          + "this process, in child processes (--processes) or wherever they already run (--connect).\n"
          + "Exits 0 when nothing accepted was lost or doubled, 1 otherwise, 2 for a bad command line.\n"
          + "\n"
          + "scenarios (--scenario):\n"
          + "  mixed    the default without --processes/--connect: servers in this process (250 ms\n"
          + "           heartbeats), --clients clients, broadcasts at --rate from rotating clients\n"
          + "           and a private ping/pong round trip with every 10th\n"
          + "  fanout   one publisher (on the first server) sends as fast as the cluster accepts, at\n"
          + "           most --window unanswered, up to --count messages or --seconds; --subscribers\n"
          + "           (default 2 per server) receive; reports accepted/s, deliveries/s, latency,\n"
          + "           and per subscriber lost, doubled and out-of-order messages\n"
          + "  steady   one publisher at --rate (default 5000/s) for --seconds; latency p50, p99,\n"
          + "           p99.9, max from each message's scheduled time, on the publisher's server and\n"
          + "           on the others; lost, doubled, out of order per subscriber\n"
          + "  rtt      a client on the first server pings one on the second, which answers; one at\n"
          + "           a time, at most --ping-rate a second; round-trip p50, p99, p99.9, max\n"
          + "  all      fanout, steady, then rtt (the default with --processes or --connect)\n"
          + "\n"
          + "where the servers run (fanout, steady, rtt, all):\n"
          + "  --processes                start --servers child processes of this jar's 'server'\n"
          + "                             command (default settings, free loopback ports, a cluster\n"
          + "                             of their own), wait for a leader, stop them at the end\n"
          + "  --connect <host:port,...>  use servers already running (a leader agreed); the\n"
          + "                             publisher and the pinging client join the first\n"
          + "  (neither)                  --servers servers in this process, default settings\n"
          + "\n"
          + "options:\n"
          + "  --servers <n>              servers to start (default 3, 1..9)\n"
          + "  --seconds <n>              how long to send, per scenario (default 10, 1..120)\n"
          + "  --rate <n>                 broadcasts per second: mixed (default 200, 1..5000),\n"
          + "                             steady (default 5000, 1..1000000)\n"
          + "  --size <bytes>             bytes of each message text (default 100 for mixed, 128\n"
          + "                             otherwise; 48..4096)\n"
          + "  --clients <n>              mixed: clients to connect (default 30, 1..1000)\n"
          + "  --subscribers <n>          fanout, steady: subscribers, spread round-robin over the\n"
          + "                             servers (default 2 per server, 1..1000)\n"
          + "  --count <n>                fanout, steady, rtt: most messages (pings) to send\n"
          + "                             (default 1000000; 1..10000000)\n"
          + "  --window <n>               fanout: most sends left unanswered (default 1000, 1..100000);\n"
          + "                             the bench's own bound, the servers apply theirs\n"
          + "  --ping-rate <n>            rtt: most round trips a second (default 500, 1..100000)\n"
          + "  --warmup <n>               fanout, steady, rtt: leave what is sent in the first <n>\n"
          + "                             seconds out of the latencies (still checked; default 0)\n"
          + "  --help                     show this help\n";

  private static final int MISSED = 3;
  private static final Duration HEARTBEAT = Duration.ofMillis(250);
  private static final int PING_EVERY = 10;
  private static final int MAX_SAMPLES = 1_000_000;

  private final PrintStream out;
  private final int servers;
  private final int clientCount;
  private final int seconds;
  private Progress progress = new Progress(System.err, false, System::nanoTime);
  private final int rate;
  private final int size;
  private final int port;
  private final String cluster = "bench-" + ProcessHandle.current().pid();

  private final List<InProcessServer> running = new ArrayList<>();
  private final List<Client> clients = new ArrayList<>();

  /** Broadcasts by id: deliveries so far, and what the server answered. */
  private final AtomicIntegerArray deliveries;

  private final AtomicIntegerArray outcome; // 0 unknown, 1 accepted, 2 rejected

  private final AtomicLong totalDeliveries = new AtomicLong();
  private final AtomicLong lastDeliveryNanos = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong privateAccepted = new AtomicLong();
  private final AtomicLong privateRejected = new AtomicLong();
  private final AtomicLong pingsSent = new AtomicLong();
  private final AtomicLong pongsReceived = new AtomicLong();
  private final AtomicLong sendErrors = new AtomicLong();
  private final AtomicLong warmups = new AtomicLong();
  private final ConcurrentHashMap<String, Long> rejections = new ConcurrentHashMap<>();
  private final LatencyRecorder broadcastLatency = new LatencyRecorder(MAX_SAMPLES);
  private final LatencyRecorder privateRtt = new LatencyRecorder(MAX_SAMPLES);
  private volatile boolean finished;

  private BenchCommand(
      PrintStream out, int servers, int clients, int seconds, int rate, int size, int port) {
    this.out = out;
    this.servers = servers;
    this.clientCount = clients;
    this.seconds = seconds;
    this.rate = rate;
    this.size = size;
    this.port = port;
    int total = Math.multiplyExact(rate, seconds);
    this.deliveries = new AtomicIntegerArray(total);
    this.outcome = new AtomicIntegerArray(total);
  }

  private static final List<String> SCENARIOS = List.of("mixed", "fanout", "steady", "rtt", "all");

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    int servers = 3;
    int clients = 30;
    int seconds = 10;
    String rateText = null;
    Integer sizeOption = null;
    String scenario = null;
    boolean processes = false;
    List<InetSocketAddress> connect = List.of();
    Integer subscribers = null;
    int count = 1_000_000;
    int window = 1000;
    int pingRate = 500;
    int warmup = 0;
    List<String> scenarioOnly = new ArrayList<>();
    List<String> mixedOnly = new ArrayList<>();
    int rate;
    int size;
    try {
      Iterator<String> it = args.iterator();
      while (it.hasNext()) {
        String arg = it.next();
        switch (arg) {
          case "--scenario":
            scenario = ClusterOptions.value(arg, it);
            if (!SCENARIOS.contains(scenario)) {
              throw new UsageException(
                  "--scenario must be one of mixed, fanout, steady, rtt, all, was \"" + scenario
                      + "\"");
            }
            break;
          case "--processes":
            processes = true;
            scenarioOnly.add(arg);
            break;
          case "--connect":
            connect = addresses(ClusterOptions.value(arg, it));
            scenarioOnly.add(arg);
            break;
          case "--servers":
            servers = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 9);
            break;
          case "--clients":
            clients = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 1000);
            mixedOnly.add(arg);
            break;
          case "--seconds":
            seconds = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 120);
            break;
          case "--rate":
            rateText = ClusterOptions.value(arg, it);
            break;
          case "--size":
            sizeOption = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 48, 4096);
            break;
          case "--subscribers":
            subscribers = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 1000);
            scenarioOnly.add(arg);
            break;
          case "--count":
            count = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 10_000_000);
            scenarioOnly.add(arg);
            break;
          case "--window":
            window = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 100_000);
            scenarioOnly.add(arg);
            break;
          case "--warmup":
            warmup = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 0, 119);
            scenarioOnly.add(arg);
            break;
          case "--ping-rate":
            pingRate = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 100_000);
            scenarioOnly.add(arg);
            break;
          default:
            throw new UsageException("unknown option " + arg);
        }
      }
      if (processes && !connect.isEmpty()) {
        throw new UsageException(
            "--processes starts servers, --connect uses running ones: give one of them");
      }
      if (scenario == null) {
        scenario = processes || !connect.isEmpty() ? "all" : "mixed";
      }
      boolean mixed = scenario.equals("mixed");
      if (mixed && !scenarioOnly.isEmpty()) {
        throw new UsageException(scenarioOnly.get(0)
            + " applies to --scenario fanout, steady, rtt or all, not to mixed");
      }
      if (!mixed && !mixedOnly.isEmpty()) {
        throw new UsageException(mixedOnly.get(0)
            + " applies to --scenario mixed only (fanout and steady take --subscribers)");
      }
      rate = rateText == null
          ? (mixed ? 200 : 5000)
          : ClusterOptions.integer("--rate", rateText, 1, mixed ? 5000 : 1_000_000);
      size = sizeOption != null ? sizeOption : mixed ? 100 : 128;
      if (warmup >= seconds) {
        throw new UsageException(
            "--warmup must be shorter than --seconds (" + seconds + "), was " + warmup);
      }
      if (!mixed) {
        int where = connect.isEmpty() ? servers : connect.size();
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        List<String> run =
            scenario.equals("all") ? List.of("fanout", "steady", "rtt") : List.of(scenario);
        return ScenarioBench.run(
            new ScenarioBench.Settings(
                run,
                processes,
                connect,
                servers,
                subscribers != null ? subscribers : 2 * where,
                seconds,
                count,
                rate,
                pingRate,
                size,
                window,
                warmup),
            out,
            progressOn(err));
      }
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int port;
    try {
      port = ClusterOptions.freeUdpPort();
    } catch (IOException e) {
      err.println(
          "error: cannot find a free UDP port on 127.0.0.1: " + String.valueOf(e.getMessage()));
      return 1;
    }
    BenchCommand bench = new BenchCommand(out, servers, clients, seconds, rate, size, port);
    bench.progress = progressOn(err);
    try {
      return bench.play();
    } finally {
      bench.stopAll();
    }
  }

  /** Parses {@code host:port,host:port,...}. */
  static List<InetSocketAddress> addresses(String text) throws UsageException {
    List<InetSocketAddress> list = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String p = part.trim();
      int colon = p.lastIndexOf(':');
      if (colon <= 0 || colon == p.length() - 1) {
        throw new UsageException("--connect takes host:port[,host:port...], was \"" + text + "\"");
      }
      int port = ClusterOptions.integer("--connect port", p.substring(colon + 1), 1, 65535);
      list.add(InetSocketAddress.createUnresolved(p.substring(0, colon), port));
    }
    return List.copyOf(list);
  }

  private int play() {
    say(
        "Ringleader bench: %d servers over UDP multicast %s:%d (loopback), cluster '%s'.",
        servers, UdpTransportConfig.DEFAULT_GROUP, port, cluster);
    say(
        "%d clients, %d s at %d broadcasts/s (%d in all), %d-byte texts, a private round trip"
            + " every %dth.",
        clientCount, seconds, rate, rate * seconds, size, PING_EVERY);
    try {
      for (int i = 1; i <= servers; i++) {
        start("server" + i);
      }
    } catch (IOException e) {
      say("FAILED: cannot start the servers: %s", String.valueOf(e.getMessage()));
      return 1;
    }
    if (!await(this::agreed, Duration.ofSeconds(15), "the servers to agree on a leader")) {
      return 1;
    }
    say("Servers agree on leader %s.", String.valueOf(running.get(0).node().leader()));
    for (int i = 0; i < clientCount; i++) {
      String name = "b" + (i + 1);
      InProcessServer server = running.get(i % servers);
      Client client = new Client(name);
      try {
        client.connection = MessagingClient.connect(
            "127.0.0.1", server.tcp().localPort(), name, client, Duration.ofSeconds(5));
      } catch (IOException | RuntimeException e) {
        say(
            "FAILED: %s could not join through %s: %s",
            name, server.id(), String.valueOf(e.getMessage()));
        return 1;
      }
      clients.add(client);
    }
    say("%d clients connected.", clientCount);
    // Warm up: every client broadcasts once; when everyone has everything, the cluster knows them
    // all.
    for (Client c : clients) {
      try {
        c.connection().send("W|" + c.name);
      } catch (IOException e) {
        say("FAILED: %s could not send: %s", c.name, String.valueOf(e.getMessage()));
        return 1;
      }
    }
    long warmupsExpected = (long) clientCount * clientCount;
    if (!await(
        () -> warmups.get() >= warmupsExpected,
        Duration.ofSeconds(15),
        "every client to hear every other client's hello")) {
      return 1;
    }
    say("Warm-up done; sending for %d s.", seconds);

    int total = rate * seconds;
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
    long start = System.nanoTime();
    long maxLagNanos = 0;
    progress.update(() -> "");
    for (int id = 0; id < total; id++) {
      long due = start + id * intervalNanos;
      long now;
      while ((now = System.nanoTime()) < due) {
        LockSupport.parkNanos(Math.min(due - now, Progress.TERMINAL_EVERY_NANOS));
      }
      long elapsed = now - start;
      progress.update(() -> String.format(
          Locale.ROOT,
          "bench: %d s of %d s, %s accepted (%s/s so far), %s" + " deliveries",
          Math.min(elapsed / 1_000_000_000L, seconds),
          seconds,
          Progress.count(accepted.get()),
          Progress.count(Math.round(accepted.get() / Math.max(elapsed / 1e9, 1e-3))),
          Progress.count(totalDeliveries.get())));
      maxLagNanos = Math.max(maxLagNanos, now - due);
      Client sender = clients.get(id % clientCount);
      sender.sendBroadcast(id);
      if (id % PING_EVERY == PING_EVERY - 1 && clientCount > 1) {
        Client to = clients.get((id + 1 + id / PING_EVERY % (clientCount - 1)) % clientCount);
        if (to == sender) {
          to = clients.get((id + 1) % clientCount);
        }
        sender.sendPing(to.name, id);
      }
    }
    long sendEnd = System.nanoTime();
    long expected = (long) total * clientCount;
    await(
        () -> accepted.get() + rejected.get() + sendErrors.get() >= total
            && totalDeliveries.get() >= (long) accepted.get() * clientCount
            && pongsReceived.get() + privateRejected.get() >= pingsSent.get(),
        Duration.ofSeconds(10),
        "every message to be answered and delivered");
    finished = true;
    long lastDelivery = lastDeliveryNanos.get();
    double elapsed = Math.max(sendEnd, lastDelivery) - start;
    long delivered = totalDeliveries.get();

    int missing = 0;
    long missingDeliveries = 0;
    int unanswered = 0;
    for (int id = 0; id < total; id++) {
      int o = outcome.get(id);
      if (o == 0) {
        unanswered++;
      }
      if (o == 1 && deliveries.get(id) < clientCount) {
        missing++;
        missingDeliveries += clientCount - deliveries.get(id);
      }
    }

    say("");
    say("Report");
    say("  servers, clients          %d, %d", servers, clientCount);
    say(
        "  sending took              %.3f s (target %d s; worst lag behind schedule %.3f ms)",
        (sendEnd - start) / 1e9, seconds, maxLagNanos / 1e6);
    say("  broadcasts sent           %d", total);
    say("  accepted                  %d", accepted.get());
    say(
        "  rejected                  %d%s",
        rejected.get(),
        rejections.isEmpty() ? "" : " (reasons, private texts included: " + rejections + ")");
    if (sendErrors.get() > 0 || unanswered > 0) {
      say("  send errors, unanswered   %d, %d", sendErrors.get(), unanswered);
    }
    say(
        "  deliveries                %d (expected %d = %d x %d)",
        delivered, expected, total, clientCount);
    say(
        "  delivered/s               %.1f (over %.3f s, first send to last delivery)",
        delivered / (elapsed / 1e9), elapsed / 1e9);
    say(
        "  private round trips       %d sent, %d accepted, %d rejected, %d answered",
        pingsSent.get(), privateAccepted.get(), privateRejected.get(), pongsReceived.get());
    say("  broadcast latency (ms)    %s", broadcastLatency.summary());
    say("  private RTT (ms)          %s", privateRtt.summary());
    if (missing > 0) {
      say(
          "FAILED: %d accepted broadcasts did not reach every client (%d deliveries missing).",
          missing, missingDeliveries);
      return 1;
    }
    if (unanswered > 0) {
      say(
          "FAILED: %d broadcasts got no answer from their server (%d could not be sent).",
          unanswered, sendErrors.get());
      return 1;
    }
    say("OK: every accepted broadcast reached all %d clients.", clientCount);
    return 0;
  }

  private void start(String id) throws IOException {
    running.add(InProcessServer.start(
        id,
        MessagingNode.builder()
            .clusterName(cluster)
            .heartbeatInterval(HEARTBEAT)
            .missedHeartbeats(MISSED)
            .capacity(clientCount),
        port,
        0));
  }

  private boolean agreed() {
    NodeId leader = running.get(0).node().leader();
    if (leader == null) {
      return false;
    }
    for (InProcessServer s : running) {
      if (!leader.equals(s.node().leader()) || s.node().view().members().size() != running.size()) {
        return false;
      }
    }
    return true;
  }

  private void stopAll() {
    finished = true;
    clients.parallelStream().forEach(c -> {
      MessagingClient m = c.connection;
      if (m != null) {
        m.close();
      }
    });
    clients.clear();
    running.forEach(InProcessServer::stop);
    running.clear();
  }

  private boolean await(BooleanSupplier condition, Duration limit, String what) {
    if (Waiting.until(condition, limit, 10)) {
      return true;
    }
    say("FAILED: waited %s for %s.", limit, what);
    return false;
  }

  /**
   * Progress on {@code err}: a line kept up to date if it is this process's standard error and
   * that is a terminal, else plain lines every few seconds.
   */
  static Progress progressOn(PrintStream err) {
    return new Progress(err, err == System.err && Progress.isTerminal(), System::nanoTime);
  }

  private synchronized void say(String format, Object... args) {
    progress.clear();
    out.println(String.format(Locale.ROOT, format, Durations.humanArgs(args)));
    out.flush();
  }

  private String pad(StringBuilder text) {
    while (text.length() < size) {
      text.append('.');
    }
    return text.toString();
  }

  /** Ties a send's number to what it was, whichever of the send or its answer comes first. */
  private static final long ANSWER_ACCEPTED = -1;

  private static final long ANSWER_REJECTED = -2;

  private static final long PING = Long.MIN_VALUE;

  private static final long PONG = Long.MIN_VALUE + 1;

  /** One client: its connection, and the listener that measures what arrives. */
  private final class Client implements ClientSession.Listener {
    final String name;
    volatile @Nullable MessagingClient connection;

    /**
     * seq → what was sent (id ≥ 0 for a broadcast, {@link #PING} or {@link #PONG}),
     * or the answer (negative) when it came before the sender recorded the send.
     */
    private final ConcurrentHashMap<Long, Long> pending = new ConcurrentHashMap<>();

    Client(String name) {
      this.name = name;
    }

    MessagingClient connection() {
      MessagingClient c = connection;
      if (c == null) {
        throw new IllegalStateException(name + " is not connected");
      }
      return c;
    }

    void sendBroadcast(int id) {
      String text = pad(new StringBuilder("B|")
          .append(id)
          .append('|')
          .append(System.nanoTime())
          .append('|'));
      try {
        long seq = connection().send(text);
        sent(seq, id);
      } catch (IOException | RuntimeException e) {
        sendErrors.incrementAndGet();
      }
    }

    void sendPing(String to, int id) {
      String text = pad(new StringBuilder("P|")
          .append(id)
          .append('|')
          .append(System.nanoTime())
          .append('|'));
      try {
        long seq = connection().send(to, text);
        pingsSent.incrementAndGet();
        sent(seq, PING);
      } catch (IOException | RuntimeException e) {
        sendErrors.incrementAndGet();
      }
    }

    private void sent(long seq, long what) {
      Long answer = pending.putIfAbsent(seq, what);
      if (answer != null) {
        pending.remove(seq);
        settle(what, answer == ANSWER_ACCEPTED);
      }
    }

    private void answered(long seq, boolean ok, @Nullable String reason) {
      Long what = pending.putIfAbsent(seq, ok ? ANSWER_ACCEPTED : ANSWER_REJECTED);
      if (what != null) {
        pending.remove(seq);
        settle(what, ok);
      }
      if (!ok && reason != null) {
        rejections.merge(reason, 1L, Long::sum);
      }
    }

    private void settle(long what, boolean ok) {
      if (what == PING) {
        (ok ? privateAccepted : privateRejected).incrementAndGet();
      } else if (what >= 0) {
        outcome.set((int) what, ok ? 1 : 2);
        (ok ? accepted : rejected).incrementAndGet();
      }
    }

    @Override
    public void onAccepted(long seq) {
      answered(seq, true, null);
    }

    @Override
    public void onRejected(ServerEvent.Rejected r) {
      answered(r.seq(), false, r.code().name());
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      long now = System.nanoTime();
      String text = message.text();
      if (text.length() < 2 || text.charAt(1) != '|') {
        return;
      }
      char kind = text.charAt(0);
      if (kind == 'W') {
        warmups.incrementAndGet();
        return;
      }
      int second = text.indexOf('|', 2);
      int third = second < 0 ? -1 : text.indexOf('|', second + 1);
      if (third < 0) {
        return;
      }
      long sentAt;
      int id;
      try {
        id = Integer.parseInt(text, 2, second, 10);
        sentAt = Long.parseLong(text, second + 1, third, 10);
      } catch (NumberFormatException e) {
        return;
      }
      if (kind == 'B' && message.to() == null) {
        if (id >= 0 && id < deliveries.length()) {
          deliveries.incrementAndGet(id);
        }
        totalDeliveries.incrementAndGet();
        lastDeliveryNanos.accumulateAndGet(now, Math::max);
        broadcastLatency.record(now - sentAt);
      } else if (kind == 'P' && name.equals(message.to()) && !name.equals(message.from())) {
        MessagingClient c = connection;
        if (c == null) {
          return;
        }
        try {
          long seq = c.send(message.from(), "Q" + text.substring(1));
          sent(seq, PONG);
        } catch (IOException | RuntimeException e) {
          sendErrors.incrementAndGet();
        }
      } else if (kind == 'Q' && name.equals(message.to()) && !name.equals(message.from())) {
        pongsReceived.incrementAndGet();
        privateRtt.record(now - sentAt);
      }
    }

    @Override
    public void onClosed(@Nullable String reason) {
      if (!finished) {
        say("  %s was disconnected%s", name, reason == null ? "" : ": " + reason);
      }
    }
  }

  /**
   * Latencies in nanoseconds: an exact count and maximum, and up to {@code capacity} samples for
   * the percentiles (a uniform reservoir once there are more).
   */
  static final class LatencyRecorder {
    private final long[] samples;
    private long count;
    private long max;

    LatencyRecorder(int capacity) {
      samples = new long[capacity];
    }

    synchronized void record(long nanos) {
      long n = count++;
      max = Math.max(max, nanos);
      if (n < samples.length) {
        samples[(int) n] = nanos;
      } else {
        long slot = ThreadLocalRandom.current().nextLong(n + 1);
        if (slot < samples.length) {
          samples[(int) slot] = nanos;
        }
      }
    }

    synchronized String summary() {
      if (count == 0) {
        return "no samples";
      }
      long[] sorted = Arrays.copyOf(samples, (int) Math.min(count, samples.length));
      Arrays.sort(sorted);
      return String.format(
          Locale.ROOT,
          "p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%d samples)",
          percentile(sorted, 50) / 1e6,
          percentile(sorted, 99) / 1e6,
          percentile(sorted, 99.9) / 1e6,
          max / 1e6,
          count);
    }

    static long percentile(long[] sorted, double p) {
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
  }
}
