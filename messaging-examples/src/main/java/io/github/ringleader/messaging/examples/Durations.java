package io.github.ringleader.messaging.examples;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Parses durations as people write them on a command line: {@code 200ms}, {@code 2s}, {@code 1m}. */
final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d{1,9})(ms|s|m)");

  private Durations() {}

  /**
   * Parses {@code text} for option {@code option}: a whole number with {@code ms}, {@code s} or
   * {@code m}, or an ISO-8601 duration such as {@code PT2S}. Must be positive.
   */
  static Duration parse(String option, String text) throws UsageException {
    Duration duration = parseAllowingZero(option, text);
    if (duration.isZero()) {
      throw new UsageException(option + " must be positive, was \"" + text + "\"");
    }
    return duration;
  }

  /** As {@link #parse}, but 0 (written {@code 0s}, say) is allowed: it turns something off. */
  static Duration parseAllowingZero(String option, String text) throws UsageException {
    Duration duration;
    Matcher m = SIMPLE.matcher(text.trim());
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          duration = Duration.ofMillis(amount);
          break;
        case "s":
          duration = Duration.ofSeconds(amount);
          break;
        default:
          duration = Duration.ofMinutes(amount);
          break;
      }
    } else {
      try {
        duration = Duration.parse(text.trim());
      } catch (DateTimeParseException e) {
        throw new UsageException(
            option + " takes a duration such as 200ms, 2s or 1m, was \"" + text + "\"");
      }
    }
    if (duration.isNegative()) {
      throw new UsageException(option + " must not be negative, was \"" + text + "\"");
    }
    return duration;
  }

  /**
   * {@code args} with every {@link Duration} in it written as people write it ({@code 5s},
   * {@code 200ms}; see {@code NodeConfig.format}) instead of ISO-8601's {@code PT5S}: for the
   * arguments of a message format.
   */
  static @Nullable Object[] humanArgs(@Nullable Object... args) {
    @Nullable Object[] human = args.clone();
    for (int i = 0; i < human.length; i++) {
      if (human[i] instanceof Duration d) {
        human[i] = io.github.ringleader.messaging.node.NodeConfig.format(d);
      }
    }
    return human;
  }
}
