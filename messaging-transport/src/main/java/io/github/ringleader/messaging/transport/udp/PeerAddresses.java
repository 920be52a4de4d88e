package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where each member was last heard from: node id → the source address of the latest datagram the
 * node accepted from it, which is its unicast socket. Bounded: beyond {@code capacity} entries the
 * member heard from longest ago is forgotten. Not thread-safe; the I/O thread owns it.
 *
 * <p>Keyed by the id alone: the node names a sender only for a datagram of its own cluster that
 * passed its checks, so another cluster sharing the group, with a {@code server1} of its own,
 * cannot take this cluster's {@code server1}'s place here.
 */
final class PeerAddresses {
  private final int capacity;
  private final LinkedHashMap<NodeId, InetSocketAddress> addresses;

  PeerAddresses(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    this.capacity = capacity;
    // Insertion order; heard() re-inserts, so the eldest entry is the member heard longest ago.
    this.addresses = new LinkedHashMap<>(16, 0.75f, false) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<NodeId, InetSocketAddress> eldest) {
        return size() > PeerAddresses.this.capacity;
      }
    };
  }

  /** Records that {@code id} was just heard from {@code source}. */
  void heard(NodeId id, InetSocketAddress source) {
    addresses.remove(id);
    addresses.put(id, source);
  }

  /** Where {@code id} was last heard from, or null if never (or forgotten). */
  @Nullable
  InetSocketAddress addressOf(NodeId id) {
    return addresses.get(id);
  }

  int size() {
    return addresses.size();
  }
}
