package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamEntry;
import java.util.ArrayList;
import java.util.List;

/** A {@link RoutingOutbox} that records what is sent, in order, for the tests to inspect. */
final class RecordingOutbox implements RoutingOutbox {

  /** One message sent to one server. */
  record Sent(NodeId to, ClusterMessage message) {}

  final List<Sent> sent = new ArrayList<>();
  final List<ClusterMessage> toAll = new ArrayList<>();

  @Override
  public void send(NodeId to, ClusterMessage message) {
    sent.add(new Sent(to, message));
  }

  @Override
  public void sendToAll(ClusterMessage message) {
    toAll.add(message);
  }

  /** The messages of {@code type} sent to {@code to}, in order. */
  <T extends ClusterMessage> List<T> sentTo(NodeId to, Class<T> type) {
    List<T> found = new ArrayList<>();
    for (Sent s : sent) {
      if (s.to().equals(to) && type.isInstance(s.message())) {
        found.add(type.cast(s.message()));
      }
    }
    return found;
  }

  /** The messages of {@code type} sent to anyone, in order. */
  <T extends ClusterMessage> List<T> sent(Class<T> type) {
    List<T> found = new ArrayList<>();
    for (Sent s : sent) {
      if (type.isInstance(s.message())) {
        found.add(type.cast(s.message()));
      }
    }
    return found;
  }

  /** The messages of {@code type} sent to all, in order. */
  <T extends ClusterMessage> List<T> toAll(Class<T> type) {
    List<T> found = new ArrayList<>();
    for (ClusterMessage m : toAll) {
      if (type.isInstance(m)) {
        found.add(type.cast(m));
      }
    }
    return found;
  }

  /** The entries of the {@link Sequenced} messages sent to all, in order. */
  List<StreamEntry> sequencedEntries() {
    List<StreamEntry> entries = new ArrayList<>();
    for (Sequenced s : toAll(Sequenced.class)) {
      entries.add(s.entry());
    }
    return entries;
  }

  boolean isEmpty() {
    return sent.isEmpty() && toAll.isEmpty();
  }

  void clear() {
    sent.clear();
    toAll.clear();
  }
}
