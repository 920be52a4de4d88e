/**
 * The transport interfaces the node is written against, with what each promises and what it does
 * not. Implementations: the in-memory simulated network ({@code sim}) here, UDP multicast and TCP
 * in {@code messaging-transport}.
 */
@NullMarked
package io.github.ringleader.messaging.transport;

import org.jspecify.annotations.NullMarked;
