package io.github.ringleader.messaging.transport.udp;

/**
 * A snapshot of one {@link UdpMulticastTransport}'s counters since it was created. Each counter is
 * read on its own, so a snapshot taken while traffic flows is not one instant across counters.
 *
 * <p>The transport carries frames it does not read, so what is counted on receipt is datagrams;
 * what the node made of their frames — malformed, refused by the cluster key, of another cluster —
 * is in its {@code NodeMetrics} ({@code framesDropped}, {@code authenticationFailures}, {@code
 * foreignFrames}).
 *
 * @param datagramsReceived datagrams read and handed to the node, each one or more frames, the
 *     transport's own looped-back multicast included
 * @param rejected of those, datagrams the node refused (malformed, forged, replayed or of another
 *     cluster): they taught the transport no address
 * @param sent frames (cluster messages) the system accepted for sending
 * @param datagramsSent datagrams the system accepted for sending: fewer than {@code sent} when
 *     frames queued together shared a datagram
 * @param unknownDestination point-to-point sends dropped because the node had accepted no
 *     datagram from that member, so its address was unknown
 * @param droppedOutbound sends dropped without reaching the network: the outbound queue was full,
 *     the system's send buffer was full, or the transport was not running
 * @param sendErrors sends the system refused with an error (unreachable network, ...)
 * @param receiveErrors reads that failed with an I/O error
 * @param receiverFailures datagrams whose receiver threw (a bug in the receiver; it is logged)
 */
public record UdpTransportStats(
    long datagramsReceived,
    long rejected,
    long sent,
    long datagramsSent,
    long unknownDestination,
    long droppedOutbound,
    long sendErrors,
    long receiveErrors,
    long receiverFailures) {}
