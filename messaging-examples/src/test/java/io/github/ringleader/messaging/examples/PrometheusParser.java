package io.github.ringleader.messaging.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests: every line must be
 * a {@code # HELP}, a {@code # TYPE} or a sample; names match {@code [a-zA-Z_:][a-zA-Z0-9_:]*};
 * each family has one HELP and one TYPE, before its samples; a sample belongs to a declared
 * family (histograms: {@code _bucket}, {@code _sum}, {@code _count}); counters end in
 * {@code _total}; values are numbers, NaN or ±Inf.
 */
final class PrometheusParser {
  static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern HELP = Pattern.compile("# HELP (\\S+) (.*)");
  private static final Pattern TYPE =
      Pattern.compile("# TYPE (\\S+) (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE = Pattern.compile("(\\S+?)(\\{.*\\})? (\\S+)");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  record Sample(String name, Map<String, String> labels, double value) {}

  final Map<String, String> types = new LinkedHashMap<>();
  final Map<String, String> helps = new HashMap<>();
  final List<Sample> samples = new ArrayList<>();

  static PrometheusParser parse(String text) {
    PrometheusParser p = new PrometheusParser();
    if (!text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition must end with a line feed");
    }
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      if (line.isEmpty() && lineNo == text.split("\n", -1).length) {
        break;
      }
      try {
        p.line(line);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "line " + lineNo + " \"" + line + "\": " + e.getMessage(), e);
      }
    }
    for (String family : p.types.keySet()) {
      if (!p.helps.containsKey(family)) {
        throw new IllegalArgumentException("family " + family + " has no HELP");
      }
    }
    return p;
  }

  private void line(String line) {
    if (line.startsWith("#")) {
      Matcher help = HELP.matcher(line);
      Matcher type = TYPE.matcher(line);
      if (help.matches()) {
        name(help.group(1));
        if (helps.put(help.group(1), help.group(2)) != null) {
          throw new IllegalArgumentException("second HELP for " + help.group(1));
        }
      } else if (type.matches()) {
        String family = name(type.group(1));
        if (types.put(family, type.group(2)) != null) {
          throw new IllegalArgumentException("second TYPE for " + family);
        }
        if (samples.stream().anyMatch(s -> familyOf(s.name()).equals(family))) {
          throw new IllegalArgumentException("TYPE after samples of " + family);
        }
        if (type.group(2).equals("counter") && !family.endsWith("_total")) {
          throw new IllegalArgumentException("counter " + family + " does not end in _total");
        }
        if (!TYPES.contains(type.group(2))) {
          throw new IllegalArgumentException("unknown type");
        }
      } else {
        throw new IllegalArgumentException("a comment that is neither HELP nor TYPE");
      }
      return;
    }
    Matcher m = SAMPLE.matcher(line);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a sample");
    }
    String name = name(m.group(1));
    String family = familyOf(name);
    if (!types.containsKey(family)) {
      throw new IllegalArgumentException("sample of undeclared family " + family);
    }
    samples.add(new Sample(name, labels(m.group(2)), value(m.group(3))));
  }

  /** The family a sample belongs to: itself, or a histogram's for its _bucket/_sum/_count. */
  private String familyOf(String name) {
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        if ("histogram".equals(types.get(base))) {
          return base;
        }
      }
    }
    return name;
  }

  private static String name(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("bad metric name " + name);
    }
    return name;
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (text == null) {
      return labels;
    }
    int at = 1;
    while (at < text.length() - 1) {
      int eq = text.indexOf('=', at);
      String key = text.substring(at, eq);
      if (!LABEL_NAME.matcher(key).matches()) {
        throw new IllegalArgumentException("bad label name " + key);
      }
      if (text.charAt(eq + 1) != '"') {
        throw new IllegalArgumentException("label value not quoted");
      }
      StringBuilder value = new StringBuilder();
      int i = eq + 2;
      while (text.charAt(i) != '"') {
        char c = text.charAt(i);
        if (c == '\\') {
          char e = text.charAt(++i);
          if (e == 'n') {
            value.append('\n');
          } else if (e == '\\' || e == '"') {
            value.append(e);
          } else {
            throw new IllegalArgumentException("bad escape in label value");
          }
        } else {
          value.append(c);
        }
        i++;
      }
      if (labels.put(key, value.toString()) != null) {
        throw new IllegalArgumentException("label " + key + " twice");
      }
      at = i + 1;
      if (text.charAt(at) == ',') {
        at++;
      } else if (at != text.length() - 1) {
        throw new IllegalArgumentException("',' or '}' expected after a label");
      }
    }
    return labels;
  }

  private static double value(String text) {
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        if (!text.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
          throw new IllegalArgumentException("bad value " + text);
        }
        return Double.parseDouble(text);
    }
  }

  /** The value of the one sample {@code name} with {@code labels} (key, value, ...). */
  double value(String name, String... labels) {
    Map<String, String> wanted = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      wanted.put(labels[i], labels[i + 1]);
    }
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(wanted))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no sample " + name + wanted))
        .value();
  }
}
