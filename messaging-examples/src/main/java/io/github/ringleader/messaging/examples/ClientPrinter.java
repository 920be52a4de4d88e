package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.examples.ClientConsole.Kind;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Shows what the server sends on the client's console, one line each, and keeps what the
 * commands need to know: who is connected and who has left. Text from the network goes through
 * {@link TerminalText#printable} first.
 */
final class ClientPrinter implements ClientSession.Listener {
  /** How many departed names are remembered for {@link #hasLeft}. */
  private static final int LEFT_REMEMBERED = 1000;

  private final String self;
  private final String givenHost;
  private final int givenPort;
  private final ClientConsole console;
  private final Set<String> users = new ConcurrentSkipListSet<>(String.CASE_INSENSITIVE_ORDER);
  /** Who left during this session and has not come back, oldest first. */
  private final Set<String> left = Collections.synchronizedSet(new LinkedHashSet<>());

  private final CountDownLatch firstUserList = new CountDownLatch(1);
  private final AtomicInteger serverListsToPrint = new AtomicInteger();
  private volatile ServerEvent.@Nullable Servers servers;
  private volatile boolean welcomed;
  private volatile boolean moving;

  ClientPrinter(String self, String givenHost, int givenPort, ClientConsole console) {
    this.self = self;
    this.givenHost = givenHost;
    this.givenPort = givenPort;
    this.console = console;
  }

  /** Whether {@code name} is connected now (ignoring case). */
  boolean isConnected(String name) {
    return users.contains(name);
  }

  /** Whether {@code name} left during this session and has not joined again (ignoring case). */
  boolean hasLeft(String name) {
    synchronized (left) {
      return left.contains(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** The connected users other than this one, for completion. */
  List<String> others() {
    return users.stream().filter(u -> !u.equalsIgnoreCase(self)).toList();
  }

  void awaitFirstUserList(Duration timeout) {
    try {
      firstUserList.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void printNextServers() {
    serverListsToPrint.incrementAndGet();
  }

  private void line(Kind kind, String text) {
    console.show(kind, text);
  }

  @Override
  public void onWelcome(ServerEvent.Welcome welcome) {
    welcomed = true;
    line(Kind.STATUS, "connected to " + welcome.server() + addressOf(welcome.server()));
    line(Kind.STATUS, "type \"help\" for the commands");
  }

  @Override
  public void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {
    // The unconfirmed messages are sent again when the session resumes; onSessionEnded says if
    // that cannot happen. A server that asks its clients to move is sharing load: no failure.
    if (reason.contains("please move")) {
      moving = true;
      line(Kind.STATUS, "moving to a less busy server");
    } else {
      moving = false;
      line(Kind.STATUS, "connection lost: " + TerminalText.printable(reason) + "; reconnecting");
    }
  }

  @Override
  public void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {
    line(
        Kind.PROBLEM,
        "the session could not be resumed (" + TerminalText.printable(reason)
            + "); joining again as " + self + " (messages sent to you meanwhile are lost)");
    for (ClientRequest.Send send : unconfirmed) {
      line(
          Kind.PROBLEM,
          "not confirmed (may not have been delivered): " + TerminalText.printable(send.text()));
    }
  }

  @Override
  public void onResumed(ServerEvent.Resumed resumed) {
    line(
        Kind.STATUS,
        (moving ? "moved to " : "reconnected to ")
            + resumed.server()
            + addressOf(resumed.server()));
    moving = false;
    if (!resumed.complete()) {
      line(Kind.PROBLEM, "some messages sent to you while you were away could not be kept");
    }
  }

  @Override
  public void onReconnecting(int round, String lastError, Duration nextRoundWithin) {
    if (round == 1 || round % 10 == 0) {
      line(
          Kind.STATUS,
          "still reconnecting (attempt " + round + "): " + TerminalText.printable(lastError));
    }
  }

  @Override
  public void onReconnected(ServerEvent.Welcome welcome) {
    line(Kind.STATUS, "reconnected to " + welcome.server() + addressOf(welcome.server()));
    moving = false;
  }

  @Override
  public void onServers(ServerEvent.Servers list) {
    servers = list;
    if (serverListsToPrint.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
      return; // news the server sent unasked: kept for the next "connected to" line
    }
    StringBuilder text = new StringBuilder("servers:");
    for (ServerEvent.ServerInfo server : list.servers()) {
      text.append(String.format(
          "%n  %-12s %-21s %d/%d clients%s%s",
          server.id(),
          address(server),
          server.clients(),
          server.capacity(),
          server.leader() ? "  leader" : "",
          server.id().equals(list.self()) ? "  (connected here)" : ""));
    }
    line(Kind.STATUS, text.toString());
  }

  /** Where the client reached {@code server}: as the server list says, else as given. */
  private String addressOf(NodeId server) {
    ServerEvent.Servers list = servers;
    String listed = list == null
        ? null
        : list.server(server).filter(s -> s.port() > 0).map(this::address).orElse(null);
    return " (" + (listed != null ? listed : givenHost + ":" + givenPort) + ")";
  }

  private String address(ServerEvent.ServerInfo server) {
    return (server.host().isEmpty() ? givenHost : server.host()) + ":" + server.port();
  }

  @Override
  public void onMessage(ServerEvent.Message message) {
    if (message.to() != null) {
      line(
          Kind.PRIVATE,
          "[private] " + message.from() + ": " + TerminalText.printable(message.text()));
    } else {
      line(Kind.MESSAGE, message.from() + ": " + TerminalText.printable(message.text()));
    }
  }

  @Override
  public void onRejected(ServerEvent.Rejected rejected) {
    line(Kind.PROBLEM, "not delivered: " + TerminalText.printable(rejected.reason()));
  }

  @Override
  public void onPresence(ServerEvent.Presence presence) {
    String key = presence.name().toLowerCase(java.util.Locale.ROOT);
    if (presence.joined()) {
      users.add(presence.name());
      left.remove(key);
      line(Kind.PRESENCE, "* " + presence.name() + " joined");
    } else {
      // Remembered as gone before it leaves the list, so that a "send <name> ..." parsed in
      // between is held back, never broadcast.
      synchronized (left) {
        left.add(key);
        if (left.size() > LEFT_REMEMBERED) {
          left.remove(left.iterator().next());
        }
      }
      users.remove(presence.name());
      line(
          Kind.PRESENCE,
          "* " + presence.name() + " left"
              + (presence.reason().equals("left")
                  ? ""
                  : " (" + TerminalText.printable(presence.reason()) + ")"));
    }
  }

  @Override
  public void onUsers(ServerEvent.Users list) {
    users.clear();
    users.addAll(list.names());
    synchronized (left) {
      list.names().forEach(n -> left.remove(n.toLowerCase(java.util.Locale.ROOT)));
    }
    Set<String> sorted = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    sorted.addAll(list.names());
    line(Kind.STATUS, "users: " + String.join(", ", sorted));
    firstUserList.countDown();
  }

  @Override
  public void onClosed(@Nullable String reason) {
    if (!welcomed) {
      return; // a refused join: connect() reports it, once
    }
    // "bye" answers the user's own goodbye: no problem to colour.
    line(
        "bye".equals(reason) ? Kind.STATUS : Kind.PROBLEM,
        reason == null
            ? "disconnected: the connection to the server broke"
            : "disconnected: " + TerminalText.printable(reason));
  }

  @Override
  public String toString() {
    return "printer of " + self;
  }
}
