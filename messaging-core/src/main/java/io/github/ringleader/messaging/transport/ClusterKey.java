package io.github.ringleader.messaging.transport;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The shared secret that encrypts and authenticates cluster frames (through keys derived from it,
 * see {@link FrameAuthenticator}): the key a server seals with, and at most
 * one more key it also accepts, for rotating keys without downtime (see {@code docs/security.md}).
 *
 * <p>A key is 32 bytes, written as one line of base64 (44 characters). The text form, as read from
 * a key file or the environment, is one or two such lines: the first is the signing key, the
 * second (optional) a key also accepted. Blank lines and surrounding spaces are ignored; nothing
 * else is allowed. {@link #toString()} never shows the key bytes.
 */
public final class ClusterKey {
  /** The bytes of one key. */
  public static final int KEY_BYTES = 32;

  private final byte[] signing;
  private final byte[] accepted; // empty when there is no second key

  private ClusterKey(byte[] signing, byte[] accepted) {
    this.signing = signing;
    this.accepted = accepted;
  }

  /** A key set that signs with {@code signing} and accepts only it. */
  public static ClusterKey of(byte[] signing) {
    return new ClusterKey(checked(signing), new byte[0]);
  }

  /** A key set that signs with {@code signing} and accepts frames signed with either key. */
  public static ClusterKey of(byte[] signing, byte[] alsoAccepted) {
    return new ClusterKey(checked(signing), checked(alsoAccepted));
  }

  /** A new random key from {@code random}, alone in its set. */
  public static ClusterKey generate(SecureRandom random) {
    byte[] key = new byte[KEY_BYTES];
    random.nextBytes(key);
    return of(key);
  }

  /**
   * Parses the text form: one or two lines of base64, 32 bytes each.
   *
   * @param source where the text came from, for the message ("file cluster.key")
   * @throws IllegalArgumentException naming {@code source} and what is wrong, never repeating the
   *     text itself
   */
  public static ClusterKey parse(String text, String source) {
    List<byte[]> keys = new ArrayList<>();
    int lineNumber = 0;
    for (String line : text.split("\r?\n|\r", -1)) {
      lineNumber++;
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (keys.size() == 2) {
        throw new IllegalArgumentException(source + " holds more than two keys (line " + lineNumber
            + "); it takes the signing" + " key and at most one more accepted key, one per line");
      }
      byte[] key;
      try {
        key = Base64.getDecoder().decode(trimmed);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            source + ", line " + lineNumber + ": not base64; a cluster key is 32 bytes in base64"
                + " on one line, as printed by `keygen`");
      }
      if (key.length != KEY_BYTES) {
        throw new IllegalArgumentException(
            source + ", line " + lineNumber + ": a cluster key is " + KEY_BYTES + " bytes, this"
                + " one is " + key.length + "; generate one with `keygen`");
      }
      keys.add(key);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(source + " holds no key; generate one with `keygen`");
    }
    return keys.size() == 1 ? of(keys.get(0)) : of(keys.get(0), keys.get(1));
  }

  /** The text form of the signing key alone: one line of base64, without a line break. */
  public String signingKeyBase64() {
    return Base64.getEncoder().encodeToString(signing);
  }

  /** The key frames are signed with (a copy). */
  public byte[] signingKey() {
    return signing.clone();
  }

  /** The keys a received frame may be sealed under, the signing key first (copies). */
  public List<byte[]> acceptedKeys() {
    return accepted.length == 0
        ? List.of(signing.clone())
        : List.of(signing.clone(), accepted.clone());
  }

  private static byte[] checked(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "a cluster key is " + KEY_BYTES + " bytes, was " + key.length);
    }
    return key.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterKey other
        && Arrays.equals(signing, other.signing)
        && Arrays.equals(accepted, other.accepted);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(signing) + Arrays.hashCode(accepted);
  }

  @Override
  public String toString() {
    return "ClusterKey{" + (accepted.length == 0 ? "1 key" : "2 keys") + ", redacted}";
  }
}
