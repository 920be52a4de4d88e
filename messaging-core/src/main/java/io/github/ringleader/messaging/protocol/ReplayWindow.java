package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which authenticated frames a receiver has already accepted, per (cluster, sender): the
 * sender's latest incarnation and a sliding window of {@value #WINDOW} frame sequence numbers
 * below the highest one accepted, as a bitmap. A frame is new if its incarnation is higher than
 * the one tracked (which resets the window), or it is of the same incarnation and either above
 * the window's top or inside the window and not seen yet. Everything else — an older
 * incarnation, a number below the window, a number seen — is a replay.
 *
 * <p>At most {@code maxSenders} senders are tracked; the one heard from longest ago is forgotten
 * first, so a flood of authenticated senders cannot grow the state without bound. Not
 * thread-safe: one receiving thread uses it.
 */
final class ReplayWindow {
  /** The frames below the highest accepted one that are still told apart. */
  static final int WINDOW = 1024;

  private record Sender(String cluster, NodeId id) {}

  private static final class State {
    long incarnation;
    long highest;
    final long[] seen = new long[WINDOW / 64];

    State(long incarnation, long seq) {
      this.incarnation = incarnation;
      this.highest = seq;
      set(seq);
    }

    boolean isSet(long seq) {
      int bit = (int) (seq % WINDOW);
      return (seen[bit >>> 6] & (1L << (bit & 63))) != 0;
    }

    void set(long seq) {
      int bit = (int) (seq % WINDOW);
      seen[bit >>> 6] |= 1L << (bit & 63);
    }

    void clear(long seq) {
      int bit = (int) (seq % WINDOW);
      seen[bit >>> 6] &= ~(1L << (bit & 63));
    }
  }

  private final Map<Sender, State> senders;

  ReplayWindow(int maxSenders) {
    if (maxSenders < 1) {
      throw new IllegalArgumentException("maxSenders must be >= 1, was " + maxSenders);
    }
    this.senders = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Sender, State> eldest) {
        return size() > maxSenders;
      }
    };
  }

  /** Whether the frame would be accepted as new; changes nothing but the senders' recency. */
  boolean isNew(String cluster, NodeId sender, long incarnation, long seq) {
    State state = senders.get(new Sender(cluster, sender));
    if (state == null || incarnation > state.incarnation) {
      return true;
    }
    if (incarnation < state.incarnation) {
      return false;
    }
    if (seq > state.highest) {
      return true;
    }
    return state.highest - seq < WINDOW && !state.isSet(seq);
  }

  /** Records the frame as accepted; call only for a frame {@link #isNew} accepted. */
  void accept(String cluster, NodeId sender, long incarnation, long seq) {
    Sender key = new Sender(cluster, sender);
    State state = senders.get(key);
    if (state == null || incarnation > state.incarnation) {
      senders.put(key, new State(incarnation, seq));
      return;
    }
    if (incarnation < state.incarnation) {
      return;
    }
    if (seq > state.highest) {
      long slide = Math.min(seq - state.highest, WINDOW);
      for (long s = seq - slide + 1; s <= seq; s++) {
        state.clear(s);
      }
      state.highest = seq;
    } else if (state.highest - seq >= WINDOW) {
      // Below the window now (a datagram's frames are accepted after all were checked, so a
      // later, higher one may have slid the window past it): its bit would alias a frame number
      // still inside the window and refuse that frame later.
      return;
    }
    state.set(seq);
  }

  /** How many senders are tracked now. */
  int trackedSenders() {
    return senders.size();
  }
}
