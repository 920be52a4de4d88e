package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeConfig;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code failover}: measures how long the clients of a lost server take to resume their sessions
 * elsewhere. Starts three servers in this process over real UDP multicast on the loopback
 * interface, connects clients over TCP spread evenly over them, then, run after run, crashes (no
 * goodbye) or stops (goodbye to its clients, leave to the cluster) one server and times the moment
 * its last client has resumed; the server is started again before the next run.
 */
final class FailoverCommand {
  static final String USAGE =
      "usage: java -jar messaging-examples.jar failover [--runs <n>] [--clients <n>]\n"
          + "           [--mode crash|stop] [--heartbeat <duration>] [--missed <n>]\n"
          + "           [--ping-interval <duration>] [--ping-timeout <duration>] [--grace <duration>]\n"
          + "           [--timeout <duration>]\n"
          + "\n"
          + "Starts a 3-server cluster in this process over UDP multicast on the loopback\n"
          + "interface (a free port) and, in each run, connects fresh clients over TCP spread\n"
          + "evenly over the servers, then loses one server: server1, server2, server3, server1,\n"
          + "... in turn (server3, the highest id, leads). \"crash\" closes its client listener and\n"
          + "its UDP transport abruptly, as kill -9 would; \"stop\" closes it cleanly (goodbye to\n"
          + "its clients, leave to the cluster). Per run it times from the loss to the last of\n"
          + "that server's clients resuming its session on another server; then it restarts\n"
          + "the lost server, so every run starts from three. Reports the median and maximum\n"
          + "over the runs, and how many clients resumed, how many had their session end, and\n"
          + "how many joined afresh (a new session) instead of resuming. Exits 0 when every run\n"
          + "finished (each client of the lost server resumed or joined afresh in time), 1\n"
          + "otherwise.\n"
          + "  --runs <n>                 runs (default 5, 1..100)\n"
          + "  --clients <n>              clients per run, spread over the 3 servers (default 30,\n"
          + "                             3..1000)\n"
          + "  --mode crash|stop          how the server is lost (default crash)\n"
          + "  --heartbeat <duration>     servers' heartbeat interval (default 2s)\n"
          + "  --missed <n>               missed heartbeats before a server is failed (default 3)\n"
          + "  --ping-interval <duration> how often clients ping their server (default 1s)\n"
          + "  --ping-timeout <duration>  silence after which a client gives its server up\n"
          + "                             (default 3s; at least the ping interval)\n"
          + "  --grace <duration>         how long servers hold a lost client's session (default\n"
          + "                             30s; 0s: no resume)\n"
          + "  --timeout <duration>       how long a client's join may take (default 5s, the\n"
          + "                             client's default; a resume may take 15s)\n";

  private static final int SERVERS = 3;

  private final PrintStream out;
  private final int runs;
  private final int clientCount;
  private final boolean crash;
  private final Duration heartbeat;
  private final int missed;
  private final Duration pingInterval;
  private final Duration pingTimeout;
  private final Duration grace;
  private final Duration timeout;
  private final int group;
  private final String cluster = "failover-" + ProcessHandle.current().pid();
  private final int[] ports = new int[SERVERS];
  private final Map<String, InProcessServer> running = new LinkedHashMap<>();
  private final List<Client> clients = new ArrayList<>();

