package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.node.NodeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Randomized fault injection in virtual time: servers crash, restart and freeze (as in a long GC
 * pause), the network splits and heals, and loses (0–20 %), duplicates and reorders messages.
 * Then the faults stop (loss too; a quarter of the runs keep a partition in place) and, within
 * {@link #CONVERGENCE_BOUND}, every connected group must agree on exactly one leader — its highest
 * live id — with the same membership view on every member, and stay that way.
 *
 * <p>After every event, each running node's local state must be consistent (the invariants every
 * {@link SimulatedCluster} checks, in {@code ClusterInvariants}); once the group has converged,
 * agreement must hold after every event.
 *
 * <p>Runs {@code ringleader.sim.seeds} seeds (1,000 by default; {@code
 * -Dringleader.sim.seeds=100000} for more). A failing seed prints itself and replays alone:
 *
 * <pre>
 * mvn -pl messaging-core test -Dtest=RandomizedElectionSimulationTest -Dringleader.sim.seed=SEED
 * </pre>
 */
class RandomizedElectionSimulationTest {

  static final Duration FAULT_PHASE = Duration.ofSeconds(60);
  /**
   * Worst case after the last fault with the default timings: a crashed leader is noticed after
   * the 6 s failure timeout; tokens sent to other crashed servers not yet noticed cost 5 × 200 ms
   * per hop; a healed partition is noticed with the next 2 s heartbeat. A server frozen when the
   * faults stop (pauses last up to 10 s) wakes up to 10 s later and then gives every member a
   * fresh failure timeout before it declares anyone dead (see MessagingNode#excuseLocalStall), so
   * it may need 10 + 6 s and an election: 20 s covers that.
   */
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(20);

  static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(2);
  static final Duration FAILURE_TIMEOUT = HEARTBEAT_INTERVAL.multipliedBy(3);
  /** How long agreement must then hold, checked after every event. */
  static final Duration STABLE_PHASE = Duration.ofSeconds(30);

  @Test
  void everyConnectedGroupConvergesOnItsHighestLiveIdAfterFaultsStop() {
    String replay = System.getProperty("ringleader.sim.seed", "");
    if (!replay.isBlank()) {
      Outcome outcome = run(Long.parseLong(replay.trim()));
      System.out.println(outcome.describe());
      assertThat(outcome.failure).as(outcome.describe()).isNull();
      return;
    }
    int seeds = Integer.getInteger("ringleader.sim.seeds", 1000);
    long slowest = 0;
    long slowestSeed = -1;
    long events = 0;
    for (long seed = 1; seed <= seeds; seed++) {
      Outcome outcome = run(seed);
      if (outcome.failure != null) {
        throw new AssertionError(outcome.describe());
      }
      events += outcome.events;
      if (outcome.convergedAfterNanos > slowest) {
        slowest = outcome.convergedAfterNanos;
        slowestSeed = seed;
      }
    }
    System.out.printf(
        "election simulation: %d seeds passed, %d events; slowest convergence %d ms after the faults"
            + " stopped (seed %d), bound %d ms%n",
        seeds, events, slowest / 1_000_000, slowestSeed, CONVERGENCE_BOUND.toMillis());
  }

  /** What one seed did, and how it ended. */
  static final class Outcome {
    final long seed;
    final List<String> timeline = new ArrayList<>();

    @Nullable
    String failure;

    long convergedAfterNanos;
    long events;

    Outcome(long seed) {
      this.seed = seed;
    }

    String describe() {
      StringBuilder text = new StringBuilder();
      text.append("election simulation seed ").append(seed);
      text.append(failure == null ? " passed" : " FAILED: " + failure).append('\n');
      text.append("replay: mvn -pl messaging-core test -Dtest=RandomizedElectionSimulationTest")
          .append(" -Dringleader.sim.seed=")
          .append(seed)
          .append(" [-Dorg.slf4j.simpleLogger.defaultLogLevel=debug]\n");
      text.append("timeline:\n");
      for (String line : timeline) {
        text.append("  ").append(line).append('\n');
      }
      return text.toString();
    }
  }

