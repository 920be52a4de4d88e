/**
 * The cluster transport interface the node is written against, {@link
 * io.github.ringleader.messaging.transport.ClusterTransport}, with what it promises and what it
 * does not, and the {@link io.github.ringleader.messaging.transport.OutboundFrame}s it carries:
 * opaque bytes the node encodes and seals, so a transport can be written outside Ringleader. Implementations: the in-memory simulated network ({@code sim}) here, UDP multicast in
 * {@code messaging-transport}. Clients reach a node through no interface of this package: a client
 * transport (the TCP one in {@code messaging-transport}, or the simulation's clients) passes each
 * connection to {@code MessagingNode.connectClient} as a {@link
 * io.github.ringleader.messaging.session.ClientLink}.
 */
@NullMarked
package io.github.ringleader.messaging.transport;

import org.jspecify.annotations.NullMarked;
