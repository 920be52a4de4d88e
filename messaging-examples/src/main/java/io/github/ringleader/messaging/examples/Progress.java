package io.github.ringleader.messaging.examples;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Shows how far a long run has got — {@code bench}, {@code failover} — on standard error, so that
 * standard output holds only the results and stays easy to parse. On a terminal it keeps one
 * line up to date, rewriting it about four times a second; when standard error goes to a pipe or
 * a file it writes a plain line every few seconds instead, so a log gets a handful of lines, not
 * hundreds of carriage returns.
 *
 * <p>Callers call {@link #update} as often as they like (it only builds the line when one is
 * due) and {@link #clear} before they print anything else, so that a half-written progress line
 * never runs into a result. One thread at a time.
 */
final class Progress {
  static final long TERMINAL_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  static final long PLAIN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final PrintStream to;
  private final boolean terminal;
  private final LongSupplier clock;
  private final long everyNanos;
  private long nextNanos;
  private boolean started;
  /** Characters of the progress line on the screen now (terminal only), 0 if none. */
  private int shown;

  Progress(PrintStream to, boolean terminal, LongSupplier clock) {
    this.to = to;
    this.terminal = terminal;
    this.clock = clock;
    this.everyNanos = terminal ? TERMINAL_EVERY_NANOS : PLAIN_EVERY_NANOS;
  }

  /** Progress on standard error, as a terminal line if standard error is a terminal. */
  static Progress onStandardError() {
    return new Progress(System.err, isTerminal(), System::nanoTime);
  }

  /**
   * Whether this process talks to a terminal. {@code System.console()} is null when standard
   * input or output is redirected on JDK 17 to 21; from JDK 22 it is there even then, and only
   * {@code Console.isTerminal()} (JDK 22+, called by reflection as this code is built for 17)
   * tells. Standard error itself cannot be asked; a console means a person is watching.
   */
  static boolean isTerminal() {
    Object console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = console.getClass().getMethod("isTerminal");
      return Boolean.TRUE.equals(isTerminal.invoke(console));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return true; // JDK 17-21: a console at all means a terminal
    }
  }

  /**
   * Shows {@code line} if one is due: the first call starts the clock (the first line comes one
   * period later, so a short run shows none), then every period.
   */
  synchronized void update(Supplier<String> line) {
    long now = clock.getAsLong();
    if (!started) {
      started = true;
      nextNanos = now + everyNanos;
      return;
    }
    if (now - nextNanos < 0) {
      return;
    }
    nextNanos = now + everyNanos;
    String text = line.get();
    if (terminal) {
      StringBuilder out = new StringBuilder("\r").append(text);
      for (int i = text.length(); i < shown; i++) {
        out.append(' '); // wipe what a longer line left
      }
      to.print(out);
      to.flush();
      shown = text.length();
    } else {
      to.println(text);
    }
  }

  /** Takes the progress line off the screen (terminal) and starts the clock again at the next update. */
  synchronized void clear() {
    if (terminal && shown > 0) {
      to.print("\r" + " ".repeat(shown) + "\r");
      to.flush();
    }
    shown = 0;
    started = false;
  }

  /** {@code 12,345}: a count as people read it. */
  static String count(long n) {
    return String.format(java.util.Locale.ROOT, "%,d", n);
  }
}
