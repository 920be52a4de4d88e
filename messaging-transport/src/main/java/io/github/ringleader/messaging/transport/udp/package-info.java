/**
 * The UDP multicast cluster transport: {@link
 * io.github.ringleader.messaging.transport.udp.UdpMulticastTransport} sends to all servers over an
 * IP multicast group and to one server over unicast UDP, with its settings in {@link
 * io.github.ringleader.messaging.transport.udp.UdpTransportConfig}. See {@code
 * docs/operations.md} for running it on one host and on several.
 */
@NullMarked
package io.github.ringleader.messaging.transport.udp;

import org.jspecify.annotations.NullMarked;
