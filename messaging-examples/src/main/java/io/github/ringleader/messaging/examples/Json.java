package io.github.ringleader.messaging.examples;

import org.jspecify.annotations.Nullable;

/** Writes JSON values by hand (the examples need no JSON library): strings escaped per RFC 8259. */
final class Json {
  private Json() {}

  /** Appends {@code text} as a JSON string, or {@code null}. */
  static StringBuilder string(StringBuilder out, @Nullable String text) {
    if (text == null) {
      return out.append("null");
    }
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          // Control characters must be escaped; U+2028/9 too, for JavaScript that evals JSON,
          // and '<' so that the text is safe inside an HTML script element.
          if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '<') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"');
  }

  /** Appends a finite number ({@code 0} for NaN or an infinity, which JSON cannot carry). */
  static StringBuilder number(StringBuilder out, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return out.append('0');
    }
    double rounded = Math.round(value * 1000) / 1000.0;
    if (rounded == Math.rint(rounded) && Math.abs(rounded) < 1e15) {
      return out.append((long) rounded).append(".0");
    }
    return out.append(rounded);
  }
}
