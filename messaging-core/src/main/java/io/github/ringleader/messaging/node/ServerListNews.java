package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.loop.Ticking;
import io.github.ringleader.messaging.session.ServerEvent;
import org.jspecify.annotations.Nullable;

/**
 * Tells a server's joined clients of changes to the server list: at once when a server came or went,
 * its address changed or the leader changed; at most once per interval when only loads changed. A
 * change of load alone that arrives within the interval is held back, and this part's deadline is
 * the moment it may go.
 */
final class ServerListNews implements Ticking {
  /** Where the news comes from and goes to: the node's clients. */
  interface Clients {
    /** The server's joined and joining clients; with none, there is nobody to tell. */
    int count();

    /** The server list as clients see it now. */
    ServerEvent.Servers current();

    /** Sends {@code servers} to every joined client. */
    void tell(ServerEvent.Servers servers);
  }

  private final long intervalNanos;
  private final Clients clients;
  private ServerEvent.@Nullable Servers told;
  private long nextLoadNewsNanos = Long.MIN_VALUE;
  /** Whether a change of load alone waits for {@link #nextLoadNewsNanos}. */
  private boolean withheld;

  /** @param intervalNanos the least time between two lists that differ in loads only */
  ServerListNews(long intervalNanos, Clients clients) {
    this.intervalNanos = intervalNanos;
    this.clients = clients;
  }

  /** The list may have changed (after any event): tells the clients now, or holds a load change. */
  void onChange(long nowNanos) {
    withheld = false;
    if (clients.count() == 0) {
      return;
    }
    ServerEvent.Servers servers = clients.current();
    ServerEvent.Servers last = told;
    if (servers.equals(last)) {
      return;
    }
    if (last != null && sameServersAndLeader(servers, last) && nowNanos < nextLoadNewsNanos) {
      withheld = true;
      return;
    }
    told = servers;
    nextLoadNewsNanos = nowNanos + intervalNanos;
    clients.tell(servers);
  }

  /** When a held-back change of load may go, or {@link #NONE} if none waits. */
  @Override
  public long nextDeadlineNanos() {
    return withheld ? nextLoadNewsNanos : NONE;
  }

  /** Sends a held-back change of load once its time has come. */
  @Override
  public void onTick(long nowNanos) {
    if (withheld && nowNanos >= nextLoadNewsNanos) {
      onChange(nowNanos);
    }
  }

  private static boolean sameServersAndLeader(ServerEvent.Servers a, ServerEvent.Servers b) {
    if (a.servers().size() != b.servers().size()) {
      return false;
    }
    for (int i = 0; i < a.servers().size(); i++) {
      ServerEvent.ServerInfo x = a.servers().get(i);
      ServerEvent.ServerInfo y = b.servers().get(i);
      if (!x.id().equals(y.id())
          || x.leader() != y.leader()
          || x.port() != y.port()
          || !x.host().equals(y.host())) {
        return false;
      }
    }
    return true;
  }
}