  private FailoverCommand(
      PrintStream out,
      int runs,
      int clients,
      boolean crash,
      Duration heartbeat,
      int missed,
      Duration pingInterval,
      Duration pingTimeout,
      Duration grace,
      Duration timeout,
      int group) {
    this.out = out;
    this.runs = runs;
    this.clientCount = clients;
    this.crash = crash;
    this.heartbeat = heartbeat;
    this.missed = missed;
    this.pingInterval = pingInterval;
    this.pingTimeout = pingTimeout;
    this.grace = grace;
    this.timeout = timeout;
    this.group = group;
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    // Before anything touches the library (its classes log from their static loggers): the
    // command tells the story itself.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int runs = 5;
    int clients = 30;
    boolean crash = true;
    Duration heartbeat = Duration.ofSeconds(2);
    int missed = 3;
    Duration pingInterval = Duration.ofSeconds(1);
    Duration pingTimeout = Duration.ofSeconds(3);
    Duration grace = MessagingNode.DEFAULT_SESSION_GRACE;
    Duration timeout = Duration.ofSeconds(5);
    try {
      Iterator<String> it = args.iterator();
      while (it.hasNext()) {
        String arg = it.next();
        switch (arg) {
          case "--runs":
            runs = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 100);
            break;
          case "--clients":
            clients = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), SERVERS, 1000);
            break;
          case "--mode":
            String mode = ClusterOptions.value(arg, it);
            if (mode.equals("crash")) {
              crash = true;
            } else if (mode.equals("stop")) {
              crash = false;
            } else {
              throw new UsageException("--mode takes crash or stop, was \"" + mode + "\"");
            }
            break;
          case "--heartbeat":
            heartbeat = Durations.parse(arg, ClusterOptions.value(arg, it));
            break;
          case "--missed":
            missed = ClusterOptions.integer(arg, ClusterOptions.value(arg, it), 1, 1000);
            break;
          case "--ping-interval":
            pingInterval = Durations.parse(arg, ClusterOptions.value(arg, it));
            break;
          case "--ping-timeout":
            pingTimeout = Durations.parse(arg, ClusterOptions.value(arg, it));
            break;
          case "--grace":
            grace = Durations.parseAllowingZero(arg, ClusterOptions.value(arg, it));
            break;
          case "--timeout":
            timeout = Durations.parse(arg, ClusterOptions.value(arg, it));
            break;
          default:
            throw new UsageException("unknown option " + arg);
        }
      }
      if (pingTimeout.compareTo(pingInterval) < 0) {
        throw new UsageException("--ping-timeout (" + NodeConfig.format(pingTimeout)
            + ") must be at least --ping-interval (" + NodeConfig.format(pingInterval) + ")");
      }
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }
    int group;
    try {
      group = ClusterOptions.freeUdpPort();
    } catch (IOException e) {
      err.println(
          "error: cannot find a free UDP port on 127.0.0.1: " + String.valueOf(e.getMessage()));
      return 1;
    }
    FailoverCommand command = new FailoverCommand(
        out,
        runs,
        clients,
        crash,
        heartbeat,
        missed,
        pingInterval,
        pingTimeout,
        grace,
        timeout,
        group);
    command.progress = BenchCommand.progressOn(err);
    try {
      return command.play();
    } finally {
      command.stopAll();
    }
  }

  /** Where the runs have got, for the progress line on standard error. */
  private Progress progress = new Progress(System.err, false, System::nanoTime);

  private java.util.function.Supplier<String> status = () -> "failover: starting the servers";

  private int play() {
    say(
        "Ringleader failover: %d servers over UDP multicast %s:%d (loopback), cluster '%s'.",
        SERVERS, UdpTransportConfig.DEFAULT_GROUP, group, cluster);
    say(
        "Mode %s, %d runs, %d clients a run; heartbeat %s x %d missed, client ping %s / timeout %s,"
            + " join timeout %s, resume timeout 15s and backoff 50ms-2s (client defaults), grace %s.",
        crash ? "crash" : "stop",
        runs,
        clientCount,
        NodeConfig.format(heartbeat),
        missed,
        NodeConfig.format(pingInterval),
        NodeConfig.format(pingTimeout),
        NodeConfig.format(timeout),
        NodeConfig.format(grace));
    try {
      for (int i = 0; i < SERVERS; i++) {
        ports[i] = freeTcpPort();
      }
      for (int i = 0; i < SERVERS; i++) {
        start(i);
      }
    } catch (IOException e) {
      say("FAILED: cannot start the servers: %s", String.valueOf(e.getMessage()));
      return 1;
    }
    if (!await(this::agreed, settle(), "the servers to agree on a leader")) {
      return 1;
    }
    Duration runLimit = runLimit();
    List<Double> lastResumeMillis = new ArrayList<>();
    int resumedTotal = 0;
    int endedTotal = 0;
    int afreshTotal = 0;
    int untoldTotal = 0;
    int movingTotal = 0;
    List<Double> lastBackMillis = new ArrayList<>();
    boolean allFinished = true;
    for (int run = 1; run <= runs; run++) {
      int victim = (run - 1) % SERVERS;
      String victimId = serverId(victim);
      int connecting = run;
      status = () -> String.format(
          Locale.ROOT, "failover: run %d of %d, connecting clients", connecting, runs);
      if (!connectClients(run)) {
        return 1;
      }
      List<Client> moving =
          clients.stream().filter(c -> victimId.equals(c.serverAtStart)).toList();
      InProcessServer lost = Objects.requireNonNull(running.get(victimId));
      boolean wasLeader = lost.node().isLeader();
      long lostAt = System.nanoTime();
      int thisRun = run;
      status = () -> String.format(
          Locale.ROOT,
          "failover: run %d of %d, %s %s %.1f s ago, %d of %d clients back",
          thisRun,
          runs,
          crash ? "crashed" : "stopped",
          victimId,
          (System.nanoTime() - lostAt) / 1e9,
          moving.stream().filter(Client::settled).count(),
          moving.size());
      if (crash) {
        crash(victimId);
      } else {
        stop(victimId);
      }
      boolean finished = await(
          () -> moving.stream().allMatch(Client::settled),
          runLimit,
          "every client of " + victimId + " to resume or join afresh");
      List<Client> resumed = moving.stream().filter(c -> c.resumedAt != 0).toList();
      long ended = moving.stream().filter(c -> c.endedAt != 0).count();
      long afresh = moving.stream().filter(c -> c.rejoinedAt != 0).count();
      long untold =
          moving.stream().filter(c -> c.rejoinedAt != 0 && c.endedAt == 0).count();
      resumedTotal += resumed.size();
      endedTotal += (int) ended;
      afreshTotal += (int) afresh;
      untoldTotal += (int) untold;
      movingTotal += moving.size();
      allFinished &= finished;
      String times;
      if (resumed.isEmpty()) {
        times = "nobody resumed";
      } else {
        long first = resumed.stream().mapToLong(c -> c.resumedAt).min().orElseThrow();
        long last = resumed.stream().mapToLong(c -> c.resumedAt).max().orElseThrow();
        double lastMs = (last - lostAt) / 1e6;
        times = String.format(
            Locale.ROOT,
            "last resumed after %.1f ms (first after %.1f ms)",
            lastMs,
            (first - lostAt) / 1e6);
        if (resumed.size() == moving.size()) {
          lastResumeMillis.add(lastMs);
        } else {
          times += "; not counted: not all resumed";
        }
      }
      if (finished && !moving.isEmpty()) {
        long back = moving.stream().mapToLong(Client::backAt).max().orElseThrow();
        lastBackMillis.add((back - lostAt) / 1e6);
        if (afresh > 0) {
          times += String.format(
              Locale.ROOT, "; last back (resumed or afresh) after %.1f ms", (back - lostAt) / 1e6);
        }
      }
      say(
          "run %d: %s %s (%s) with %d clients: %d resumed, %d ended, %d joined afresh%s; %s",
          run,
          crash ? "crashed" : "stopped",
          victimId,
          wasLeader ? "leader" : "follower",
          moving.size(),
          resumed.size(),
          ended,
          afresh,
          untold > 0 ? " (" + untold + " without being told their session ended)" : "",
          times);
      closeClients();
      if (run < runs) {
        status = () -> String.format(
            Locale.ROOT, "failover: run %d of %d done, restarting %s", thisRun, runs, victimId);
        try {
          start(victim);
        } catch (IOException e) {
          say("FAILED: cannot restart %s: %s", victimId, String.valueOf(e.getMessage()));
          return 1;
        }
        if (!await(
            this::agreed,
            settle(),
            "the servers to agree on a leader after restarting " + victimId)) {
          return 1;
        }
      }
    }
    say("");
    say("Report (%s, %d runs)", crash ? "crash" : "stop", runs);
    if (lastResumeMillis.isEmpty()) {
      say("  last client resumed (ms)  no run in which every client resumed");
    } else {
      List<Double> sorted = lastResumeMillis.stream().sorted().toList();
      say(
          "  last client resumed (ms)  median %.1f  max %.1f  (over %d runs)",
          median(sorted), sorted.get(sorted.size() - 1), sorted.size());
    }
    if (afreshTotal > 0 && !lastBackMillis.isEmpty()) {
      List<Double> sorted = lastBackMillis.stream().sorted().toList();
      say(
          "  last client back (ms)     median %.1f  max %.1f  (resumed or joined afresh, over %d runs)",
          median(sorted), sorted.get(sorted.size() - 1), sorted.size());
    }
    say(
        "  resumed, ended            %d, %d (of %d clients of lost servers)",
        resumedTotal, endedTotal, movingTotal);
    if (afreshTotal > 0) {
      say(
          "  joined afresh             %d (new sessions; %d of them never told onSessionEnded)",
          afreshTotal, untoldTotal);
    }
    if (!allFinished) {
      say(
          "FAILED: in some run a client neither resumed nor joined afresh within %s.",
          NodeConfig.format(runLimit));
      return 1;
    }
    say("OK: every run finished.");
    return 0;
  }

  static double median(List<Double> sorted) {
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** How long the cluster may take to agree: discovery and an election, or a failure and one. */
  private Duration settle() {
    return Duration.ofSeconds(10).plus(heartbeat.multipliedBy(missed + 2L).multipliedBy(2));
  }

  /** How long the clients of a lost server may take to settle in one run. */
  private Duration runLimit() {
    Duration detection = pingTimeout.plus(heartbeat.multipliedBy(missed + 1L));
    return Duration.ofSeconds(20).plus(detection.multipliedBy(3));
  }

  private static String serverId(int index) {
    return "server" + (index + 1);
  }

  private static int freeTcpPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private void start(int index) throws IOException {
    String id = serverId(index);
    running.put(
        id,
        InProcessServer.start(
            id,
            MessagingNode.builder()
                .clusterName(cluster)
                .heartbeatInterval(heartbeat)
                .missedHeartbeats(missed)
                .capacity(clientCount)
                .sessionGrace(grace)
                .clientHost("127.0.0.1")
                .clientPort(ports[index]),
            group,
            ports[index]));
  }

  /** As kill -9 would: the server stops in its tracks, its sockets close, no goodbye, no leave. */
  private void crash(String id) {
    InProcessServer victim = running.remove(id);
    if (victim != null) {
      victim.crash();
    }
  }

  /** As a clean shutdown: goodbye to its clients, leave to the cluster, then the listener closes. */
  private void stop(String id) {
    InProcessServer victim = running.remove(id);
    if (victim != null) {
      victim.stop();
    }
  }

  private boolean agreed() {
    if (running.size() != SERVERS) {
      return false;
    }
    NodeId leader = null;
    for (InProcessServer s : running.values()) {
      NodeId l = s.node().leader();
      if (l == null
          || (leader != null && !leader.equals(l))
          || s.node().view().members().size() != SERVERS) {
        return false;
      }
      leader = l;
    }
    return true;
  }

  /** Connects this run's clients, client i to server i mod 3 (the others given for failover). */
  private boolean connectClients(int run) {
    for (int i = 0; i < clientCount; i++) {
      int home = i % SERVERS;
      String name = String.format(Locale.ROOT, "r%d-c%d", run, i + 1);
      Client client = new Client(name);
      MessagingClient.Builder builder = MessagingClient.builder()
          .name(name)
          .listener(client)
          .balance(false)
          .failover(true)
          .pingInterval(pingInterval)
          .pingTimeout(pingTimeout)
          .timeout(timeout);
      builder.address("127.0.0.1", ports[home]);
      for (int s = 0; s < SERVERS; s++) {
        if (s != home) {
          builder.address("127.0.0.1", ports[s]);
        }
      }
      try {
        MessagingClient connection = builder.connect();
        client.connection = connection;
        client.serverAtStart = connection.welcome().server().value();
      } catch (IOException | RuntimeException e) {
        say(
            "FAILED: %s could not join through %s: %s",
            name, serverId(home), String.valueOf(e.getMessage()));
        return false;
      }
      clients.add(client);
    }
    return true;
  }

  private void closeClients() {
    clients.parallelStream().forEach(c -> {
      MessagingClient m = c.connection;
      if (m != null) {
        m.close();
      }
    });
    clients.clear();
  }

  private void stopAll() {
    closeClients();
    running.values().forEach(InProcessServer::stop);
    running.clear();
  }

  private boolean await(BooleanSupplier condition, Duration limit, String what) {
    BooleanSupplier watched = () -> {
      progress.update(status);
      return condition.getAsBoolean();
    };
    if (Waiting.until(watched, limit, 5)) {
      return true;
    }
    say("FAILED: waited %s for %s.", NodeConfig.format(limit), what);
    return false;
  }

  private synchronized void say(String format, Object... args) {
    progress.clear();
    out.println(String.format(Locale.ROOT, format, Durations.humanArgs(args)));
    out.flush();
  }

  /** One client: when it resumed, when its session ended, when it joined afresh. */
  private static final class Client implements ClientSession.Listener {
    final String name;
    volatile @Nullable MessagingClient connection;
    volatile @Nullable String serverAtStart;
    volatile long resumedAt;
    volatile long endedAt;
    volatile long rejoinedAt;

    Client(String name) {
      this.name = name;
    }

    /** Resumed, or joined afresh as a new session. */
    boolean settled() {
      return resumedAt != 0 || rejoinedAt != 0;
    }

    /** When it was back: resumed or joined afresh (0 if neither). */
    long backAt() {
      return resumedAt != 0 ? resumedAt : rejoinedAt;
    }

    @Override
    public void onResumed(ServerEvent.Resumed resumed) {
      if (resumedAt == 0) {
        resumedAt = System.nanoTime();
      }
    }

    @Override
    public void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {
      if (endedAt == 0) {
        endedAt = System.nanoTime();
      }
    }

    @Override
    public void onReconnected(ServerEvent.Welcome welcome) {
      if (rejoinedAt == 0) {
        rejoinedAt = System.nanoTime();
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
