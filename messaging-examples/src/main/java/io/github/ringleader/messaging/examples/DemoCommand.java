package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.loop.ThreadEventLoop;
import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeConfig;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code demo}: three servers in this process over real UDP multicast on the loopback interface,
 * with clients over TCP. They elect server3; alice, bob and charlie talk across servers; server3
 * crashes and server2 takes over while alice and bob keep talking; server3 comes back and leads
 * again; server3 stops cleanly and server2 takes over at once. Exits 0 when every step happened in time.
 */
final class DemoCommand {
  static final String USAGE =
      "usage: java -jar messaging-examples.jar demo [--heartbeat <duration>]\n"
          + "\n"
          + "Starts a 3-server cluster in this process over UDP multicast on the loopback\n"
          + "interface (a free port, so it does not disturb servers you run), and shows the\n"
          + "election, a leader crash and re-election, and a clean stop. Exits 0 when done.\n"
          + "  --heartbeat <duration>     heartbeat interval (default 250ms; detection = 3 missed)\n";

  private static final int MISSED = 3;

  private final PrintStream out;
  private final Duration heartbeat;
  private final int port;
  private final String cluster = "demo-" + ProcessHandle.current().pid();
  private final long startNanos = System.nanoTime();
  private final Map<String, Running> running = new LinkedHashMap<>();
  private final List<MessagingClient> clients = new ArrayList<>();
  private final List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean finished;

  private static final class Running {
    final MessagingNode node;
    final ThreadEventLoop loop;
    final UdpMulticastTransport transport;

    @Nullable
    TcpClientServer clients;

    Running(MessagingNode node, ThreadEventLoop loop, UdpMulticastTransport transport) {
      this.node = node;
      this.loop = loop;
      this.transport = transport;
    }

    void stopClients() {
      TcpClientServer c = clients;
      if (c != null) {
        c.close();
      }
    }
  }

  private DemoCommand(PrintStream out, Duration heartbeat, int port) {
    this.out = out;
    this.heartbeat = heartbeat;
    this.port = port;
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    Duration heartbeat = Duration.ofMillis(250);
    try {
      if (args.size() == 2 && args.get(0).equals("--heartbeat")) {
        heartbeat = Durations.parse("--heartbeat", args.get(1));
      } else if (!args.isEmpty()) {
        throw new UsageException("unexpected arguments " + args);
      }
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }
    // The library logs each server's view at INFO; the demo tells the story itself.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int port;
    try {
      port = ClusterOptions.freeUdpPort();
    } catch (IOException e) {
      err.println(
          "error: cannot find a free UDP port on 127.0.0.1: " + String.valueOf(e.getMessage()));
      return 1;
    }
    DemoCommand demo = new DemoCommand(out, heartbeat, port);
    try {
      return demo.play() ? 0 : 1;
    } finally {
      demo.stopAll();
    }
  }

  private boolean play() {
    Duration detection = heartbeat.multipliedBy(MISSED);
    say(
        "Ringleader demo: 3 servers over UDP multicast %s:%d on the loopback interface, cluster"
            + " '%s'.",
        UdpTransportConfig.DEFAULT_GROUP, port, cluster);
    say(
        "Heartbeat every %s; a server is failed after %d missed heartbeats (%s).",
        NodeConfig.format(heartbeat), MISSED, NodeConfig.format(detection));
    say("");
    say("1. Starting server1, server2 and server3. The highest id, server3, should lead.");
    for (String id : List.of("server1", "server2", "server3")) {
      start(id);
    }
    if (!await(
        () -> agreedLeader("server3"), Duration.ofSeconds(10), "all three to agree on server3")) {
      return false;
    }
    say("   All three agree: server3 leads.");
    say("");
    say("2. alice, bob and charlie join through server1, server2 and server3, and talk.");
    MessagingClient alice = join("alice", "server1");
    MessagingClient bob = join("bob", "server2");
    MessagingClient charlie = join("charlie", "server3");
    if (alice == null || bob == null || charlie == null) {
      return false;
    }
    try {
      alice.send("Hello everyone!");
      alice.send("bob", "Hi Bob, how are you?");
    } catch (IOException e) {
      say("   FAILED: alice could not send: %s", String.valueOf(e.getMessage()));
      return false;
    }
    if (!await(
        () -> received.containsAll(List.of(
            "alice got alice: Hello everyone!",
            "bob got alice: Hello everyone!",
            "charlie got alice: Hello everyone!",
            "bob got [private] alice: Hi Bob, how are you?")),
        Duration.ofSeconds(5),
        "the messages to arrive")) {
      return false;
    }
    say("   Everyone got the broadcast; only bob got the private message.");
    say("");
    say("3. Crashing server3 (no goodbye, as with kill -9); charlie loses his server.");
    long crashedAt = System.nanoTime();
    crash("server3");
    if (!await(() -> agreedLeader("server2"), detection.multipliedBy(4), "server2 to take over")) {
      return false;
    }
    say(
        "   server1 and server2 agree on server2, %d ms after the crash (failure detection: at most %s"
            + " after the last heartbeat; then the election).",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt), NodeConfig.format(detection));
    try {
      bob.send("Still here, alice?");
    } catch (IOException e) {
      say("   FAILED: bob could not send: %s", String.valueOf(e.getMessage()));
      return false;
    }
    if (!await(
        () -> received.contains("alice got bob: Still here, alice?"),
        Duration.ofSeconds(5),
        "bob's message to reach alice")) {
      return false;
    }
    say("   alice and bob keep talking under the new leader.");
    say("");
    say("4. Restarting server3: a new life of it. It outranks server2 and takes over.");
    start("server3");
    if (!await(() -> agreedLeader("server3"), Duration.ofSeconds(10), "server3 to lead again")) {
      return false;
    }
    say("   All three agree: server3 leads again.");
    say("");
    say("5. Stopping server3 cleanly: it says goodbye, so nobody waits for failure detection.");
    long stoppedAt = System.nanoTime();
    Running leaving = running.remove("server3");
    if (leaving != null) {
      leaving.stopClients();
      leaving.node.close();
      leaving.loop.close();
    }
    if (!await(() -> agreedLeader("server2"), detection, "server2 to take over at once")) {
      return false;
    }
    say(
        "   server2 leads, %d ms after the stop.",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
    say("");
    say("Demo finished: every step happened in time.");
    finished = true;
    return true;
  }

