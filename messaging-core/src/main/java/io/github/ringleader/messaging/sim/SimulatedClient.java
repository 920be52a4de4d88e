package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientSession;
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
 */
public final class SimulatedClient {
  private final VirtualTimeScheduler scheduler;
  private final long latencyNanos;
  private final ClientSession session;
  private final List<ServerEvent> events = new ArrayList<>();
  /** The current connection; a client that resumes elsewhere gets a new one. */
  private Link link;

  SimulatedClient(
      VirtualTimeScheduler scheduler,
      MessagingNode server,
      Duration latency,
      ClientSession.@Nullable Listener listener) {
    this.scheduler = scheduler;
    this.latencyNanos = latency.toNanos();
    ClientSession.Listener target = listener != null ? listener : new ClientSession.Listener() {};
    this.session = new ClientSession(request -> later(() -> link.request(request)), target);
    this.link = new Link(server);
  }

  private void later(Runnable action) {
    scheduler.schedule(Duration.ofNanos(latencyNanos), action);
  }

  /** One in-memory connection to one server; the server's side is {@link ClientLink}. */
  private final class Link implements ClientLink {
    final String serverId;
    final MessagingNode.ClientConnection connection;
    boolean open = true;

    Link(MessagingNode server) {
      this.serverId = server.id().value();
      this.connection = server.connectClient(this);
    }

    void request(io.github.ringleader.messaging.session.ClientRequest request) {
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
        }
      });
    }

    @Override
    public void close() {
      later(() -> open = false);
    }
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

  /** The connection breaks (its server died); the server hears nothing. */
  void serverGone() {
    if (link.open) {
      link.open = false;
      session.onDisconnected();
    }
  }

  /** The client drops the connection without a goodbye. */
  public void disconnect() {
    if (link.open) {
      link.open = false;
      later(link.connection::closed);
      session.onDisconnected();
    }
  }
}
