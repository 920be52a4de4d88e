package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.protocol.StreamEntry;
import java.nio.charset.StandardCharsets;

/** Generous estimates of encoded sizes, to pack multi-part messages under the frame limit. */
final class Sizes {
  private Sizes() {}

  static int of(StreamEntry entry) {
    if (entry instanceof StreamEntry.Chat) {
      return 200 + ((StreamEntry.Chat) entry).text().getBytes(StandardCharsets.UTF_8).length;
    }
    if (entry instanceof StreamEntry.Carried) {
      return 20 + of(((StreamEntry.Carried) entry).entry());
    }
    if (entry instanceof StreamEntry.Directory) {
      return 20 + 120 * ((StreamEntry.Directory) entry).sessions().size();
    }
    return 700; // names, ids and at most a 512-byte reason
  }

  static int of(StreamEntry.Session session) {
    return 120;
  }
}
