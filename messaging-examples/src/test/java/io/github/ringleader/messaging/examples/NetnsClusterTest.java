package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Servers on separate "hosts": each example server a real process in a network namespace of its
 * own, the three joined by veths to one bridge ({@link NetnsLab}), so their cluster traffic
 * really leaves each host: multicast over the bridge with {@code --interface veth0} (TTL 1
 * implied), point-to-point UDP and the clients' TCP between the hosts' addresses. Nothing is
 * added to the namespace the test runs in.
 *
 * <p>Runs as root on Linux ({@code .ci/run} does); skipped with the reason elsewhere. The loss
 * and isolation tests need iptables too ({@code scripts/install-test-tools.sh}). Every server
 * uses the default group, port and client port (7001): the hosts are separate, so nothing
 * collides. Heartbeats every 100 ms, failed after 3 missed; every wait has a deadline.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetnsClusterTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);
  private static final int MISSED = 3;
  private static final int CLIENT_PORT = 7001;
  private static final int HTTP_PORT = 8080;
  /** Time for three fresh JVMs on a busy 2-core machine to start and agree. */
  private static final Duration FORMING = Duration.ofSeconds(30);
  /** Detection (3 × 100 ms) and an election, with a wide margin for a busy machine. */
  private static final Duration REACTING = Duration.ofSeconds(10);

  private static final String GROUP = "239.255.77.77";
  /** How often to ask the servers: each question starts a process per host. */
  private static final Duration POLL = Duration.ofMillis(150);

  private @Nullable NetnsLab lab;
  private final ServerProcesses processes = new ServerProcesses();
  private final List<ClientProcess> clients = new ArrayList<>();

  @TempDir
  Path dir;

  @BeforeAll
  static void needNamespaces() {
    String why = NetnsLab.unavailable();
    Assumptions.assumeTrue(why == null, () -> why);
  }

  @AfterEach
  void tearDown() {
    clients.forEach(ClientProcess::close);
    processes.close();
    if (lab != null) {
      lab.close();
      assertThat(NetnsLab.listNamespaces())
          .as("namespaces left behind")
          .doesNotContainAnyElementsOf(lab.namespaces());
    }
  }

  private NetnsLab lab(int hosts) throws IOException {
    NetnsLab made = NetnsLab.create(hosts);
    lab = made;
    return made;
  }

  // --- the tests ---------------------------------------------------------------------------

  @Test
  void keyedServersOnThreeHostsFormOneClusterWhoseClientsTalkAcrossHostsAndSurviveALeaderCrash()
      throws Exception {
    NetnsLab net = lab(3);
    Path key = keygen();
    List<ServerProcesses.Server> servers = startAll(net, "--cluster-key", key.toString());

    awaitOneCluster(net, net.hosts(), "server3");
    for (ServerProcesses.Server server : servers) {
      assertThat(server.log).anyMatch(l -> l.contains("via veth0 (TTL 1)"));
      assertThat(server.log)
          .anyMatch(l ->
              l.contains("cluster frames are encrypted and authenticated with the cluster key"));
    }
    // Each server announces its own host's address to clients, which is reachable from the others.
    Map<String, Object> status = status(net.host(1));
    assertThat(status).isNotNull();
    assertThat(clientAddresses(status))
        .containsExactly(
            "server1=10.201.0.1:" + CLIENT_PORT,
            "server2=10.201.0.2:" + CLIENT_PORT,
            "server3=10.201.0.3:" + CLIENT_PORT);

    // alice on host 1 through server1; bob on host 3 through server2, across the bridge.
    ClientProcess alice = startClient(net.host(1), "alice", net.host(1).address);
    ClientProcess bob = startClient(net.host(3), "bob", net.host(2).address);
    await(
        () -> alice.printed("connected to server1")
            && bob.printed("connected to server2 (10.201.0.2:7001)"),
        FORMING,
        () -> "both clients to join:\n" + alice.tail() + "\n" + bob.tail());
    // Bob's join is in the stream before alice's send: she has seen him join, or found him there.
    await(
        () -> alice.printed("* bob joined")
            || alice.lines.stream()
                .anyMatch(l -> l.startsWith("users: ")
                    && List.of(l.substring(7).split(", ")).contains("bob")),
        REACTING,
        () -> "alice to see bob:\n" + alice.tail());
    alice.type("send hello from host 1");
    await(
        () -> bob.printed("alice: hello from host 1"),
        REACTING,
        () -> "bob (host 3, server2) to get alice's message (host 1, server1):\n" + bob.tail());

    // The leader's host loses its server (SIGKILL: no goodbye, only silence): the other two elect
    // server2 across the bridge, and their clients go on talking.
    servers.get(2).process.destroyForcibly().waitFor();
    awaitOneCluster(net, List.of(net.host(1), net.host(2)), "server2");
    assertThat(servers.get(0).log).anyMatch(l -> l.contains("server3 failed"));
    alice.type("send after the crash");
    await(
        () -> bob.printed("alice: after the crash"),
        REACTING,
        () -> "bob to get alice's message under the new leader:\n" + bob.tail());
  }

  @Test
  void insecureServersNamingTheirInterfaceByAddressFormOneClusterAndEachWarns() throws Exception {
    NetnsLab net = lab(3);
    List<ServerProcesses.Server> servers = new ArrayList<>();
    for (NetnsLab.Host host : net.hosts()) {
      servers.add(startServer(host, "--interface", host.address, "--insecure"));
    }

    awaitOneCluster(net, net.hosts(), "server3");
    for (ServerProcesses.Server server : servers) {
      assertThat(server.log)
          .anyMatch(l -> l.contains("[WARN]")
              && l.contains(
                  "--insecure: cluster traffic on veth0 is NOT encrypted or authenticated"));
      assertThat(server.log)
          .anyMatch(l -> l.contains(
              "cluster frames are neither encrypted nor authenticated (no cluster key)"));
      assertThat(server.log).anyMatch(l -> l.contains("via veth0 (TTL 1)"));
    }
  }

  @Test
  void aServerOnANetworkInterfaceWithoutKeyOrInsecureRefusesToStartAndSaysWhatToDo()
      throws Exception {
    NetnsLab net = lab(1);
    ServerProcesses.Server server = startServer(net.host(1));

    assertThat(server.process.waitFor(30, TimeUnit.SECONDS))
        .as("the server to stop by itself")
        .isTrue();
    assertThat(server.process.exitValue()).isEqualTo(2);
    await(() -> server.logEnded, REACTING, "the server's output to end");
    assertThat(server.log)
        .anyMatch(
            l -> l.contains("error: cluster traffic on a network interface must be authenticated"))
        .anyMatch(l -> l.contains("java -jar messaging-examples.jar keygen > cluster.key"))
        .anyMatch(l -> l.contains("--cluster-key cluster.key"))
        .anyMatch(l -> l.contains("pass --insecure"))
        .noneMatch(l -> l.contains("UDP cluster transport started"));
  }

  @Test
  void multicastCrossesTheBridgeWithTtl1AndTheClusterFormsDespiteRandomLoss() throws Exception {
    String noIptables = NetnsLab.iptablesMissing();
    Assumptions.assumeTrue(noIptables == null, () -> noIptables);
    NetnsLab net = lab(3);
    for (NetnsLab.Host host : net.hosts()) {
      countGroupArrivals(net, host); // before the loss: what arrives, not what is kept
      net.addLoss(host, 0.1);
    }
    startAll(net, "--cluster-key", keygen().toString());

    awaitOneCluster(net, net.hosts(), "server3");
    for (NetnsLab.Host host : net.hosts()) {
      String rules = net.iptables(host, "-L", "INPUT", "-v", "-x", "-n");
      assertThat(packets(rules, "group-ttl-1"))
          .as("group datagrams with TTL 1 into %s", host)
          .isPositive();
      assertThat(packets(rules, "group-other-ttl"))
          .as("group datagrams with another TTL into %s", host)
          .isZero();
      assertThat(packets(rules, "statistic mode random"))
          .as("datagrams the loss dropped on %s", host)
          .isPositive();
    }
  }

  @Test
  void withTtl0TheGroupNeverLeavesItsHostSoEachServerStaysAlone() throws Exception {
    String noIptables = NetnsLab.iptablesMissing();
    Assumptions.assumeTrue(noIptables == null, () -> noIptables);
    NetnsLab net = lab(2);
    for (NetnsLab.Host host : net.hosts()) {
      countGroupArrivals(net, host);
    }
    startAll(net, "--insecure", "--ttl", "0");

    // Each has sent plenty (20 datagrams: 2 s of heartbeats) and leads alone...
    for (NetnsLab.Host host : net.hosts()) {
      await(
          () -> datagramsSent(net, host) >= 20,
          FORMING,
          POLL,
          () -> "server" + host.number + " to send 20 datagrams\n" + logs());
      awaitOneCluster(net, List.of(host), "server" + host.number);
    }
    // ...and not one of them reached the other host.
    for (NetnsLab.Host host : net.hosts()) {
      String rules = net.iptables(host, "-L", "INPUT", "-v", "-x", "-n");
      assertThat(packets(rules, "group-ttl-1") + packets(rules, "group-other-ttl"))
          .as("group datagrams from the other host into %s", host)
          .isZero();
    }
    assertThat(processes.servers().get(0).log).anyMatch(l -> l.contains("via veth0 (TTL 0)"));
  }

  @Test
  void aCutLinkAndAFirewalledServerAreFailedByTheOthersAndRejoinWhenRestored() throws Exception {
    NetnsLab net = lab(3);
    startAll(net, "--cluster-key", keygen().toString());
    awaitOneCluster(net, net.hosts(), "server3");

    // Unplugged: server1 and the other two each carry on alone.
    net.cutLink(net.host(1));
    awaitOneCluster(net, List.of(net.host(2), net.host(3)), "server3");
    awaitOneCluster(net, List.of(net.host(1)), "server1");
    net.restoreLink(net.host(1));
    awaitOneCluster(net, net.hosts(), "server3");

    String noIptables = NetnsLab.iptablesMissing();
    Assumptions.assumeTrue(noIptables == null, () -> "the firewall half: " + noIptables);
    // Firewalled: the link stays up, but nothing gets in or out of host 3, the leader's.
    net.isolate(net.host(3));
    awaitOneCluster(net, List.of(net.host(1), net.host(2)), "server2");
    awaitOneCluster(net, List.of(net.host(3)), "server3"); // its own view: the others failed
    net.rejoin(net.host(3));
    awaitOneCluster(net, net.hosts(), "server3");
  }

  // --- servers -------------------------------------------------------------------------------

  private Path keygen() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(
        List.of("keygen"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(status).as("keygen: %s", err).isZero();
    Path key = dir.resolve("cluster.key");
    Files.writeString(key, out.toString(StandardCharsets.UTF_8));
    return key;
  }

  private List<ServerProcesses.Server> startAll(NetnsLab net, String... options)
      throws IOException {
    List<ServerProcesses.Server> servers = new ArrayList<>();
    for (NetnsLab.Host host : net.hosts()) {
      servers.add(startServer(host, options));
    }
    return servers;
  }

  /**
   * {@code server<n> 7001 --interface veth0 ...} on host n (a later {@code --interface} in {@code
   * options} wins); it stops by itself if this JVM dies.
   */
  private ServerProcesses.Server startServer(NetnsLab.Host host, String... options)
      throws IOException {
    List<String> all = new ArrayList<>(List.of(
        "--interface",
        NetnsLab.HOST_INTERFACE,
        "--heartbeat",
        HEARTBEAT.toMillis() + "ms",
        "--missed",
        String.valueOf(MISSED),
        "--http-port",
        String.valueOf(HTTP_PORT),
        "--parent",
        String.valueOf(ProcessHandle.current().pid())));
    all.addAll(List.of(options));
    // The key comes only from what each test passes, never from this JVM's environment.
    List<String> launcher = host.command(List.of("env", "-u", ClusterOptions.KEY_VARIABLE));
    return processes.start(
        launcher, "server" + host.number, CLIENT_PORT, all.toArray(String[]::new));
  }

  /** Host {@code host}'s server's {@code /status}, or null while it does not answer. */
  private @Nullable Map<String, Object> status(NetnsLab.Host host) {
    NetnsLab net = lab;
    String body = net == null ? null : net.httpGet(host, HTTP_PORT, "/status");
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) JsonParser.parse(body);
      return json;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /**
   * Waits until the server of every host in {@code hosts} runs, follows {@code leader}, and
   * sees exactly the servers of {@code hosts} as members.
   */
  private void awaitOneCluster(NetnsLab net, List<NetnsLab.Host> hosts, String leader)
      throws InterruptedException {
    Set<String> expected = new TreeSet<>();
    hosts.forEach(h -> expected.add("server" + h.number));
    Map<NetnsLab.Host, String> last = new java.util.concurrent.ConcurrentHashMap<>();
    await(
        () -> hosts.stream().allMatch(h -> {
          Map<String, Object> status = status(h);
          last.put(h, String.valueOf(status));
          return status != null
              && "RUNNING".equals(status.get("state"))
              && leader.equals(status.get("leader"))
              && memberIds(status).equals(expected);
        }),
        FORMING,
        POLL,
        () -> "servers " + expected + " to agree that " + leader + " leads them; last /status: "
            + last + "\n" + logs());
  }

  private static Set<String> memberIds(Map<String, Object> status) {
    Set<String> ids = new TreeSet<>();
    Object members = status.get("members");
    if (members instanceof List<?> list) {
      for (Object m : list) {
        if (m instanceof Map<?, ?> map && map.get("id") instanceof String id) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  /** {@code <id>=<clientAddress>} of every member in {@code status}, in id order. */
  private static List<String> clientAddresses(@Nullable Map<String, Object> status) {
    List<String> addresses = new ArrayList<>();
    if (status != null && status.get("members") instanceof List<?> list) {
      for (Object m : list) {
        if (m instanceof Map<?, ?> map) {
          addresses.add(map.get("id") + "=" + map.get("clientAddress"));
        }
      }
    }
    return addresses;
  }

  private String logs() {
    StringBuilder text = new StringBuilder();
    for (ServerProcesses.Server s : processes.servers()) {
      text.append("--- ").append(s.id).append('\n').append(s.tail(15)).append('\n');
    }
    return text.toString();
  }

  /**
   * Adds counting rules (no target: they only count) to {@code host}'s INPUT for group datagrams
   * from other hosts arriving on its veth: {@code group-ttl-1} those with TTL 1, {@code
   * group-other-ttl} any other. Its own multicast, looped back, is not counted.
   */
  private static void countGroupArrivals(NetnsLab net, NetnsLab.Host host) throws IOException {
    net.iptables(
        host,
        "-A",
        "INPUT",
        "-i",
        NetnsLab.HOST_INTERFACE,
        "!",
        "-s",
        host.address,
        "-d",
        GROUP,
        "-m",
        "ttl",
        "--ttl-eq",
        "1",
        "-m",
        "comment",
        "--comment",
        "group-ttl-1");
    net.iptables(
        host,
        "-A",
        "INPUT",
        "-i",
        NetnsLab.HOST_INTERFACE,
        "!",
        "-s",
        host.address,
        "-d",
        GROUP,
        "-m",
        "ttl",
        "!",
        "--ttl-eq",
        "1",
        "-m",
        "comment",
        "--comment",
        "group-other-ttl");
  }

  /** {@code ringleader_cluster_datagrams_sent_total} of {@code host}'s server, 0 while it does not answer. */
  private static long datagramsSent(NetnsLab net, NetnsLab.Host host) {
    String metrics = net.httpGet(host, HTTP_PORT, "/metrics");
    if (metrics != null) {
      for (String line : metrics.split("\n")) {
        if (line.startsWith("ringleader_cluster_datagrams_sent_total ")) {
          return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
        }
      }
    }
    return 0;
  }

  /** The packet count of the first rule in {@code iptables -L -v -x -n} output whose line has {@code text}. */
  private static long packets(String listing, String text) {
    for (String line : listing.split("\n")) {
      if (line.contains(text)) {
        return Long.parseLong(line.trim().split("\\s+")[0]);
      }
    }
    throw new AssertionError("no rule with \"" + text + "\" in:\n" + listing);
  }

  // --- clients -------------------------------------------------------------------------------

  private ClientProcess startClient(NetnsLab.Host host, String name, String serverAddress)
      throws IOException {
    List<String> command = new ArrayList<>(host.command(ServerProcesses.mainCommand(
        "client", name, serverAddress, String.valueOf(CLIENT_PORT), "--no-balance")));
    ClientProcess client = new ClientProcess(
        name, new ProcessBuilder(command).redirectErrorStream(true).start());
    clients.add(client);
    return client;
  }

  /** The example client in plain-line mode: commands typed on its stdin, its lines collected. */
  private static final class ClientProcess implements AutoCloseable {
    final String name;
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Writer in;

    ClientProcess(String name, Process process) {
      this.name = name;
      this.process = process;
      this.in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(
          () -> {
            try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
              String line;
              while ((line = out.readLine()) != null) {
                lines.add(line);
              }
            } catch (IOException e) {
              // the process is gone
            }
          },
          "client-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    void type(String line) throws IOException {
      in.write(line + "\n");
      in.flush();
    }

    boolean printed(String text) {
      return lines.stream().anyMatch(l -> l.contains(text));
    }

    String tail() {
      List<String> all = List.copyOf(lines);
      return "--- " + name + "\n"
          + String.join("\n", all.subList(Math.max(0, all.size() - 15), all.size()));
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
