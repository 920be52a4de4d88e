package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.routing.Router;

/**
 * What tests outside this package may look at inside a node. {@code MessagingNode.router()} is
 * package-private, since routing is internal (module-info.java does not export it); this test-only
 * bridge keeps the simulation tests' view into it without putting it back in the public API.
 */
public final class NodeInternals {
  private NodeInternals() {}

  /** The node's router; only touch it on the node's loop (in a simulation: between events). */
  public static Router router(MessagingNode node) {
    return node.router();
  }
}
