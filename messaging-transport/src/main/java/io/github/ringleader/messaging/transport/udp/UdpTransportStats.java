package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.transport.CodecException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of one {@link UdpMulticastTransport}'s counters since it was created. Each counter is
 * read on its own, so a snapshot taken while traffic flows is not one instant across counters.
 *
 * @param received frames decoded and handed to the receiver, the transport's own looped-back
 *     multicast included
 * @param sent frames (cluster messages) the system accepted for sending
 * @param datagramsSent datagrams the system accepted for sending: fewer than {@code sent} when
 *     frames queued together shared a datagram
 * @param malformed datagrams dropped because they failed to decode, by the rule they broke; every
 *     reason is present, most with 0
 * @param unknownDestination point-to-point sends dropped because no datagram from that member (in
 *     that cluster) had been received, so its address was unknown
 * @param droppedOutbound sends dropped without reaching the network: the outbound queue was full,
 *     the system's send buffer was full, or the transport was not running
 * @param sendErrors sends the system refused with an error (unreachable network, ...)
 * @param receiveErrors reads that failed with an I/O error
 * @param receiverFailures envelopes whose receiver threw (a bug in the receiver; it is logged)
 */
public record UdpTransportStats(
    long received,
    long sent,
    long datagramsSent,
    Map<CodecException.Reason, Long> malformed,
    long unknownDestination,
    long droppedOutbound,
    long sendErrors,
    long receiveErrors,
    long receiverFailures) {

  public UdpTransportStats {
    EnumMap<CodecException.Reason, Long> copy = new EnumMap<>(CodecException.Reason.class);
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      copy.put(reason, 0L);
    }
    copy.putAll(malformed);
    malformed = Collections.unmodifiableMap(copy);
  }

  /** Datagrams dropped for breaking {@code reason}. */
  public long malformed(CodecException.Reason reason) {
    Long count = malformed.get(reason);
    return count == null ? 0 : count;
  }

  /** Datagrams dropped because they failed to decode, whatever the reason. */
  public long malformedTotal() {
    long total = 0;
    for (long count : malformed.values()) {
      total += count;
    }
    return total;
  }
}
