package io.github.ringleader.messaging.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A strict recursive-descent JSON parser (RFC 8259) for tests: objects become LinkedHashMaps,
 * arrays Lists, numbers Doubles or Longs, and anything malformed — trailing commas, unescaped
 * control characters, garbage after the value — throws.
 */
final class JsonParser {
  private final String text;
  private int at;

  private JsonParser(String text) {
    this.text = text;
  }

  static @Nullable Object parse(String text) {
    JsonParser p = new JsonParser(text);
    p.space();
    Object value = p.value();
    p.space();
    if (p.at != text.length()) {
      throw p.error("garbage after the value");
    }
    return value;
  }

  private @Nullable Object value() {
    if (at >= text.length()) {
      throw error("unexpected end");
    }
    char c = text.charAt(at);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        literal("null", Boolean.TRUE);
        return null;
      default:
        return number();
    }
  }

  private Map<String, @Nullable Object> object() {
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    expect('{');
    space();
    if (peek('}')) {
      at++;
      return map;
    }
    while (true) {
      space();
      String key = string();
      if (map.containsKey(key)) {
        throw error("duplicate key " + key);
      }
      space();
      expect(':');
      space();
      map.put(key, value());
      space();
      if (peek(',')) {
        at++;
        continue;
      }
      expect('}');
      return map;
    }
  }

  private List<@Nullable Object> array() {
    List<@Nullable Object> list = new ArrayList<>();
    expect('[');
    space();
    if (peek(']')) {
      at++;
      return list;
    }
    while (true) {
      space();
      list.add(value());
      space();
      if (peek(',')) {
        at++;
        continue;
      }
      expect(']');
      return list;
    }
  }

  private String string() {
    expect('"');
    StringBuilder out = new StringBuilder();
    while (true) {
      if (at >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(at++);
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        throw error("unescaped control character");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char e = text.charAt(at++);
      switch (e) {
        case '"':
          out.append('"');
          break;
        case '\\':
          out.append('\\');
          break;
        case '/':
          out.append('/');
          break;
        case 'b':
          out.append('\b');
          break;
        case 'f':
          out.append('\f');
          break;
        case 'n':
          out.append('\n');
          break;
        case 'r':
          out.append('\r');
          break;
        case 't':
          out.append('\t');
          break;
        case 'u':
          out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
          break;
        default:
          throw error("bad escape \\" + e);
      }
    }
  }

  private Object number() {
    int start = at;
    if (peek('-')) {
      at++;
    }
    if (peek('0')) {
      at++;
    } else {
      digits();
    }
    boolean fraction = false;
    if (peek('.')) {
      at++;
      digits();
      fraction = true;
    }
    if (peek('e') || peek('E')) {
      at++;
      if (peek('+') || peek('-')) {
        at++;
      }
      digits();
      fraction = true;
    }
    String n = text.substring(start, at);
    return fraction ? (Object) Double.parseDouble(n) : (Object) Long.parseLong(n);
  }

  private void digits() {
    int start = at;
    while (at < text.length() && Character.isDigit(text.charAt(at))) {
      at++;
    }
    if (at == start) {
      throw error("digits expected");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, at)) {
      throw error("expected " + word);
    }
    at += word.length();
    return value;
  }

  private void space() {
    while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
      at++;
    }
  }

  private boolean peek(char c) {
    return at < text.length() && text.charAt(at) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw error("expected '" + c + "'");
    }
    at++;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at " + at + " in: " + text);
  }
}
