package io.github.ringleader.messaging.session;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a client shows to prove who it is when it joins or resumes on a server that requires
 * authentication: a user name and that user's secret (a password or a token).
 *
 * <p>The secret is held as a {@code char[]}, not a {@link String}, so that whoever is done with it
 * can {@link #clear()} it. It never appears in {@link #toString()}: a request that holds a
 * credential can be logged without leaking it. The user name follows the client name rules; the
 * codec checks it and the secret's size, not this class.
 */
public final class Credential {
  /** The most bytes of UTF-8 a secret may take on the wire. */
  public static final int MAX_SECRET_BYTES = 1024;

  private final String user;
  private final char[] secret;

  /** A credential for {@code user}; {@code secret} is copied (the caller may clear its own). */
  public Credential(String user, char[] secret) {
    this.user = Objects.requireNonNull(user, "user");
    this.secret = Objects.requireNonNull(secret, "secret").clone();
  }

  /** The user this credential is for. */
  public String user() {
    return user;
  }

  /** A copy of the secret; the caller should clear it when done. */
  public char[] secret() {
    return secret.clone();
  }

  /** The secret's length in UTF-8 bytes (for the codec's limit). */
  public int secretUtf8Length() {
    byte[] bytes = utf8();
    int length = bytes.length;
    Arrays.fill(bytes, (byte) 0);
    return length;
  }

  /**
   * The secret as UTF-8; the caller should clear the array when done.
   *
   * @throws IllegalArgumentException if the secret has an unpaired surrogate, which UTF-8 cannot
   *     carry
   */
  public byte[] utf8() {
    CharsetEncoder encoder = StandardCharsets.UTF_8
        .newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer encoded;
    try {
      encoded = encoder.encode(CharBuffer.wrap(secret));
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(
          "the secret of user " + user + " has an unpaired surrogate, which UTF-8 cannot carry");
    }
    byte[] bytes = new byte[encoded.remaining()];
    encoded.get(bytes);
    if (encoded.hasArray()) {
      Arrays.fill(encoded.array(), (byte) 0);
    }
    return bytes;
  }

  /** Overwrites the secret with zeros; the credential is of no use afterwards. */
  public void clear() {
    Arrays.fill(secret, '\0');
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Credential that
        && user.equals(that.user)
        && Arrays.equals(secret, that.secret);
  }

  @Override
  public int hashCode() {
    return user.hashCode(); // never the secret
  }

  /** Names the user only: the secret is never printed. */
  @Override
  public String toString() {
    return "Credential[user=" + user + ", secret=(hidden)]";
  }
}
