package io.github.ringleader.messaging.routing;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The rules for client names: 1 to 32 characters of letters, digits, {@code '.'}, {@code '_'}
 * and {@code '-'}, starting with a letter or a digit. Names are unique across the cluster
 * <em>ignoring case</em> ({@code Alice} and {@code alice} cannot both be connected), and shown as
 * the client wrote them.
 */
public final class ClientNames {
  /** The longest name, in characters. */
  public static final int MAX_LENGTH = 32;

  private ClientNames() {}

  /** Why {@code name} is not a valid client name, or null if it is. */
  public static @Nullable String problemWith(String name) {
    if (name.isEmpty()) {
      return "a name must not be empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "a name must be at most " + MAX_LENGTH + " characters, \"" + shorten(name) + "\" has " + name.length();
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean letterOrDigit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!letterOrDigit && c != '.' && c != '_' && c != '-') {
        // Checked before the first-character rule: "é" is a letter to its writer, so "must start
        // with a letter" would puzzle; naming the character does not.
        return String.format(
            "a name may only contain letters, digits, '.', '_' and '-'; found %s at position %d",
            describe(name.codePointAt(i)), i + 1);
      }
      if (i == 0 && !letterOrDigit) {
        return "a name must start with a letter or a digit";
      }
    }
    return null;
  }

  /** Whether {@code name} is valid. */
  public static boolean isValid(String name) {
    return problemWith(name) == null;
  }

  /** The key names are unique by: the name in lower case. */
  public static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /**
   * {@code 'x'} for printable ASCII; beyond it, a visible character with its code point, and
   * only the code point for anything that would not show as itself.
   */
  private static String describe(int codePoint) {
    if (codePoint >= 0x20 && codePoint < 0x7f) {
      return "'" + (char) codePoint + "'";
    }
    String code = String.format("U+%04X", codePoint);
    int type = Character.getType(codePoint);
    boolean visible = Character.isLetterOrDigit(codePoint) || type == Character.MATH_SYMBOL
        || type == Character.CURRENCY_SYMBOL || type == Character.OTHER_SYMBOL;
    if (!visible) {
      return code; // a control, a space, a direction mark: shown raw it would mislead
    }
    String shown = "'" + new String(Character.toChars(codePoint)) + "' (" + code;
    return shown + (Character.isLetter(codePoint) ? ", not a letter a-z or A-Z)" : ")");
  }

  private static String shorten(String name) {
    return name.substring(0, MAX_LENGTH) + "…";
  }
}
