/**
 * One server of a Ringleader cluster in one object: {@link
 * io.github.ringleader.messaging.server.MessagingServer} owns the event loop, the UDP multicast
 * transport, the {@link io.github.ringleader.messaging.node.MessagingNode} and the TCP listener
 * for clients, opens them in order and closes them in order.
 */
@NullMarked
package io.github.ringleader.messaging.server;

import org.jspecify.annotations.NullMarked;
