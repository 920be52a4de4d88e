package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.transport.CodecException;
import java.util.Map;

/**
 * A snapshot of a {@link TcpClientServer}'s counters.
 *
 * @param accepted connections accepted since start
 * @param open connections open now
 * @param closed connections closed, by why
 * @param malformed malformed frames received, by the rule they broke (each closed its connection)
 * @param framesIn frames received and decoded
 * @param framesOut frames written in full to sockets
 * @param pausedForInFlight times the server stopped reading from a client because {@link
 *     TcpServerConfig#maxInFlightSends()} of its sends were unanswered
 * @param pausedForRate times the server stopped reading from a client because it made requests
 *     faster than {@link TcpServerConfig#maxRequestsPerSecond()}
 * @param pausedForTurn times the server stopped reading from a client because its send had to
 *     wait its turn: all clients' sends in flight were at {@link
 *     TcpServerConfig#maxInFlightSendsAllClients()}, or other clients were waiting first
 * @param pausedNow connections the server is not reading from now, for any of these reasons
 */
public record TcpServerStats(
    long accepted,
    long open,
    Map<TcpServerStats.CloseReason, Long> closed,
    Map<CodecException.Reason, Long> malformed,
    long framesIn,
    long framesOut,
    long pausedForInFlight,
    long pausedForRate,
    long pausedForTurn,
    long pausedNow) {

  public TcpServerStats {
    closed = Map.copyOf(closed);
    malformed = Map.copyOf(malformed);
  }

  /** Why a connection was closed. */
  public enum CloseReason {
    /** The client closed its side (end of stream). */
    CLIENT_CLOSED,
    /** Reading or writing failed: the connection was reset or broke. */
    BROKEN,
    /** The node ended the session (after a Bye or a refusal). */
    SERVER_CLOSED,
    /** The client sent a malformed or oversized frame. */
    MALFORMED,
    /** The client's outbound queue was full: it stopped reading. */
    SLOW_READER,
    /** The client sent nothing for the idle timeout. */
    IDLE,
    /** The server already had its maximum of connections. */
    TOO_MANY_CONNECTIONS,
    /** The server already had its maximum of connections from the client's address. */
    TOO_MANY_FROM_ADDRESS,
    /** The client's address opened connections faster than its join rate allows. */
    TOO_MANY_JOINS_FROM_ADDRESS,
    /** The client did not join within the hello timeout. */
    HELLO_TIMEOUT,
    /** The server was closing. */
    SHUTDOWN,
    /**
     * On a TLS port: the TLS handshake failed (a refused protocol version, an untrusted or missing
     * client certificate, the client refusing the server's certificate, garbage).
     */
    TLS_HANDSHAKE_FAILED,
    /** On a TLS port: the handshake did not finish within the hello timeout. */
    TLS_HANDSHAKE_TIMEOUT,
    /** On a TLS port: the client spoke the client protocol in plaintext. */
    PLAINTEXT_ON_TLS_PORT
  }

  public long closed(CloseReason reason) {
    return closed.getOrDefault(reason, 0L);
  }

  public long malformed(CodecException.Reason reason) {
    return malformed.getOrDefault(reason, 0L);
  }

  public long malformedTotal() {
    return malformed.values().stream().mapToLong(Long::longValue).sum();
  }
}
