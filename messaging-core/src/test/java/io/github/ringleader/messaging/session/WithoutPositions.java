package io.github.ringleader.messaging.session;

import java.util.List;

/**
 * Events with their stream positions and sender numbers set to 0, for tests that check what was said, not where in
 * the stream it was sequenced (positions depend on epoch ids, which depend on timing).
 */
public final class WithoutPositions {
  private WithoutPositions() {}

  public static List<ServerEvent> of(List<? extends ServerEvent> events) {
    return events.stream().map(WithoutPositions::of).toList();
  }

  public static ServerEvent of(ServerEvent event) {
    if (event instanceof ServerEvent.Message m) {
      return new ServerEvent.Message(m.from(), m.to(), m.text());
    }
    if (event instanceof ServerEvent.Welcome w) {
      return new ServerEvent.Welcome(w.name(), w.session(), w.server());
    }
    return event;
  }
}
