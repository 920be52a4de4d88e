package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.Reconnector;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A client connected to one server of a {@link SimulatedCluster} over an in-memory link with a
 * fixed latency each way, in virtual time. It records every event it receives; tests read {@link
 * #events()} or pass a {@link ClientSession.Listener}.
 *
 * <p>The link breaks when its server crashes or stops: the client is told it was disconnected.
 *
 * <p><b>With failover</b> ({@link SimulatedCluster#connectWithFailover}) the client runs the same
 * failover policy as the TCP client, {@link Reconnector}, in virtual time: it pings its server,
 * gives a silent one up, and resumes its session elsewhere (or joins afresh once the cluster says
 * it ended), telling the listener as {@code MessagingClient} does ({@code onConnectionLost},
 * {@code onReconnecting}, {@code onResumed}, {@code onSessionEnded}, {@code onReconnected}); the
 * refusals and closes of its attempts are the policy's business, not the listener's.
 */
public final class SimulatedClient {
  private final VirtualTimeScheduler scheduler;
  private final long latencyNanos;
  private final ClientSession session;
  private final List<ServerEvent> events = new ArrayList<>();
  /** The current connection; a client that resumes elsewhere gets a new one. */
  private Link link;

  // ---- failover (all null or unused without it)
  private final @Nullable SimulatedCluster cluster;
  private final @Nullable Reconnector policy;
  private final ClientSession.Listener target;
  /** What the failover policy does, for a listener that wants to hear it. */
  private final FailoverListener failoverTarget;

  private boolean welcomedOnce;
  private boolean gaveUp;
  private boolean pumping;
  /** The deadline a virtual timer is set for (MAX_VALUE: none). */
  private long armedFor = Long.MAX_VALUE;

  SimulatedClient(
      VirtualTimeScheduler scheduler,
      MessagingNode server,
      Duration latency,
      ClientSession.@Nullable Listener listener) {
    this(scheduler, server, latency, listener, null, null);
  }

  SimulatedClient(
      VirtualTimeScheduler scheduler,
      MessagingNode server,
      Duration latency,
      ClientSession.@Nullable Listener listener,
      @Nullable SimulatedCluster cluster,
      @Nullable Reconnector policy) {
    this.scheduler = scheduler;
    this.latencyNanos = latency.toNanos();
    this.target = listener != null ? listener : new ClientSession.Listener() {};
    this.failoverTarget =
        listener instanceof FailoverListener failover ? failover : new FailoverListener() {};
    this.cluster = cluster;
    this.policy = policy;
    this.session = new ClientSession(
        request -> {
          Link over = link; // the connection it was written to, even if the client moves on
          later(() -> over.request(request));
        },
        policy == null ? target : new Relay());
    this.link = new Link(server);
  }

  private void later(Runnable action) {
    scheduler.schedule(Duration.ofNanos(latencyNanos), action);
  }

  /** One in-memory connection to one server; the server's side is {@link ClientLink}. */
  private final class Link implements ClientLink {
    final String serverId;
    final Reconnector.Candidate address;
    final MessagingNode.ClientConnection connection;
    boolean open = true;
    /** Welcomed or resumed over this link: its loss is a loss of the session's server. */
    boolean welcomed;
    /** The attempt over this link has had its answer (or was given up). */
    boolean answered;

    Link(MessagingNode server) {
      this.serverId = server.id().value();
      this.address = addressOf(server);
      this.connection = server.connectClient(this);
    }

    void request(ClientRequest request) {
      if (open) {
        connection.request(request);
      }
    }

    @Override
    public void send(ServerEvent event) {
      later(() -> {
        if (open && link == this) {
          events.add(event);
          session.onEvent(event);
          if (policy != null) {
            tellPolicy(this, event);
          }
        }
      });
    }

    @Override
    public void close() {
      later(() -> {
        boolean wasOpen = open;
        open = false;
        if (wasOpen && policy != null) {
          ended(this, "the server closed the connection");
        }
      });
    }
  }

  /** Where the policy reaches {@code server}: its announced host (else its id) and port. */
  static Reconnector.Candidate addressOf(MessagingNode server) {
    String host = server.config().clientHost();
    return new Reconnector.Candidate(
        host.isEmpty() ? server.id().value() : host, server.config().clientPort(), server.id());
  }

  /** The server this client is connected to (or was last). */
  public String serverId() {
    return link.serverId;
  }

  /**
   * Connects to {@code server} and asks to resume the session there (after the connection was
   * lost). The answer arrives as the simulation runs.
   */
  void resumeOn(MessagingNode server) {
    if (link.open) {
      throw new IllegalStateException("still connected to " + link.serverId);
    }
    session.detach();
    link = new Link(server);
    session.resume();
  }

  /** The client's session: {@code hello}, {@code send}, {@code bye}, its state. */
  public ClientSession session() {
    return session;
  }

  /** Every event received, in order. */
  public List<ServerEvent> events() {
    return events;
  }

  /** The messages received, in order. */
  public List<ServerEvent.Message> messages() {
    List<ServerEvent.Message> messages = new ArrayList<>();
    for (ServerEvent event : events) {
      if (event instanceof ServerEvent.Message) {
        messages.add((ServerEvent.Message) event);
      }
    }
    return messages;
  }

  /** Whether the connection is open. */
  public boolean isConnected() {
    return link.open;
  }

  /** The failover policy's state ({@link Reconnector.State#ENDED} without failover). */
  public Reconnector.State failoverState() {
    return policy == null ? Reconnector.State.ENDED : policy.state();
  }

  /** The connection breaks (its server died); the server hears nothing. */
  void serverGone() {
    if (link.open) {
      link.open = false;
      if (policy != null) {
        ended(link, "the connection broke: the server is gone");
      } else {
        session.onDisconnected();
      }
    }
  }

  /** The client drops the connection without a goodbye. */
  public void disconnect() {
    if (link.open) {
      link.open = false;
      later(link.connection::closed);
      if (policy != null) {
        ended(link, "the client dropped the connection");
      } else {
        session.onDisconnected();
      }
    }
  }

  // ---------------------------------------------------------------- failover

  /** What arrived over {@code from}, for the policy. */
  private void tellPolicy(Link from, ServerEvent event) {
    Reconnector reconnector = policyOrFail();
    long now = scheduler.nanoTime();
    reconnector.heard(now);
    if ((event instanceof ServerEvent.Welcome || event instanceof ServerEvent.Resumed)
        && session.state() == ClientSession.State.JOINED) {
      from.welcomed = true;
      from.answered = true;
      reconnector.connected(now, NodeId.of(from.serverId), from.address);
    } else if (event instanceof ServerEvent.Refused refused
        && refused.code() != ServerEvent.Reason.PROTOCOL_ERROR
        && !from.answered) {
      from.answered = true;
      reconnector.refused(now, refused.code(), refused.reason(), refused.redirect());
    } else if (event instanceof ServerEvent.Servers servers) {
      reconnector.servers(servers);
    }
    pump();
  }

  /** The connection {@code gone} ended ({@code reason}). */
  private void ended(Link gone, String reason) {
    Reconnector reconnector = policyOrFail();
    if (gone != link || gaveUp) {
      return;
    }
    long now = scheduler.nanoTime();
    if (gone.welcomed) {
      gone.welcomed = false;
      List<ClientRequest.Send> unconfirmed = session.detach();
      failoverTarget.onConnectionLost(reason, List.copyOf(unconfirmed));
      reconnector.connectionLost(now, reason, session.canResume());
    } else if (!welcomedOnce) {
      // The first join lost its connection: that is the user's business (MessagingClient.connect
      // throws), not the policy's, which starts once joined.
      session.onDisconnected();
    } else if (!gone.answered) {
      gone.answered = true;
      reconnector.attemptFailed(now, reason);
    }
    pump();
  }

  /** Does what the policy says is due, then sets a virtual timer for its next deadline. */
  private void pump() {
    Reconnector reconnector = policyOrFail();
    if (pumping) {
      return; // the outer pump asks the policy again
    }
    pumping = true;
    try {
      while (!gaveUp) {
        List<Reconnector.Action> actions = reconnector.onTick(scheduler.nanoTime());
        if (actions.isEmpty()) {
          break;
        }
        actions.forEach(this::act);
      }
    } finally {
      pumping = false;
    }
    long deadline = reconnector.nextDeadlineNanos();
    if (deadline != Long.MAX_VALUE && deadline != armedFor) {
      armedFor = deadline;
      long now = scheduler.nanoTime();
      scheduler.schedule(Duration.ofNanos(Math.max(0, deadline - now)), () -> {
        if (armedFor == deadline) {
          armedFor = Long.MAX_VALUE;
          pump();
        }
      });
    }
  }

  private void act(Reconnector.Action action) {
    Reconnector reconnector = policyOrFail();
    long now = scheduler.nanoTime();
    if (action instanceof Reconnector.SendPing) {
      if (link.open && session.state() == ClientSession.State.JOINED) {
        session.listServers();
      }
    } else if (action instanceof Reconnector.DropServer drop) {
      if (link.open) {
        link.open = false;
        later(link.connection::closed);
        ended(link, drop.reason());
      }
    } else if (action instanceof Reconnector.Attempt attempt) {
      attempt(reconnector, attempt, now);
    } else if (action instanceof Reconnector.AbandonAttempt) {
      link.answered = true;
      if (link.open) {
        link.open = false;
        later(link.connection::closed);
      }
    } else if (action instanceof Reconnector.SessionEnded ended) {
      List<ClientRequest.Send> lost = session.abandon();
      session.detach();
      failoverTarget.onSessionEnded(ended.reason(), lost);
    } else if (action instanceof Reconnector.RoundFailed failed) {
      failoverTarget.onReconnecting(failed.round(), failed.failures(), failed.nextRoundWithin());
    } else if (action instanceof Reconnector.GiveUp giveUp) {
      gaveUp = true;
      session.onDisconnected();
      target.onClosed(giveUp.reason());
    }
  }

  private void attempt(Reconnector reconnector, Reconnector.Attempt attempt, long now) {
    SimulatedCluster harness = java.util.Objects.requireNonNull(cluster);
    NodeId id = attempt.to().server() != null
        ? java.util.Objects.requireNonNull(attempt.to().server())
        : NodeId.of(attempt.to().host());
    if (session.state() != ClientSession.State.NEW) {
      session.detach(); // an earlier attempt that was turned away
    }
    MessagingNode server = harness.runningNode(id);
    if (server == null) {
      reconnector.attemptFailed(now, "connection refused: " + id + " is not running");
      return;
    }
    link = new Link(server);
    harness.track(this, server.id());
    String name = java.util.Objects.requireNonNull(session.name(), "joined before");
    if (attempt.resume() && session.canResume()) {
      session.resume();
    } else {
      session.hello(name);
    }
  }

  private Reconnector policyOrFail() {
    return java.util.Objects.requireNonNull(policy, "built without failover");
  }

  /** The session's listener with failover: a reconnect's refusals and closes stay here. */
  /**
   * A listener that also hears what the failover policy of a client made by {@link
   * SimulatedCluster#connectWithFailover} does, as {@code MessagingClient}'s connection listener
   * does. Every method has an empty default; all are called on the simulation's thread.
   */
  public interface FailoverListener extends ClientSession.Listener {
    /** The connection to the server was lost; the sends not yet answered are kept for resending. */
    default void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {}

    /** A round of reconnect attempts failed; the next starts within {@code nextRoundWithin}. */
    default void onReconnecting(int round, String lastError, Duration nextRoundWithin) {}

    /** The session could not be resumed; {@code unconfirmed} may or may not have been delivered. */
    default void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {}

    /** Welcomed again after a failover (a fresh join after the session ended). */
    default void onReconnected(ServerEvent.Welcome welcome) {}
  }

  private final class Relay implements ClientSession.Listener {
    private boolean reconnecting() {
      return welcomedOnce && !gaveUp;
    }

    @Override
    public void onWelcome(ServerEvent.Welcome welcome) {
      if (welcomedOnce) {
        failoverTarget.onReconnected(welcome);
      } else {
        welcomedOnce = true;
        target.onWelcome(welcome);
      }
    }

    @Override
    public void onResumed(ServerEvent.Resumed resumed) {
      target.onResumed(resumed);
    }

    @Override
    public void onRefused(ServerEvent.Refused refused) {
      if (!reconnecting()) {
        target.onRefused(refused);
      }
    }

    @Override
    public void onClosed(@Nullable String reason) {
      if (!reconnecting()) {
        target.onClosed(reason);
      }
    }

    @Override
    public void onAccepted(long seq) {
      target.onAccepted(seq);
    }

    @Override
    public void onRejected(ServerEvent.Rejected rejected) {
      target.onRejected(rejected);
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      target.onMessage(message);
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      target.onPresence(presence);
    }

    @Override
    public void onUsers(ServerEvent.Users users) {
      target.onUsers(users);
    }

    @Override
    public void onServers(ServerEvent.Servers servers) {
      target.onServers(servers);
    }
  }
}
