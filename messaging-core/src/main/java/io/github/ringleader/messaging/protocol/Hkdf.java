package io.github.ringleader.messaging.protocol;

import java.security.GeneralSecurityException;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869), on the JDK's {@link Mac}: one pseudorandom key, extracted
 * once from input keying material and a salt, from which keys for different purposes are
 * expanded under different {@code info} labels — so one cluster key never serves two algorithms
 * itself. Thread-safe: {@link #expand} is synchronized (keys are derived rarely, not per frame).
 */
final class Hkdf {
  /** The bytes of one HMAC-SHA256 output, and of the pseudorandom key. */
  static final int HASH_BYTES = 32;

  private static final String HMAC = "HmacSHA256";

  private final Mac prk;

  private Hkdf(byte[] pseudorandomKey) {
    this.prk = mac(pseudorandomKey);
  }

  /** HKDF-Extract: the pseudorandom key {@code HMAC(salt, ikm)}, ready to expand from. */
  static Hkdf extract(byte[] salt, byte[] inputKeyingMaterial) {
    Mac extractor = mac(salt.length == 0 ? new byte[HASH_BYTES] : salt);
    return new Hkdf(extractor.doFinal(inputKeyingMaterial));
  }

  /**
   * HKDF-Expand: {@code length} bytes of output keying material for {@code info} = {@code label}
   * followed by {@code context[from, to)}.
   *
   * @throws IllegalArgumentException if {@code length} is not 1..8160 (255 blocks)
   */
  synchronized byte[] expand(byte[] label, byte[] context, int from, int to, int length) {
    Objects.checkFromToIndex(from, to, context.length);
    if (length < 1 || length > 255 * HASH_BYTES) {
      throw new IllegalArgumentException("HKDF output length must be 1..8160, was " + length);
    }
    byte[] out = new byte[length];
    byte[] block = new byte[0];
    int filled = 0;
    for (int i = 1; filled < length; i++) {
      // T(i) = HMAC(PRK, T(i-1) | info | i)
      prk.update(block);
      prk.update(label);
      prk.update(context, from, to - from);
      prk.update((byte) i);
      block = prk.doFinal();
      int take = Math.min(block.length, length - filled);
      System.arraycopy(block, 0, out, filled, take);
      filled += take;
    }
    return out;
  }

  /** {@link #expand(byte[], byte[], int, int, int)} with {@code info} = {@code label} alone. */
  byte[] expand(byte[] label, int length) {
    return expand(label, new byte[0], 0, 0, length);
  }

  private static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK lacks " + HMAC + ", which every JDK has", e);
    }
  }
}
