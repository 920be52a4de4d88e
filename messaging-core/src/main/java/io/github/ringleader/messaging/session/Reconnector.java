package io.github.ringleader.messaging.session;

import io.github.ringleader.messaging.node.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's failover policy, without I/O, clock or threads: when to ping its server, when to give
 * a silent server up, which server to try next and when, whether to resume the session or join
 * afresh, and when to stop trying. Both the TCP client ({@code MessagingClient}) and the simulated
 * one ({@code SimulatedClient}) run it, so the randomized simulations test the real policy.
 *
 * <p><b>Driving it.</b> The owner tells it what happened ({@link #connected}, {@link #heard},
 * {@link #connectionLost}, {@link #attemptFailed}, {@link #refused}, {@link #servers}, {@link
 * #close}), then calls {@link #onTick(long)} with the time and acts on the {@link Action}s it
 * returns, in order; it calls {@code onTick} again no later than {@link #nextDeadlineNanos()}.
 * Time is any monotonic nanosecond clock ({@code System.nanoTime()}, virtual time). Not
 * thread-safe: the owner serializes calls.
 *
 * <p><b>The policy.</b> While connected: a ping every {@code pingInterval}; a server silent for
 * more than {@code pingTimeout} is given up ({@link DropServer}). Once the connection is lost:
 * rounds of attempts over the {@linkplain #candidateOrder candidates}, the first round at once,
 * round <i>n</i> after a random delay in [0, min(backoffMax, backoffMin × 2<sup>n−1</sup>)] ("full
 * jitter", so that a dead server's clients do not stampede one survivor). An attempt resumes the
 * session while it can be resumed and joins afresh after the cluster said it ended ({@link
 * SessionEnded}); a server that is full, or busy (one that came up after the client's last
 * message sends it to an older one), is followed where it redirects, once, or passed over for
 * the next candidate; a refused credential ends it all ({@link GiveUp}); a name still taken (the
 * cluster has not yet noticed the crash) ends the round, since every server would say the same.
 */
public final class Reconnector {
  private static final Logger log = LoggerFactory.getLogger(Reconnector.class);

  /** Backoff ceilings stop doubling after this many rounds (and never overflow). */
  private static final int MAX_DOUBLINGS = 20;

  /** A server to try: where to reach it and, when known, its id. */
  public record Candidate(String host, int port, @Nullable NodeId server) {
    public Candidate {
      Objects.requireNonNull(host, "host");
    }

    /** Candidates are the same place when host (case aside) and port are. */
    String place() {
      return host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * The policy's timings.
   *
   * @param pingInterval how often to ping a server while connected
   * @param pingTimeout how long a server may stay silent before it is given up (at least the
   *     interval)
   * @param backoffMin the ceiling of the random wait before the second round
   * @param backoffMax the ceiling's limit
   * @param joinTimeout how long a fresh join may take
   * @param resumeTimeout how long a resume may take (the cluster answers it only once it has let
   *     go of the lost server, after its failure detection time)
   */
  public record Timings(
      Duration pingInterval,
      Duration pingTimeout,
      Duration backoffMin,
      Duration backoffMax,
      Duration joinTimeout,
      Duration resumeTimeout) {
    /** The client's defaults: ping 1 s / 3 s, backoff 50 ms–2 s, join 5 s, resume 15 s. */
    public static final Timings DEFAULTS = new Timings(
        Duration.ofSeconds(1),
        Duration.ofSeconds(3),
        Duration.ofMillis(50),
        Duration.ofSeconds(2),
        Duration.ofSeconds(5),
        Duration.ofSeconds(15));

    public Timings {
      positive("pingInterval", pingInterval);
      positive("pingTimeout", pingTimeout);
      positive("backoffMin", backoffMin);
      positive("backoffMax", backoffMax);
      positive("joinTimeout", joinTimeout);
      positive("resumeTimeout", resumeTimeout);
      if (pingTimeout.compareTo(pingInterval) < 0) {
        throw new IllegalArgumentException(
            "pingTimeout " + pingTimeout + " is shorter than pingInterval " + pingInterval);
      }
      if (backoffMax.compareTo(backoffMin) < 0) {
        throw new IllegalArgumentException(
            "backoffMax " + backoffMax + " is below backoffMin " + backoffMin);
      }
    }

    private static void positive(String what, Duration value) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be > 0, was " + value);
      }
    }
  }

  /** What the owner is to do; {@link #onTick} returns them in the order to do them. */
  public sealed interface Action
      permits SendPing, DropServer, Attempt, AbandonAttempt, SessionEnded, RoundFailed, GiveUp {}

  /** Ping the server (ask for the server list): its answer proves it alive. */
  public record SendPing() implements Action {}

  /**
   * The server has been silent too long: close its connection, and report {@link
   * #connectionLost} once it is closed.
   */
  public record DropServer(String reason) implements Action {}

  /**
   * Connect to {@code to} and resume the session there ({@code resume}) or join afresh; report
   * the outcome ({@link #connected}, {@link #refused} or {@link #attemptFailed}) by {@code
   * deadlineNanos}, or the policy gives the attempt up itself ({@link AbandonAttempt}).
   */
  public record Attempt(Candidate to, boolean resume, long deadlineNanos, int round)
      implements Action {}

  /**
   * The attempt at {@code to} got no answer by its deadline: close its connection; the policy has
   * moved on, so nothing more is to be reported about it.
   */
  public record AbandonAttempt(Candidate to, String reason) implements Action {}

  /**
   * The cluster says the session has ended: give up its unanswered messages and tell the user;
   * the next attempt (at once, at the same server) joins afresh.
   */
  public record SessionEnded(String reason) implements Action {}

  /**
   * A round failed ({@code failures}: each server tried and why); the next, {@code round}, starts
   * within {@code nextRoundWithin}.
   */
  public record RoundFailed(int round, String failures, Duration nextRoundWithin)
      implements Action {}

  /** Stop trying: the cluster will not take this client back ({@code reason}); the client ends. */
  public record GiveUp(String reason) implements Action {}

  /** Where the policy is. */
  public enum State {
    /** Not joined yet: the first join is the owner's business. */
    NEW,
    /** Joined: pinging, watching for silence. */
    CONNECTED,
    /** Gave a silent server up; waits for its connection to be reported lost. */
    DROPPING,
    /** Between attempts: the next one is due at the retry time. */
    WAITING,
    /** An attempt is under way: waits for its outcome or its deadline. */
    ATTEMPTING,
    /** Closed, or given up: no more deadlines. */
    ENDED
  }

  private final Timings timings;
  private final List<Candidate> seeds;
  private final Random random;
  private final List<Action> pending = new ArrayList<>();

  private State state = State.NEW;
  private ServerEvent.@Nullable Servers servers;

  // connected
  private @Nullable NodeId server;
  private @Nullable Candidate serverAt;
  private long lastHeardNanos;
  private long nextPingNanos;

  // reconnecting
  private boolean resume;
  private int round;
  private List<Candidate> candidates = List.of();
  private int index;
  private @Nullable Candidate redirect;
  private boolean redirected;
  private @Nullable Attempt attempt;
  private long retryAtNanos;
  private final List<String> failures = new ArrayList<>();

  /**
   * @param seeds the addresses the client was built with: tried after the servers it has heard of
   * @param random the source of backoff jitter (seeded in tests and simulations)
   */
  public Reconnector(Timings timings, List<Candidate> seeds, Random random) {
    this.timings = Objects.requireNonNull(timings, "timings");
    this.seeds = List.copyOf(seeds);
    this.random = Objects.requireNonNull(random, "random");
  }

  public State state() {
    return state;
  }

  /** The current (or last) reconnect round: 0 is the one right after the loss. */
  public int round() {
    return round;
  }

  /** Whether the next attempt resumes the session (rather than joining afresh). */
  public boolean resuming() {
    return resume;
  }

  // ---------------------------------------------------------------- events

  /** The latest server list (from any server): the candidates' order and redirects use it. */
  public void servers(ServerEvent.Servers list) {
    this.servers = Objects.requireNonNull(list, "list");
  }

  /**
   * Joined or resumed on {@code server}, reached at {@code at}: pinging starts, the first after
   * one interval.
   */
  public void connected(long nowNanos, NodeId server, Candidate at) {
    if (state == State.ENDED) {
      return;
    }
    this.server = server;
    this.serverAt = at;
    this.lastHeardNanos = nowNanos;
    this.nextPingNanos = nowNanos + timings.pingInterval().toNanos();
    this.attempt = null;
    this.redirect = null;
    this.round = 0;
    to(State.CONNECTED, "joined " + server + " at " + at);
  }

  /** Something arrived from the connected server. */
  public void heard(long nowNanos) {
    if (nowNanos - lastHeardNanos > 0) {
      lastHeardNanos = nowNanos;
    }
  }

  /**
   * The connection to the joined server is gone ({@code reason}); {@code canResume}: whether the
   * session can be resumed. The first round starts at once. Ignored unless connected.
   */
  public void connectionLost(long nowNanos, String reason, boolean canResume) {
    if (state != State.CONNECTED && state != State.DROPPING) {
      return;
    }
    this.resume = canResume;
    this.round = 0;
    startRound(nowNanos);
    to(State.WAITING, "lost " + server + ": " + reason);
  }

  /** The current attempt failed before any answer ({@code why}): the next candidate, at once. */
  public void attemptFailed(long nowNanos, String why) {
    Attempt current = attempt;
    if (state != State.ATTEMPTING || current == null) {
      return;
    }
    failures.add(current.to() + ": " + why);
    next(nowNanos);
  }

  /**
   * The server of the current attempt refused it: {@code code}, {@code reason}, and for a full
   * server where to go instead ({@code redirectTo}, an id of the latest server list).
   */
  public void refused(
      long nowNanos, ServerEvent.Reason code, String reason, @Nullable NodeId redirectTo) {
    Attempt current = attempt;
    if (state != State.ATTEMPTING || current == null) {
      return;
    }
    switch (code) {
      case NOT_AUTHENTICATED, NOT_AUTHORIZED -> {
        // The credential is no longer good (a changed password, a removed user): trying again
        // would only be refused again, and count as guessing.
        pending.add(
            new GiveUp("the cluster no longer accepts this client's credential: " + reason));
        attempt = null;
        to(State.ENDED, "credential refused: " + reason);
      }
      case SESSION_ENDED -> {
        if (current.resume()) {
          resume = false;
          pending.add(new SessionEnded(reason));
          retryNow(nowNanos, current.to(), "the session ended; joining afresh");
        } else {
          failures.add(current.to() + ": " + reason);
          endRound(nowNanos);
        }
      }
      case SERVER_FULL, BUSY -> {
        // This server's own trouble (no room; or it came up after the client's last message
        // and cannot replay what it missed, and names one that may): go where it says, once,
        // else on to the next candidate.
        Candidate there =
            redirectTo == null ? null : known(redirectTo, current.to().host());
        if (there != null && !redirected) {
          redirected = true;
          retryNow(nowNanos, there, current.to() + " sends the client to " + there);
        } else {
          failures.add(current.to() + ": " + code + " " + reason);
          next(nowNanos);
        }
      }
      default -> {
        // The name is cluster-wide (NAME_TAKEN): another server would say the same. After a
        // crash it stays taken until the cluster notices the crash; try again next round.
        failures.add(current.to() + ": " + code + " " + reason);
        endRound(nowNanos);
      }
    }
  }

  /** The client is closing: no more actions, no more deadlines. */
  public void close() {
    pending.clear();
    to(State.ENDED, "closed");
  }

  // ---------------------------------------------------------------- time

  /**
   * When {@link #onTick} has something to do next ({@link Long#MAX_VALUE}: nothing, until an
   * event); at most now when actions are waiting.
   */
  public long nextDeadlineNanos() {
    if (!pending.isEmpty()) {
      return Long.MIN_VALUE;
    }
    return switch (state) {
      case CONNECTED ->
        Math.min(nextPingNanos, lastHeardNanos + timings.pingTimeout().toNanos() + 1);
      case WAITING -> retryAtNanos;
      case ATTEMPTING -> Objects.requireNonNull(attempt).deadlineNanos();
      case NEW, DROPPING, ENDED -> Long.MAX_VALUE;
    };
  }

  /** What to do now, in order: the actions events produced, then whatever is due. */
  public List<Action> onTick(long nowNanos) {
    List<Action> actions = new ArrayList<>(pending);
    pending.clear();
    switch (state) {
      case CONNECTED -> {
        long silent = nowNanos - lastHeardNanos;
        if (silent > timings.pingTimeout().toNanos()) {
          String why =
              "no answer from " + server + " for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms";
          actions.add(new DropServer(why));
          to(State.DROPPING, why);
        } else if (nowNanos - nextPingNanos >= 0) {
          actions.add(new SendPing());
          nextPingNanos = nowNanos + timings.pingInterval().toNanos();
        }
      }
      case ATTEMPTING -> {
        Attempt current = Objects.requireNonNull(attempt);
        if (nowNanos - current.deadlineNanos() >= 0) {
          String why = "no answer within "
              + TimeUnit.NANOSECONDS.toMillis(timeoutNanos(current.resume())) + " ms";
          actions.add(new AbandonAttempt(current.to(), why));
          failures.add(current.to() + ": " + why);
          next(nowNanos);
          actions.addAll(pending);
          pending.clear();
        }
      }
      default -> {}
    }
    if (state == State.WAITING && nowNanos - retryAtNanos >= 0) {
      Candidate to = redirect != null ? redirect : candidates.get(index);
      redirect = null;
      Attempt next = new Attempt(to, resume, nowNanos + timeoutNanos(resume), round);
      attempt = next;
      actions.add(next);
      to(State.ATTEMPTING, (resume ? "resuming at " : "joining at ") + to);
    }
    return actions;
  }

  // ---------------------------------------------------------------- the rules

  /**
   * Where to try, in order: the other servers of the latest list that take clients, those with
   * room first, then the least loaded (then by id); then the lost server; then the addresses the
   * client was built with. Each place once. Servers without a client port are skipped.
   */
  public static List<Candidate> candidateOrder(
      ServerEvent.@Nullable Servers known,
      @Nullable NodeId lost,
      @Nullable Candidate lostAt,
      List<Candidate> seeds) {
    Map<String, Candidate> order = new LinkedHashMap<>();
    String knownHost = lostAt != null ? lostAt.host() : "";
    if (known != null) {
      // Those that take clients, the lost one aside: with room first, then the least loaded.
      Placement.inPreferenceOrder(known.servers(), lost)
          .forEach(s -> order.putIfAbsent(reach(s, knownHost).place(), reach(s, knownHost)));
    }
    if (lostAt != null) {
      order.putIfAbsent(lostAt.place(), lostAt);
    }
    for (Candidate seed : seeds) {
      order.putIfAbsent(seed.place(), seed);
    }
    return new ArrayList<>(order.values());
  }

  /**
   * The ceiling of the random wait before round {@code round} (1 and up): {@code backoffMin},
   * doubling each round, at most {@code backoffMax}.
   */
  public static long backoffCeilingNanos(Timings timings, int round) {
    long min = timings.backoffMin().toNanos();
    long max = timings.backoffMax().toNanos();
    int doublings = Math.min(Math.max(round - 1, 0), MAX_DOUBLINGS);
    return min > (max >> doublings) ? max : Math.min(max, min << doublings);
  }

  /** Where to reach {@code server}: its announced host, else {@code knownHost}. */
  public static Candidate reach(ServerEvent.ServerInfo server, String knownHost) {
    String host = server.host().isEmpty() ? knownHost : server.host();
    return new Candidate(host, server.port(), server.id());
  }

  private @Nullable Candidate known(NodeId id, String knownHost) {
    ServerEvent.Servers list = servers;
    if (list == null) {
      return null;
    }
    return list.server(id)
        .filter(s -> s.port() > 0)
        .map(s -> reach(s, knownHost))
        .orElse(null);
  }

  private long timeoutNanos(boolean resuming) {
    return (resuming ? timings.resumeTimeout() : timings.joinTimeout()).toNanos();
  }

  private void startRound(long nowNanos) {
    candidates = candidateOrder(servers, server, serverAt, seeds);
    index = 0;
    redirect = null;
    redirected = false;
    failures.clear();
    attempt = null;
    retryAtNanos = nowNanos;
  }

  /** The next candidate of this round, at once; or, if none is left, the round failed. */
  private void next(long nowNanos) {
    attempt = null;
    redirect = null;
    redirected = false;
    index++;
    if (index < candidates.size()) {
      retryAtNanos = nowNanos;
      to(State.WAITING, "next candidate");
    } else {
      endRound(nowNanos);
    }
  }

  private void retryNow(long nowNanos, Candidate at, String why) {
    attempt = null;
    redirect = at;
    retryAtNanos = nowNanos;
    to(State.WAITING, why);
  }

  /** The round failed: the next waits a random part of its ceiling. */
  private void endRound(long nowNanos) {
    String why = String.join("; ", failures);
    round++;
    long ceiling = backoffCeilingNanos(timings, round);
    // "Full jitter": anywhere from nothing to the ceiling, so clients spread out.
    long delay = random.nextLong(ceiling + 1);
    pending.add(new RoundFailed(round, why, Duration.ofNanos(ceiling)));
    startRound(nowNanos);
    retryAtNanos = nowNanos + delay;
    to(State.WAITING, "round " + round + " in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
  }

  private void to(State next, String why) {
    if (log.isDebugEnabled() && next != state) {
      log.debug("{} -> {}: {}", state, next, why);
    }
    state = next;
  }
}
