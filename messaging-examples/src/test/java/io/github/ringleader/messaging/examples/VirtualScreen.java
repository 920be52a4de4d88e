package io.github.ringleader.messaging.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * What a terminal would show after the bytes a program wrote to it: enough of VT100 for JLine's
 * line drawing (carriage return, newline, backspace, cursor moves, erasing); colours and modes
 * are skipped. {@link #lines()} is the screen, top to bottom, trailing blanks trimmed.
 */
final class VirtualScreen {
  private final List<StringBuilder> rows = new ArrayList<>();
  private int row;
  private int col;

  static VirtualScreen of(String output) {
    VirtualScreen screen = new VirtualScreen();
    screen.feed(output);
    return screen;
  }

  private StringBuilder current() {
    while (rows.size() <= row) {
      rows.add(new StringBuilder());
    }
    return rows.get(row);
  }

  private void feed(String s) {
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == '\n') {
        row++;
        col = 0; // output post-processing turns a newline into CR LF
      } else if (c == '\r') {
        col = 0;
      } else if (c == '\b') {
        col = Math.max(0, col - 1);
      } else if (c == 0x07) {
        // bell
      } else if (c == 0x1B && i < s.length() && s.charAt(i) == '[') {
        int end = i + 1;
        while (end < s.length() && (s.charAt(end) < 0x40 || s.charAt(end) > 0x7E)) {
          end++;
        }
        if (end < s.length()) {
          csi(s.substring(i + 1, end), s.charAt(end));
        }
        i = end + 1;
      } else if (c == 0x1B && i < s.length() && s.charAt(i) == ']') {
        int end = s.indexOf('\u0007', i); // an operating system command, to BEL
        i = end < 0 ? s.length() : end + 1;
      } else if (c == 0x1B) {
        i++; // a two-character escape
      } else if (c >= 0x20) {
        StringBuilder line = current();
        while (line.length() < col) {
          line.append(' ');
        }
        if (col < line.length()) {
          line.setCharAt(col, c);
        } else {
          line.append(c);
        }
        col++;
      }
    }
  }

  private void csi(String params, char command) {
    if (params.startsWith("?") || params.startsWith(">") || params.startsWith("<")) {
      return; // private modes
    }
    String[] parts = params.isEmpty() ? new String[0] : params.split(";");
    int n = parts.length > 0 && !parts[0].isEmpty() ? Integer.parseInt(parts[0]) : -1;
    int count = Math.max(1, n);
    switch (command) {
      case 'A' -> row = Math.max(0, row - count);
      case 'B' -> row += count;
      case 'C' -> col += count;
      case 'D' -> col = Math.max(0, col - count);
      case 'G' -> col = count - 1;
      case 'K' -> {
        StringBuilder line = current();
        if (n <= 0 && col < line.length()) {
          line.setLength(col);
        } else if (n == 2) {
          line.setLength(0);
        }
      }
      case 'J' -> {
        StringBuilder line = current();
        if (n <= 0) {
          if (col < line.length()) {
            line.setLength(col);
          }
          while (rows.size() > row + 1) {
            rows.remove(rows.size() - 1);
          }
        }
      }
      default -> {} // colours (m) and the rest do not move text
    }
  }

  /** The screen's lines, trailing spaces trimmed, trailing empty lines dropped. */
  List<String> lines() {
    List<String> out = new ArrayList<>();
    for (StringBuilder r : rows) {
      out.add(r.toString().stripTrailing());
    }
    while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  /** The last line: where the prompt is while the client reads. */
  String lastLine() {
    List<String> lines = lines();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }
}
