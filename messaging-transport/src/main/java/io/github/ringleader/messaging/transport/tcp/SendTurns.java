package io.github.ringleader.messaging.transport.tcp;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A server-wide budget of sends in flight (handed to the node, not answered yet), shared among its
 * clients in turn: round-robin, one send per turn, instead of first come first served.
 *
 * <p><b>Why.</b> Everything after the server is one FIFO for all clients (the node's event loop,
 * the forward to the leader, the sequencer), so a send waits behind every send handed on before
 * it. Each client's own window ({@link TcpServerConfig#maxInFlightSends()}) bounds what one
 * client has in that FIFO, but not what many have together: with F flooding connections a quiet
 * client's send found up to F × 256 sends ahead of it. With this budget the FIFO holds at most
 * {@code maxInFlight} of this server's sends, and a connection that finds it full (or others
 * already waiting) waits its turn; turns go round, so a send that waits finds at most one send of
 * each connection waiting ahead of it: at most {@code maxInFlight + waiting connections} of this
 * server's sends are taken before it, however fast the others send.
 *
 * <p>When nobody waits and the budget is not used up, a send goes straight on: an unloaded server
 * behaves as without it.
 *
 * <p><b>Threads.</b> Everything but {@link #release} belongs to the selector thread; {@link
 * #release} may be called from any thread (the node answers on its own) and {@link #anyWaiting}
 * read from any.
 *
 * @param <C> a connection
 */
final class SendTurns<C> {
  private final int maxInFlight;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Connections waiting for a turn, in the order they started waiting. */
  private final ArrayDeque<C> waiting = new ArrayDeque<>();

  private volatile boolean anyWaiting;
  /** The connection whose turn it is now (see {@link #nextTurn}), if any. */
  private @Nullable C turn;

  /** @param maxInFlight sends of all connections in flight at most; 0 = no bound, no turns */
  SendTurns(int maxInFlight) {
    if (maxInFlight < 0) {
      throw new IllegalArgumentException("maxInFlight must be >= 0, was " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
  }

  /**
   * Whether {@code connection} may hand on a send now; if so it holds one of the budget until
   * {@link #release}. It may when the budget is not used up and either nobody waits or it is its
   * turn (which this uses up). If not, the caller holds the send and calls {@link #await}.
   */
  boolean tryTake(C connection) {
    if (maxInFlight == 0) {
      return true;
    }
    if (inFlight.get() >= maxInFlight || (!waiting.isEmpty() && turn != connection)) {
      return false;
    }
    inFlight.incrementAndGet();
    if (turn == connection) {
      turn = null;
    }
    return true;
  }

  /** {@code connection} holds a send and waits for its turn, behind those already waiting. */
  void await(C connection) {
    waiting.add(connection);
    anyWaiting = true;
  }

  /** Gives back {@code count} of the budget: sends answered, or of a connection that closed. */
  void release(int count) {
    if (maxInFlight != 0 && count > 0) {
      inFlight.addAndGet(-count);
    }
  }

  /**
   * The connection whose turn it is, taken off the waiting line, or null if nobody waits or the
   * budget is used up. The caller lets it hand on its held send ({@link #tryTake} says yes to it
   * once) and then calls {@link #endTurn}.
   */
  @Nullable
  C nextTurn() {
    if (waiting.isEmpty() || inFlight.get() >= maxInFlight) {
      return null;
    }
    C next = waiting.poll();
    anyWaiting = !waiting.isEmpty();
    turn = next;
    return next;
  }

  /** The current turn is over, used or not (the connection closed meanwhile, say). */
  void endTurn() {
    turn = null;
  }

  /** Whether any connection waits for a turn; any thread. */
  boolean anyWaiting() {
    return anyWaiting;
  }

  /** Sends in flight now, counted against the budget. */
  int inFlight() {
    return inFlight.get();
  }

  /** Connections waiting for a turn now. */
  int waiting() {
    return waiting.size();
  }
}