  static Outcome run(long seed) {
    Outcome outcome = new Outcome(seed);
    Random random = new Random(seed * 0x9E3779B97F4A7C15L);
    int size = 3 + random.nextInt(6);
    List<String> ids = pickIds(random, size);
    LinkConditions faulty = new LinkConditions(
        Duration.ofMillis(1),
        Duration.ofMillis(1 + random.nextInt(50)),
        random.nextDouble() * 0.20,
        random.nextDouble() * 0.10,
        random.nextDouble() * 0.10);
    VirtualTimeScheduler[] clock = new VirtualTimeScheduler[1];
    SimulatedCluster cluster = SimulatedCluster.builder()
        .seed(seed)
        .linkConditions(faulty)
        .configure((id, node) -> node.listener(new TimelineRecorder(id, clock, outcome.timeline)))
        .build();
    VirtualTimeScheduler scheduler = cluster.scheduler();
    clock[0] = scheduler;
    SimulatedNetwork network = cluster.network();
    outcome.timeline.add(String.format(
        "%d servers %s; latency 1-%d ms, loss %.1f%%, duplicates %.1f%%, reordered %.1f%%",
        size,
        ids,
        faulty.maxLatency().toMillis(),
        faulty.lossRate() * 100,
        faulty.duplicateRate() * 100,
        faulty.reorderRate() * 100));

    List<List<NodeId>> groups = new ArrayList<>();
    boolean[] mustAgree = {false};
    boolean[] watching = {false};
    long[] firstAgreement = {-1};
    try {
      scheduler.afterEachEvent(() -> {
        if (watching[0]) {
          if (disagreement(cluster, groups) == null) {
            if (firstAgreement[0] < 0) {
              firstAgreement[0] = scheduler.nanoTime();
            }
          } else {
            firstAgreement[0] = -1;
          }
        }
        if (mustAgree[0]) {
          String problem = disagreement(cluster, groups);
          if (problem != null) {
            throw new InvariantViolation("agreement lost after convergence: " + problem);
          }
        }
      });

      // Servers start at random moments in the first five seconds.
      for (String id : ids) {
        long at = random.nextInt(5000);
        scheduler.schedule(Duration.ofMillis(at), () -> {
          outcome.timeline.add(at(scheduler) + "start " + id);
          cluster.start(id);
        });
      }
      scheduler.runFor(Duration.ofSeconds(5));

      // Fault phase.
      Set<String> down = new TreeSet<>();
      long faultEnd = scheduler.nanoTime() + FAULT_PHASE.toNanos();
      while (true) {
        long gap = 500 + random.nextInt(8000);
        if (scheduler.nanoTime() + gap * 1_000_000 >= faultEnd) {
          break;
        }
        scheduler.runFor(Duration.ofMillis(gap));
        injectFault(random, cluster, ids, down, outcome.timeline);
      }
      scheduler.runFor(Duration.ofNanos(Math.max(0, faultEnd - scheduler.nanoTime())));

      // Faults stop: no loss; duplication, reordering and latency stay. A quarter of the runs
      // keep a partition, so each side must converge on its own.
      network.setConditions(faulty.withLossRate(0));
      network.heal();
      List<NodeId> running = new ArrayList<>(cluster.runningIds());
      Collections.sort(running);
      if (running.size() >= 2 && random.nextInt(4) == 0) {
        Collections.shuffle(running, random);
        int cut = 1 + random.nextInt(running.size() - 1);
        groups.add(new ArrayList<>(running.subList(0, cut)));
        groups.add(new ArrayList<>(running.subList(cut, running.size())));
        network.partition(groups);
      } else {
        groups.add(running);
      }
      outcome.timeline.add(at(scheduler) + "faults stop; connected groups " + groups);
      watching[0] = true;

      long stoppedAt = scheduler.nanoTime();
      // Silence that began before the stop can still fail a member until one failure timeout
      // after it, so agreement counts from then on.
      long settledAt = stoppedAt + FAILURE_TIMEOUT.plus(HEARTBEAT_INTERVAL).toNanos();
      boolean converged = scheduler.runUntil(
          () -> scheduler.nanoTime() >= settledAt && disagreement(cluster, groups) == null,
          CONVERGENCE_BOUND);
      long agreedSince = firstAgreement[0] >= 0 ? firstAgreement[0] : scheduler.nanoTime();
      if (!converged) {
        outcome.failure = "no agreement within "
            + CONVERGENCE_BOUND.toSeconds()
            + " s after the faults stopped: "
            + disagreement(cluster, groups)
            + "\n"
            + describeNodes(cluster);
        return outcome;
      }
      outcome.convergedAfterNanos = agreedSince - stoppedAt;
      outcome.timeline.add(at(scheduler) + "converged: " + cluster.agreedLeader(groups.get(0)));
      mustAgree[0] = true;
      scheduler.runFor(STABLE_PHASE);
    } catch (InvariantViolation e) {
      outcome.failure = at(scheduler) + e.getMessage() + "\n" + describeNodes(cluster);
    } finally {
      outcome.events = scheduler.eventsRun();
    }
    return outcome;
  }

