package io.github.ringleader.messaging.examples;

/**
 * Text from the network made safe to print on someone's terminal: any client can put carriage
 * returns, newlines and ANSI escape sequences in a message, and printed raw they would forge
 * lines on everyone else's screen (a fake {@code [private] bob: ...}) or clear it. Control
 * characters are shown escaped instead, so what is printed is one line of visible text.
 */
final class TerminalText {
  private TerminalText() {}

  /**
   * {@code text} with every control character (C0, DEL, C1) written as an escape: {@code \n},
   * {@code \r}, {@code \t}, {@code \e} for ESC, and a backslash, {@code u} and four hex digits
   * for the rest.
   */
  static String printable(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
      if (!control) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      switch (c) {
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case 0x1B:
          out.append("\\e");
          break;
        default:
          out.append(String.format("\\u%04X", (int) c));
      }
    }
    return out == null ? text : out.toString();
  }
}
