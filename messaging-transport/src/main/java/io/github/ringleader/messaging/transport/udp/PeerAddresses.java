package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where each member was last heard from: (cluster, node id) → the source address of its latest
 * valid datagram, which is its unicast socket. Bounded: beyond {@code capacity} entries the member
 * heard from longest ago is forgotten. Not thread-safe; the I/O thread owns it.
 *
 * <p>The key includes the cluster name so that two clusters sharing a group, each with a
 * {@code server1}, do not steal each other's point-to-point messages.
 */
final class PeerAddresses {
  private final int capacity;
  private final LinkedHashMap<Key, InetSocketAddress> addresses;

  PeerAddresses(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
    }
    this.capacity = capacity;
    // Insertion order; heard() re-inserts, so the eldest entry is the member heard longest ago.
    this.addresses = new LinkedHashMap<>(16, 0.75f, false) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, InetSocketAddress> eldest) {
        return size() > PeerAddresses.this.capacity;
      }
    };
  }

  /** Records that {@code id} of {@code cluster} was just heard from {@code source}. */
  void heard(String cluster, NodeId id, InetSocketAddress source) {
    Key key = new Key(cluster, id);
    addresses.remove(key);
    addresses.put(key, source);
  }

  /** Where {@code id} of {@code cluster} was last heard from, or null if never (or forgotten). */
  @Nullable
  InetSocketAddress addressOf(String cluster, NodeId id) {
    return addresses.get(new Key(cluster, id));
  }

  int size() {
    return addresses.size();
  }

  private record Key(String cluster, NodeId id) {}
}