  private static void injectFault(
      Random random,
      SimulatedCluster cluster,
      List<String> ids,
      Set<String> down,
      List<String> timeline) {
    VirtualTimeScheduler scheduler = cluster.scheduler();
    SimulatedNetwork network = cluster.network();
    List<String> up = new ArrayList<>();
    for (String id : ids) {
      if (!down.contains(id)) {
        up.add(id);
      }
    }
    int choice = random.nextInt(8);
    if (choice == 0 && up.size() > 1) {
      String victim = up.get(random.nextInt(up.size()));
      cluster.crash(victim);
      down.add(victim);
      timeline.add(at(scheduler) + "crash " + victim);
    } else if (choice == 1 && !down.isEmpty()) {
      List<String> crashed = new ArrayList<>(down);
      String back = crashed.get(random.nextInt(crashed.size()));
      cluster.start(back);
      down.remove(back);
      timeline.add(at(scheduler) + "restart " + back);
    } else if (choice == 2) {
      List<NodeId> shuffled = new ArrayList<>();
      for (String id : ids) {
        shuffled.add(NodeId.of(id));
      }
      Collections.shuffle(shuffled, random);
      int cut = 1 + random.nextInt(shuffled.size() - 1);
      List<List<NodeId>> sides =
          List.of(shuffled.subList(0, cut), shuffled.subList(cut, shuffled.size()));
      network.partition(sides);
      timeline.add(at(scheduler) + "partition " + sides);
    } else if (choice == 3) {
      String lonely = ids.get(random.nextInt(ids.size()));
      network.isolate(NodeId.of(lonely));
      timeline.add(at(scheduler) + "isolate " + lonely);
    } else if (choice == 4) {
      network.heal();
      timeline.add(at(scheduler) + "heal");
    } else if (choice == 5) {
      double loss = random.nextDouble() * 0.20;
      network.setConditions(network.conditions().withLossRate(loss));
      timeline.add(at(scheduler) + String.format("loss now %.1f%%", loss * 100));
    } else if (choice == 6 && !up.isEmpty()) {
      String frozen = up.get(random.nextInt(up.size()));
      Duration pause = Duration.ofMillis(500 + random.nextInt(9500));
      cluster.pause(frozen, pause);
      timeline.add(at(scheduler) + "pause " + frozen + " for " + pause.toMillis() + " ms");
    } else {
      timeline.add(at(scheduler) + "quiet");
    }
  }

  /** Why the groups do not (yet) agree, or null if each agrees on its highest id. */
  static @Nullable String disagreement(SimulatedCluster cluster, List<List<NodeId>> groups) {
    for (List<NodeId> group : groups) {
      NodeId highest = Collections.max(group);
      Set<NodeId> expectedMembers = new TreeSet<>(group);
      for (NodeId id : group) {
        MessagingNode node = cluster.node(id.value());
        if (node.state() != NodeState.RUNNING) {
          return id + " is " + node.state();
        }
        if (!highest.equals(node.leader())) {
          return id + " follows " + node.leader() + ", not " + highest;
        }
        if (node.isLeader() != id.equals(highest)) {
          return id + " leads=" + node.isLeader();
        }
        Set<NodeId> seen = new LinkedHashSet<>();
        node.view().members().forEach(m -> seen.add(m.id()));
        if (!seen.equals(expectedMembers)) {
          return id + " sees members " + seen + ", group is " + expectedMembers;
        }
      }
    }
    return null;
  }

  private static String describeNodes(SimulatedCluster cluster) {
    StringBuilder text = new StringBuilder("nodes:");
    for (MessagingNode node : cluster.nodes()) {
      var view = node.view();
      text.append(String.format(
          "%n  %s %s leader=%s term=%d members=%s",
          node.id(),
          view.state(),
          view.leader(),
          view.term(),
          view.members().stream().map(m -> m.id().value()).toList()));
    }
    return text.toString();
  }

  private static List<String> pickIds(Random random, int size) {
    Set<Integer> numbers = new TreeSet<>();
    while (numbers.size() < size) {
      numbers.add(1 + random.nextInt(20));
    }
    List<String> ids = new ArrayList<>();
    for (int number : numbers) {
      ids.add("server" + number);
    }
    Collections.shuffle(ids, random);
    return ids;
  }

  private static String at(VirtualTimeScheduler scheduler) {
    return String.format("t=%7.3fs ", scheduler.nanoTime() / 1e9);
  }

  /** Writes each node's membership and leader changes into the timeline. */
  private static final class TimelineRecorder implements NodeListener {
    private final NodeId self;
    private final VirtualTimeScheduler[] clock;
    private final List<String> timeline;

    TimelineRecorder(NodeId self, VirtualTimeScheduler[] clock, List<String> timeline) {
      this.self = self;
      this.clock = clock;
      this.timeline = timeline;
    }

    private void note(String what) {
      timeline.add(at(clock[0]) + "  " + self + ": " + what);
    }

    @Override
    public void onLeaderChanged(@Nullable NodeId leader, long term) {
      note("leader " + leader + " (term " + term + ")");
    }

    @Override
    public void onMemberJoined(MemberInfo member) {
      note(member.id() + " joined (incarnation " + member.incarnation() + ")");
    }

    @Override
    public void onMemberFailed(MemberInfo member) {
      note(member.id() + " failed (incarnation " + member.incarnation() + ")");
    }

    @Override
    public void onMemberLeft(MemberInfo member) {
      note(member.id() + " left");
    }
  }

  static final class InvariantViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvariantViolation(String message) {
      super(message);
    }
  }
}
