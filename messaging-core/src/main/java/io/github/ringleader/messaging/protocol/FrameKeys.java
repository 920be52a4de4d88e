package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.transport.ClusterKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The keys {@link FrameAuthenticator} encrypts with, all derived from a {@link ClusterKey} with
 * HKDF-SHA256 (RFC 5869) and never the cluster key itself. For each key of the set (a "slot": 0
 * is the signing key, 1 the optional second accepted key):
 *
 * <pre>
 * PRK       = HKDF-Extract(salt = "ringleader cluster frames v2", IKM = the 32-byte cluster key)
 * key id    = HKDF-Expand(PRK, "ringleader key id", 4)                  as a u32, public
 * frame key = HKDF-Expand(PRK, "ringleader frame key" | context, 32)     AES-256, secret
 * context   = sealer u64 | cluster str | sender id | incarnation i64     as on the wire
 * </pre>
 *
 * <p>Every sealing authenticator (every life of a transport) draws its own random {@code sealer},
 * so it encrypts under a frame key of its own, and its frame counter alone makes the GCM nonces
 * unique under that key. A receiver derives the frame key of each sealer it hears once, after
 * its first frame authenticates, and keeps it in a bounded cache ({@link Cache}).
 */
final class FrameKeys {
  /** The bytes of a key id on the wire. */
  static final int KEY_ID_BYTES = 4;

  private static final byte[] EXTRACT_SALT = ascii("ringleader cluster frames v2");
  private static final byte[] KEY_ID_LABEL = ascii("ringleader key id");
  private static final byte[] FRAME_KEY_LABEL = ascii("ringleader frame key");
  private static final int FRAME_KEY_BYTES = 32; // AES-256

  private final Hkdf[] slots;
  private final int[] keyIds;

  FrameKeys(ClusterKey key) {
    List<byte[]> keys = key.acceptedKeys(); // the signing key first
    this.slots = new Hkdf[keys.size()];
    this.keyIds = new int[keys.size()];
    for (int i = 0; i < slots.length; i++) {
      byte[] raw = keys.get(i);
      slots[i] = Hkdf.extract(EXTRACT_SALT, raw);
      Arrays.fill(raw, (byte) 0); // a copy: wipe it
      byte[] id = slots[i].expand(KEY_ID_LABEL, KEY_ID_BYTES);
      keyIds[i] =
          (id[0] & 0xFF) << 24 | (id[1] & 0xFF) << 16 | (id[2] & 0xFF) << 8 | (id[3] & 0xFF);
    }
  }

  private static byte[] ascii(String label) {
    return label.getBytes(StandardCharsets.US_ASCII);
  }

  /** How many keys the set has: 1, or 2 during a rotation. */
  int slots() {
    return slots.length;
  }

  /** The public id of the key in {@code slot}; slot 0 is the signing key. */
  int keyId(int slot) {
    return keyIds[slot];
  }

  /** The ids of all keys, for messages: "1a2b3c4d, 5e6f7081". */
  String keyIdsText() {
    StringBuilder text = new StringBuilder();
    for (int id : keyIds) {
      text.append(text.length() == 0 ? "" : ", ").append(String.format("%08x", id));
    }
    return text.toString();
  }

  /** The AES-256 frame key of the key in {@code slot} for the context {@code data[from, to)}. */
  SecretKeySpec frameKey(int slot, byte[] data, int from, int to) {
    byte[] key = slots[slot].expand(FRAME_KEY_LABEL, data, from, to, FRAME_KEY_BYTES);
    SecretKeySpec spec = new SecretKeySpec(key, "AES");
    Arrays.fill(key, (byte) 0); // SecretKeySpec keeps its own copy
    return spec;
  }

  /**
   * A receiver's frame keys by (slot, context), at most {@code capacity} of them; the one used
   * longest ago is forgotten first (it is derived again if its sealer is heard again). Lookups
   * compare the context in place, without copying it. Not thread-safe: one receiving thread.
   */
  static final class Cache {
    private final Map<Context, SecretKeySpec> keys;
    private static final byte[] NO_BYTES = new byte[0];
    private final Context probe = new Context(0, NO_BYTES, 0, 0);

    Cache(int capacity) {
      this.keys = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Context, SecretKeySpec> eldest) {
          return size() > capacity;
        }
      };
    }

    /** The cached key for {@code slot} and {@code data[from, to)}, or null. */
    @Nullable
    SecretKeySpec get(int slot, byte[] data, int from, int to) {
      probe.set(slot, data, from, to);
      SecretKeySpec key = keys.get(probe);
      probe.set(0, NO_BYTES, 0, 0); // keep no reference to a datagram buffer
      return key;
    }

    /** Keeps {@code key}: call only once a frame under it has authenticated. */
    void put(int slot, byte[] data, int from, int to, SecretKeySpec key) {
      keys.put(new Context(slot, Arrays.copyOfRange(data, from, to), 0, to - from), key);
    }

    int size() {
      return keys.size();
    }
  }

  /** A (slot, context bytes) pair as a map key; compares the bytes of its range. */
  private static final class Context {
    private int slot;
    private byte[] bytes;
    private int from;
    private int to;
    private int hash;

    Context(int slot, byte[] bytes, int from, int to) {
      set(slot, bytes, from, to);
    }

    void set(int slot, byte[] bytes, int from, int to) {
      this.slot = slot;
      this.bytes = bytes;
      this.from = from;
      this.to = to;
      int h = slot;
      for (int i = from; i < to; i++) {
        h = 31 * h + bytes[i];
      }
      this.hash = h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Context other
          && slot == other.slot
          && Arrays.equals(bytes, from, to, other.bytes, other.from, other.to);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