  private void start(String id) {
    ThreadEventLoop loop = new ThreadEventLoop("demo-" + id);
    UdpMulticastTransport transport =
        new UdpMulticastTransport(UdpTransportConfig.builder().port(port).build());
    MessagingNode node = MessagingNode.builder()
        .nodeId(id)
        .clusterName(cluster)
        .heartbeatInterval(heartbeat)
        .missedHeartbeats(MISSED)
        .transport(transport)
        .eventLoop(loop)
        .listener(new Narrator(id))
        .build();
    running.put(id, new Running(node, loop, transport));
    node.start();
  }

  private void crash(String id) {
    Running victim = running.remove(id);
    if (victim != null) {
      victim.loop.close();
      victim.transport.close();
      victim.stopClients();
    }
  }

  /** Accepts clients on a free loopback port for server {@code id}; returns the port. */
  private int acceptClients(String id) throws IOException {
    Running r = running.get(id);
    if (r == null) {
      throw new IOException(id + " is not running");
    }
    // Every client of the demo comes from 127.0.0.1: no limit per address, on open connections
    // or on joins.
    TcpClientServer server = TcpClientServer.start(
        TcpServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .maxConnectionsPerAddress(TcpServerConfig.DEFAULT_MAX_CONNECTIONS)
            .maxJoinsPerSecondPerAddress(0)
            .build(),
        r.node);
    r.clients = server;
    return server.localPort();
  }

  private @Nullable MessagingClient join(String name, String server) {
    try {
      MessagingClient client = MessagingClient.connect(
          "127.0.0.1", acceptClients(server), name, new Listener(name), Duration.ofSeconds(5));
      clients.add(client);
      say("   %s connected to %s", name, server);
      return client;
    } catch (IOException e) {
      say(
          "   FAILED: %s could not join through %s: %s",
          name, server, String.valueOf(e.getMessage()));
      return null;
    }
  }

  private void stopAll() {
    for (MessagingClient client : clients) {
      client.close();
    }
    for (Running r : new ArrayList<>(running.values())) {
      r.stopClients();
      r.node.close();
      r.loop.close();
    }
    running.clear();
  }

  /** Whether every running server follows {@code leader}, which is running and leads. */
  private boolean agreedLeader(String leader) {
    Running chosen = running.get(leader);
    if (chosen == null || !chosen.node.isLeader()) {
      return false;
    }
    for (Running r : running.values()) {
      if (!NodeId.of(leader).equals(r.node.leader())
          || r.node.view().members().size() != running.size()) {
        return false;
      }
    }
    return true;
  }

  private boolean await(BooleanSupplier condition, Duration limit, String what) {
    if (Waiting.until(condition, limit, 10)) {
      return true;
    }
    say("   FAILED: waited %s for %s.", NodeConfig.format(limit), what);
    for (Map.Entry<String, Running> e : running.entrySet()) {
      say(
          "   %s follows %s, sees %s",
          e.getKey(),
          String.valueOf(e.getValue().node.leader()),
          e.getValue().node.view().members().stream().map(m -> m.id().value()).toList());
    }
    return false;
  }

  private synchronized void say(String format, Object... args) {
    out.println(String.format(format, args));
    out.flush();
  }

  /** Prints what a client receives. */
  private final class Listener implements ClientSession.Listener {
    private final String name;

    Listener(String name) {
      this.name = name;
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      String line = name + " got " + (message.to() != null ? "[private] " : "") + message.from()
          + ": " + message.text();
      received.add(line);
      say("   %s", line);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      if (!finished) {
        say(
            "   %s is disconnected%s",
            name, reason == null ? " (its server is gone)" : ": " + reason);
      }
    }
  }

  /** Prints what each server sees, with the time since the demo started. */
  private final class Narrator implements NodeListener {
    private final String id;

    Narrator(String id) {
      this.id = id;
    }

    private void note(String what) {
      if (finished) {
        return;
      }
      say("   %6.3fs  %s: %s", (System.nanoTime() - startNanos) / 1e9, id, what);
    }

    @Override
    public void onLeaderChanged(@Nullable NodeId leader, long term) {
      note(
          leader == null
              ? "no leader, electing (term " + term + ")"
              : "leader is " + leader + " (term " + term + ")");
    }

    @Override
    public void onMemberJoined(MemberInfo member) {
      note(member.id() + " joined");
    }

    @Override
    public void onMemberFailed(MemberInfo member) {
      note(member.id() + " failed");
    }

    @Override
    public void onMemberLeft(MemberInfo member) {
      note(member.id() + " left");
    }
  }
}
