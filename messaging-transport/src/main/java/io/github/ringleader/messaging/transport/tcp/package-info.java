/**
 * The TCP client side: {@link io.github.ringleader.messaging.transport.tcp.TcpClientServer}, a
 * server's NIO acceptor for client connections (one selector thread, bounded per-connection
 * queues), and {@link io.github.ringleader.messaging.client.MessagingClient}, the client
 * SDK over a blocking socket. Frames are those of {@link
 * io.github.ringleader.messaging.protocol.ClientCodec}; see {@code docs/wire-protocol.md}.
 */
@NullMarked
package io.github.ringleader.messaging.transport.tcp;

import org.jspecify.annotations.NullMarked;
