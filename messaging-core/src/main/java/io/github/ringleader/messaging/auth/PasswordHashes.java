package io.github.ringleader.messaging.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashing with PBKDF2-HMAC-SHA256 from the JDK: a random 16-byte salt per user, a
 * 32-byte hash, and an iteration count stored with each hash so that it can be raised later
 * (OWASP's 2023 advice for PBKDF2-SHA256 is 600,000, the default here; a check costs about that
 * many HMACs, tens to hundreds of milliseconds). Comparison is constant-time. Stateless: any
 * thread may call it.
 */
public final class PasswordHashes {
  /** The scheme's name in a users file. */
  public static final String SCHEME = "pbkdf2-sha256";
  /** The iteration count new hashes get. */
  public static final int DEFAULT_ITERATIONS = 600_000;
  /** The fewest and most iterations an entry may have. */
  public static final int MIN_ITERATIONS = 1_000;

  public static final int MAX_ITERATIONS = 100_000_000;
  public static final int SALT_BYTES = 16;
  public static final int HASH_BYTES = 32;

  private static final String ALGORITHM = "PBKDF2WithHmacSHA256";

  private PasswordHashes() {}

  /** A new random salt. */
  public static byte[] newSalt(SecureRandom random) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    return salt;
  }

  /**
   * The PBKDF2-HMAC-SHA256 hash of {@code password} with {@code salt} and {@code iterations}.
   *
   * @throws IllegalArgumentException if the password is empty or the iterations are out of range
   */
  public static byte[] hash(char[] password, byte[] salt, int iterations) {
    if (password.length == 0) {
      throw new IllegalArgumentException("a password must not be empty");
    }
    checkIterations(iterations);
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is not available in this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  /** Whether {@code password} hashes to {@code expected}; the comparison is constant-time. */
  public static boolean matches(char[] password, byte[] salt, int iterations, byte[] expected) {
    if (password.length == 0) {
      return false;
    }
    byte[] actual = hash(password, salt, iterations);
    try {
      return MessageDigest.isEqual(actual, expected);
    } finally {
      Arrays.fill(actual, (byte) 0);
    }
  }

  static void checkIterations(int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS + ", was " + iterations);
    }
  }
}
