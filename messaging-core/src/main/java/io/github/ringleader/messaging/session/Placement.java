package io.github.ringleader.messaging.session;

import io.github.ringleader.messaging.node.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a client goes: the one rule for "least loaded with room", used by a full server naming
 * another, by a server asking a client to move, by the server list a client reads, and by a client
 * choosing where to reconnect. Pure.
 *
 * <p>A server <b>has room</b> when it takes clients at all (it announces a client port) and has
 * fewer clients than its capacity. Servers are ordered by <b>load</b>, {@code clients / capacity},
 * compared exactly (by cross-multiplication, so equal fractions tie and no rounding decides), a
 * server with capacity 0 counting as infinitely loaded; among equal loads the lower id comes
 * first, so every server and client that sees the same loads makes the same choice.
 */
public final class Placement {
  private Placement() {}

  /** What placement needs to know of a server: who it is, whether it takes clients, its load. */
  public interface Candidate {
    NodeId id();

    /** Whether it listens for clients at all (it announces a client port). */
    boolean takesClients();

    /** Its connected clients. */
    int clients();

    /** The most clients it accepts. */
    int capacity();
  }

  /** Least loaded first (exactly), then lowest id. */
  public static final Comparator<Candidate> LEAST_LOADED_FIRST =
      ((Comparator<Candidate>) Placement::compareLoad).thenComparing(Candidate::id);

  /** Whether {@code server} accepts another client: it takes clients and is below capacity. */
  public static boolean hasRoom(Candidate server) {
    // capacity > 0 as well: a negative client count, which no valid heartbeat or list carries,
    // must not make room where there is none.
    return server.takesClients() && server.capacity() > 0 && server.clients() < server.capacity();
  }

  /** {@code clients / capacity} as a number, for display; a server with capacity 0 is infinite. */
  public static double load(Candidate server) {
    return server.capacity() <= 0
        ? Double.POSITIVE_INFINITY
        : (double) server.clients() / server.capacity();
  }

  /** Compares the loads exactly (ids aside): negative if {@code a} is less loaded. */
  public static int compareLoad(Candidate a, Candidate b) {
    boolean aFull = a.capacity() <= 0;
    boolean bFull = b.capacity() <= 0;
    if (aFull || bFull) {
      return Boolean.compare(aFull, bFull);
    }
    return Long.compare((long) a.clients() * b.capacity(), (long) b.clients() * a.capacity());
  }

  /** The least-loaded server with room, lowest id among equals; empty if none has room. */
  public static <T extends Candidate> Optional<T> leastLoadedWithRoom(Collection<T> servers) {
    return leastLoadedWithRoom(servers, null);
  }

  /**
   * The least-loaded server with room other than {@code except} (typically the server asking),
   * lowest id among equals; empty if none has room.
   */
  public static <T extends Candidate> Optional<T> leastLoadedWithRoom(
      Collection<T> servers, @Nullable NodeId except) {
    T best = null;
    for (T server : servers) {
      if (hasRoom(server)
          && !server.id().equals(except)
          && (best == null || LEAST_LOADED_FIRST.compare(server, best) < 0)) {
        best = server;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Whether moving one client from {@code from} (with {@code clients} clients now, of {@code
   * capacity}) to {@code to} keeps {@code from} at least as loaded as {@code to} after the move —
   * {@code (clients - 1) / capacity >= (to.clients + 1) / to.capacity} — so that the client would
   * not be better off moving back. False if {@code to} has no room.
   */
  public static boolean worthMoving(int clients, int capacity, Candidate to) {
    return hasRoom(to)
        && capacity > 0
        && (long) (clients - 1) * to.capacity() >= (long) (to.clients() + 1) * capacity;
  }

  /**
   * The servers a client tries, best first: those that take clients, except {@code except} (the
   * one just lost), those with room before those without, then least loaded, then by id.
   */
  public static <T extends Candidate> List<T> inPreferenceOrder(
      Collection<T> servers, @Nullable NodeId except) {
    List<T> order = new ArrayList<>(servers.size());
    for (T server : servers) {
      if (server.takesClients() && !server.id().equals(except)) {
        order.add(server);
      }
    }
    order.sort(Comparator.comparing((T s) -> !hasRoom(s)).thenComparing(LEAST_LOADED_FIRST));
    return order;
  }
}
