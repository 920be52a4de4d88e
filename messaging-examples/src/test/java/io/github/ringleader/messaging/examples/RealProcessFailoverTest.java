package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Session resume with real server processes: three example servers (short timings), twenty
 * in-process clients spread over them with fast failover settings, exchanging broadcasts and
 * private messages, each text unique ({@code name#n}). One server that has clients is lost while
 * the traffic flows — killed (SIGKILL) in one test, stopped (SIGTERM: its shutdown hook says
 * goodbye and leaves the cluster) in the other. Every client of the lost server must resume its
 * session on another server, nobody's session may end, the traffic goes on, and afterwards {@link
 * FailoverAudit} checks every send was answered and every accepted message reached each recipient
 * exactly once, in sender order, the broadcasts in one order for all.
 *
 * <p>Loopback only, free ports, multicast TTL 0 (the server's defaults); every wait has a deadline.
 * The traffic is paced and bounded: {@link #ROUNDS} rounds, one message per client per round.
 */
class RealProcessFailoverTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);
  private static final int MISSED = 3;
  private static final Duration GRACE = Duration.ofSeconds(20);
  private static final Duration PING_INTERVAL = Duration.ofMillis(100);
  private static final Duration PING_TIMEOUT = Duration.ofMillis(500);
  private static final Duration BACKOFF_MIN = Duration.ofMillis(20);
  private static final Duration BACKOFF_MAX = Duration.ofMillis(200);
  private static final int CLIENTS = 20;
  /** Rounds before the loss, while the server goes (sent on without waiting), and after all resumed. */
  private static final int ROUNDS_BEFORE = 8;

  private static final int ROUNDS_DURING = 12;
  private static final int ROUNDS_AFTER = 10;
  private static final int ROUNDS = ROUNDS_BEFORE + ROUNDS_DURING + ROUNDS_AFTER;
  /** Pause between two sends of the traffic (all clients in turn): 20 clients x 3 ms = 60 ms a round. */
  private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(3);

  private static final Duration DRAIN = Duration.ofMillis(300);

  private final ServerProcesses processes = new ServerProcesses();
  private final List<Peer> peers = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    peers.parallelStream().forEach(p -> {
      MessagingClient c = p.client;
      if (c != null) {
        c.close();
      }
    });
    processes.close();
  }

  @Test
  void everyClientOfAKilledServerResumesAndNothingIsLostOrDoubled() throws Exception {
    run(true);
  }

  @Test
  void everyClientOfAStoppedServerResumesAndNothingIsLostOrDoubled() throws Exception {
    run(false);
  }

  /** One client: its connection and everything it heard. */
  private static final class Peer implements MessageListener, ConnectionListener {
    final String name;
    final int home;
    final FailoverAudit.Record record;
    volatile @Nullable MessagingClient client;
    volatile @Nullable SessionInfo welcome;
    final List<String> lost = new CopyOnWriteArrayList<>();

    record Resumed(SessionInfo session, boolean complete) {}

    final List<Resumed> resumed = new CopyOnWriteArrayList<>();
    final List<String> ended = new CopyOnWriteArrayList<>();
    final List<SessionInfo> reconnected = new CopyOnWriteArrayList<>();
    final List<String> closed = new CopyOnWriteArrayList<>();
    final AtomicInteger failedRounds = new AtomicInteger();

    Peer(String name, int home) {
      this.name = name;
      this.home = home;
      this.record = new FailoverAudit.Record(name);
    }

    @Override
    public void onConnected(SessionInfo session, boolean afresh) {
      if (afresh) {
        reconnected.add(session);
      } else {
        welcome = session;
      }
    }

    @Override
    public void onMessage(ReceivedMessage message) {
      record.received.add(message);
    }

    @Override
    public void onConnectionLost(String reason, List<SentMessage> unconfirmed) {
      record.connectionLost(unconfirmed);
      lost.add(reason);
    }

    @Override
    public void onResumed(SessionInfo session, boolean complete) {
      resumed.add(new Resumed(session, complete));
    }

    @Override
    public void onSessionEnded(String reason, List<SentMessage> unconfirmed) {
      ended.add(reason);
    }

    @Override
    public void onReconnecting(int round, String lastError, Duration nextRoundWithin) {
      failedRounds.incrementAndGet();
    }

    @Override
    public void onClosed(@Nullable String reason) {
      closed.add(String.valueOf(reason));
    }

    String describe() {
      SessionInfo w = welcome;
      return String.format(
          Locale.ROOT,
          "%s (home %d, session %s, lost %s, resumed %s, ended %s, reconnected %s,"
              + " closed %s, failed rounds %d)",
          name,
          home + 1,
          w == null ? "?" : w.id(),
          lost,
          resumed.stream()
              .map(r -> r.session().server() + "/session " + r.session().id() + "/complete "
                  + r.complete())
              .toList(),
          ended,
          reconnected,
          closed,
          failedRounds.get());
    }
  }

  private void run(boolean kill) throws Exception {
    long started = System.nanoTime();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String settings = String.format(
        Locale.ROOT,
        "seed %d, %s, heartbeat %d ms x %d missed, grace %s, ping %d/%d ms, backoff %d-%d ms, %d clients,"
            + " %d+%d+%d rounds paced %d ms",
        seed,
        kill ? "SIGKILL" : "SIGTERM",
        HEARTBEAT.toMillis(),
        MISSED,
        GRACE,
        PING_INTERVAL.toMillis(),
        PING_TIMEOUT.toMillis(),
        BACKOFF_MIN.toMillis(),
        BACKOFF_MAX.toMillis(),
        CLIENTS,
        ROUNDS_BEFORE,
        ROUNDS_DURING,
        ROUNDS_AFTER,
        TimeUnit.NANOSECONDS.toMillis(PACE_NANOS));

    int group = ServerProcesses.freeUdpPort();
    String cluster = "failover-" + ProcessHandle.current().pid() + (kill ? "-kill" : "-stop");
    List<ServerProcesses.Server> servers = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      servers.add(processes.start(
          "server" + i,
          ServerProcesses.freeTcpPort(),
          "--heartbeat",
          HEARTBEAT.toMillis() + "ms",
          "--missed",
          String.valueOf(MISSED),
          "--mcast-port",
          String.valueOf(group),
          "--cluster",
          cluster,
          "--grace",
          GRACE.toSeconds() + "s"));
    }
    await(
        () -> servers.stream()
                .allMatch(s -> s.logged("leader is server3") || s.logged("this node is the leader"))
            && servers.stream().allMatch(s -> s.logged("clients connect on")),
        Duration.ofSeconds(20),
        () -> "the three servers to agree on server3 and take clients [" + settings + "]\n"
            + logs(servers));

    for (int i = 0; i < CLIENTS; i++) {
      Peer peer = new Peer(String.format(Locale.ROOT, "c%02d", i + 1), i % 3);
      peers.add(peer);
      MessagingClient.Builder builder = MessagingClient.builder()
          .name(peer.name)
          .listener(peer)
          .balance(false)
          .failover(true)
          .pingInterval(PING_INTERVAL)
          .pingTimeout(PING_TIMEOUT)
          .reconnectBackoff(BACKOFF_MIN, BACKOFF_MAX)
          .timeout(Duration.ofSeconds(2));
      builder.address("127.0.0.1", servers.get(peer.home).port);
      for (int s = 0; s < 3; s++) {
        if (s != peer.home) {
          builder.address("127.0.0.1", servers.get(s).port);
        }
      }
      peer.client = builder.connect();
      SessionInfo w = peer.client.session();
      assertThat(w.server())
          .as("%s joined its home server [%s]", peer.name, settings)
          .isEqualTo("server" + (peer.home + 1));
    }
    // Every client hears of every other before the traffic starts (a private message to a name
    // the cluster does not know yet would be rejected): a first round of broadcasts.
    traffic(random, 1, 1, true);
    await(
        () -> peers.stream().allMatch(p -> p.record.received.size() >= CLIENTS),
        Duration.ofSeconds(10),
        () -> "every client to have the first round [" + settings + "]");

    // The lost server: the leader when killed, a follower when stopped; it has clients either way.
    int victim = kill ? 2 : 1;
    List<Peer> moving = peers.stream().filter(p -> p.home == victim).toList();
    assertThat(moving).isNotEmpty();
    AtomicInteger round = new AtomicInteger(1);
    Thread sender = new Thread(
        () -> {
          for (int r = 2; r <= ROUNDS_BEFORE + ROUNDS_DURING; r++) {
            traffic(random, r, r, false);
            round.set(r);
          }
        },
        "traffic");
    sender.setDaemon(true);
    sender.start();
    await(() -> round.get() >= ROUNDS_BEFORE, Duration.ofSeconds(10), "the traffic to get going");
    long lostAt = System.nanoTime();
    ServerProcesses.Server gone = servers.get(victim);
    if (kill) {
      gone.process.destroyForcibly();
    } else {
      gone.process.destroy();
    }
    assertThat(gone.process.waitFor(10, TimeUnit.SECONDS))
        .as("%s to exit", gone.id)
        .isTrue();

    await(
        () -> moving.stream().allMatch(p -> !p.resumed.isEmpty())
            || peers.stream().anyMatch(p -> !p.ended.isEmpty()),
        Duration.ofSeconds(10),
        () -> "every client of " + gone.id + " to resume [" + settings + "]\n" + describe()
            + logs(servers));
    long resumedAt = System.nanoTime();
    sender.join(TimeUnit.SECONDS.toMillis(15));
    assertThat(sender.isAlive()).as("the traffic thread to finish").isFalse();

    // Traffic after the failover, from everyone.
    int firstAfter = ROUNDS_BEFORE + ROUNDS_DURING + 1;
    traffic(random, firstAfter, ROUNDS, false);

    await(
        () -> peers.stream().allMatch(p -> p.record.unansweredCount() == 0),
        Duration.ofSeconds(10),
        () -> "every send to be answered [" + settings + "]\n"
            + peers.stream()
                .map(p -> p.name + ": " + p.record.unansweredCount() + " unanswered")
                .collect(Collectors.joining(", ")));
    // Everything accepted is on its way; wait for the expected deliveries, then a while longer for
    // any duplicate to show.
    long expected = expectedDeliveries();
    ServerProcesses.within(() -> received() >= expected, Duration.ofSeconds(10));
    Thread.sleep(DRAIN.toMillis());

    String context = String.format(
        Locale.ROOT,
        "[%s; %s lost %d ms into the run, its %d clients all resumed %d ms after]%n%s",
        settings,
        gone.id,
        TimeUnit.NANOSECONDS.toMillis(lostAt - started),
        moving.size(),
        TimeUnit.NANOSECONDS.toMillis(resumedAt - lostAt),
        describe());

    for (Peer p : peers) {
      assertThat(p.ended).as("%s's session ended %s", p.name, context).isEmpty();
      assertThat(p.reconnected).as("%s joined afresh %s", p.name, context).isEmpty();
      assertThat(p.closed).as("%s was closed %s", p.name, context).isEmpty();
    }
    for (Peer p : moving) {
      SessionInfo first = java.util.Objects.requireNonNull(p.welcome, p.name + " was welcomed");
      assertThat(p.lost).as("%s noticed the loss %s", p.name, context).isNotEmpty();
      if (!kill) {
        // SIGTERM: the server's shutdown hook says goodbye before the listener closes.
        assertThat(p.lost.get(0))
            .as("%s was told why %s", p.name, context)
            .isEqualTo("the server said goodbye: server " + gone.id + " is shutting down");
      }
      assertThat(p.resumed).as("%s resumed %s", p.name, context).isNotEmpty();
      for (Peer.Resumed r : p.resumed) {
        assertThat(r.session().id())
            .as("%s resumed its own session %s", p.name, context)
            .isEqualTo(first.id());
        assertThat(r.session().server())
            .as("%s resumed elsewhere %s", p.name, context)
            .isNotEqualTo(gone.id);
        assertThat(r.complete())
            .as("%s had everything replayed %s", p.name, context)
            .isTrue();
      }
    }

    FailoverAudit audit = new FailoverAudit(peers.stream().map(p -> p.record).toList());
    List<String> problems = audit.check();
    assertThat(problems)
        .as(
            "delivery audit: %s %s%n%s",
            audit.summary(),
            context,
            problems.stream().limit(40).collect(Collectors.joining("\n"))
                + (problems.size() > 40 ? "\n... " + (problems.size() - 40) + " more" : ""))
        .isEmpty();

    System.out.printf(
        Locale.ROOT,
        "%s: %s; %s lost, its %d clients resumed %d ms after; %s%n",
        kill ? "kill" : "stop",
        settings,
        gone.id,
        moving.size(),
        TimeUnit.NANOSECONDS.toMillis(resumedAt - lostAt),
        audit.summary());

    // The traffic went on after the failover: the moved clients' last sends were accepted and
    // delivered (the audit above checked where).
    for (Peer p : moving) {
      String last = p.name + "#" + ROUNDS;
      Long seq = p.record.tried.get(last);
      assertThat(seq).as("%s sent %s after resuming %s", p.name, last, context).isNotNull();
      assertThat(p.record.accepted)
          .as("%s's %s accepted %s", p.name, last, context)
          .contains(seq);
    }
  }

  /** Rounds {@code from..to}: every client, in a seeded order, sends one message, paced. */
  private void traffic(Random random, int from, int to, boolean broadcastsOnly) {
    for (int r = from; r <= to; r++) {
      List<Peer> order = new ArrayList<>(peers);
      java.util.Collections.shuffle(order, random);
      for (Peer p : order) {
        String recipient = null;
        if (!broadcastsOnly && random.nextBoolean()) {
          Peer other = peers.get(random.nextInt(CLIENTS - 1));
          recipient = (other == p ? peers.get(CLIENTS - 1) : other).name;
        }
        String text = p.name + "#" + r;
        MessagingClient c = java.util.Objects.requireNonNull(p.client);
        try {
          p.record.sent(text, recipient, c.send(recipient, text));
        } catch (RuntimeException e) {
          p.record.sendThrew(text, recipient, e);
        }
        long due = System.nanoTime() + PACE_NANOS;
        long left;
        while ((left = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(left);
        }
      }
    }
  }

  private long expectedDeliveries() {
    long n = 0;
    for (Peer p : peers) {
      java.util.Map<Long, String> numbers = p.record.numbers(new ArrayList<>());
      for (long seq : p.record.accepted) {
        String text = numbers.get(seq);
        if (text != null) {
          n += "*".equals(p.record.targets.get(text)) ? CLIENTS : 1;
        }
      }
    }
    return n;
  }

  private long received() {
    return peers.stream().mapToLong(p -> p.record.received.size()).sum();
  }

  private String describe() {
    return peers.stream().map(Peer::describe).collect(Collectors.joining("\n")) + "\n";
  }

  private static String logs(List<ServerProcesses.Server> servers) {
    return servers.stream()
        .map(s -> "--- " + s.id + "\n" + s.tail(30))
        .collect(Collectors.joining("\n"));
  }
}
