package io.github.ringleader.messaging.protocol;

/**
 * How a message names a character or quotes a text that broke an id or name rule: printable
 * ASCII as itself, another printable character as itself and its code point, a control
 * character, a surrogate or an invisible one by its code point only, so a message never carries
 * a control character to a log or a terminal.
 */
public final class IdChars {
  /** The allowed characters of node ids, cluster names and client names, as a reader sees them. */
  public static final String ALLOWED =
      "ASCII letters and digits, '.', '_' and '-' ([A-Za-z0-9._-])";

  private static final String HEX_DIGITS = "0123456789ABCDEF";

  private IdChars() {}

  /** {@code 'x'}, {@code 'ë' (U+00EB)} or {@code U+0009}. */
  public static String describe(char c) {
    if (c >= 0x20 && c < 0x7f) {
      return "'" + c + "'";
    }
    String code = String.format("U+%04X", (int) c);
    return shows(c) ? "'" + c + "' (" + code + ")" : code;
  }

  /**
   * {@code text} with every character {@link #describe} would not show replaced by a Java-style
   * escape of its UTF-16 code unit (a backslash, {@code u} and four hex digits).
   */
  public static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c >= 0x20 && c < 0x7f && c != '\\') || (c >= 0x80 && shows(c))) {
        out.append(c);
      } else {
        // By hand, not String.format: a decoder quotes what it refuses, and a Formatter per
        // character made a 139-byte frame cost 148 KB to refuse (found by ClientEventFuzzTest).
        out.append('\\').append('u');
        for (int shift = 12; shift >= 0; shift -= 4) {
          out.append(HEX_DIGITS.charAt((c >>> shift) & 0xF));
        }
      }
    }
    return out.toString();
  }

  private static boolean shows(char c) {
    if (Character.isSurrogate(c) || Character.isISOControl(c) || Character.isWhitespace(c)) {
      return false;
    }
    int type = Character.getType(c);
    return type != Character.FORMAT
        && type != Character.UNASSIGNED
        && type != Character.PRIVATE_USE
        && type != Character.SPACE_SEPARATOR
        && type != Character.LINE_SEPARATOR
        && type != Character.PARAGRAPH_SEPARATOR;
  }
}
