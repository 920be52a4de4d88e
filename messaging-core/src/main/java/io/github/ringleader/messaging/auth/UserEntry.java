package io.github.ringleader.messaging.auth;

import io.github.ringleader.messaging.routing.ClientNames;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One user of a users file: its name, its password's PBKDF2 hash (iterations, salt, hash), and
 * the patterns of the other names it may take besides its own ({@code *} matches any run of
 * characters; matching ignores case, as names do).
 */
public final class UserEntry {
  private final String name;
  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;
  private final List<String> allowedNames;

  /**
   * @throws IllegalArgumentException naming what is wrong: the name breaks the client name rules,
   *     the iterations are out of range, the salt or hash has the wrong length, or a pattern is
   *     invalid
   */
  public UserEntry(
      String name, int iterations, byte[] salt, byte[] hash, List<String> allowedNames) {
    String problem = ClientNames.problemWith(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid user name \"" + name + "\": " + problem);
    }
    PasswordHashes.checkIterations(iterations);
    if (salt.length < 8) {
      throw new IllegalArgumentException("salt must be at least 8 bytes, was " + salt.length);
    }
    if (hash.length != PasswordHashes.HASH_BYTES) {
      throw new IllegalArgumentException(
          "hash must be " + PasswordHashes.HASH_BYTES + " bytes, was " + hash.length);
    }
    for (String pattern : allowedNames) {
      String patternProblem = problemWithPattern(pattern);
      if (patternProblem != null) {
        throw new IllegalArgumentException(
            "invalid name pattern \"" + pattern + "\": " + patternProblem);
      }
    }
    this.name = name;
    this.iterations = iterations;
    this.salt = salt.clone();
    this.hash = hash.clone();
    this.allowedNames = List.copyOf(allowedNames);
  }

  /** Why {@code pattern} is not a valid name pattern, or null. */
  static @Nullable String problemWithPattern(String pattern) {
    if (pattern.isEmpty() || pattern.length() > ClientNames.MAX_LENGTH) {
      return "a pattern must be 1.." + ClientNames.MAX_LENGTH + " characters";
    }
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '.'
          || c == '_'
          || c == '-'
          || c == '*';
      if (!ok) {
        return "a pattern may only contain the characters of names and '*'; found '" + c
            + "' at position " + (i + 1);
      }
    }
    return null;
  }

  public String name() {
    return name;
  }

  public int iterations() {
    return iterations;
  }

  public byte[] salt() {
    return salt.clone();
  }

  public byte[] hash() {
    return hash.clone();
  }

  public List<String> allowedNames() {
    return allowedNames;
  }

  /** Whether {@code password} is this user's; constant-time in the hash comparison. */
  public boolean passwordMatches(char[] password) {
    return PasswordHashes.matches(password, salt, iterations, hash);
  }

  /** Whether this user may join as {@code clientName}: its own name or one its patterns match. */
  public boolean mayTake(String clientName) {
    String key = ClientNames.key(clientName);
    if (key.equals(ClientNames.key(name))) {
      return true;
    }
    for (String pattern : allowedNames) {
      if (globMatches(pattern.toLowerCase(Locale.ROOT), key)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code text} matches {@code pattern}, where {@code *} matches any run. */
  static boolean globMatches(String pattern, String text) {
    int p = 0;
    int t = 0;
    int star = -1;
    int afterStar = 0;
    while (t < text.length()) {
      if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
        p++;
        t++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        afterStar = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++afterStar;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof UserEntry that
        && name.equals(that.name)
        && iterations == that.iterations
        && Arrays.equals(salt, that.salt)
        && Arrays.equals(hash, that.hash)
        && allowedNames.equals(that.allowedNames);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, iterations, allowedNames);
  }

  /** The name, iterations and patterns; never the salt or hash. */
  @Override
  public String toString() {
    return "UserEntry[" + name + ", " + iterations + " iterations, may also take " + allowedNames
        + "]";
  }
}
