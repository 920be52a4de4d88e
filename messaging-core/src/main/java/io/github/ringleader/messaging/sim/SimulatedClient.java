package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.client.ClientLink;
import io.github.ringleader.messaging.client.ClientSession;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.node.MessagingNode;
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
  private final String serverId;
  private final long latencyNanos;
  private final ClientSession session;
  private final List<ServerEvent> events = new ArrayList<>();
  private final MessagingNode.ClientConnection connection;
  private boolean linkOpen = true;

  SimulatedClient(
      VirtualTimeScheduler scheduler,
      MessagingNode server,
      Duration latency,
      ClientSession.@Nullable Listener listener) {
    this.scheduler = scheduler;
    this.serverId = server.id().value();
    this.latencyNanos = latency.toNanos();
    ClientSession.Listener target = listener != null ? listener : new ClientSession.Listener() {};
    this.session = new ClientSession(request -> later(() -> toServer(request)), target);
    this.connection = server.connectClient(new Link());
  }

  private MessagingNode.ClientConnection toServer(io.github.ringleader.messaging.client.ClientRequest request) {
    if (linkOpen) {
      connection.request(request);
    }
    return connection;
  }

  private void later(Runnable action) {
    scheduler.schedule(Duration.ofNanos(latencyNanos), action);
  }

  /** The server's side of the in-memory connection. */
  private final class Link implements ClientLink {
    @Override
    public void send(ServerEvent event) {
      later(
          () -> {
            if (linkOpen) {
              events.add(event);
              session.onEvent(event);
            }
          });
    }

    @Override
    public void close() {
      later(() -> linkOpen = false);
    }
  }

  /** The server this client is connected to. */
  public String serverId() {
    return serverId;
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
    return linkOpen;
  }

  /** The connection breaks (its server died); the server hears nothing. */
  void serverGone() {
    if (linkOpen) {
      linkOpen = false;
      session.onDisconnected();
    }
  }

  /** The client drops the connection without a goodbye. */
  public void disconnect() {
    if (linkOpen) {
      linkOpen = false;
      later(connection::closed);
      session.onDisconnected();
    }
  }
}
