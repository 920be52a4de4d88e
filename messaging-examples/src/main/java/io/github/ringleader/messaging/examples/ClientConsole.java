package io.github.ringleader.messaging.examples;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Where the example client reads commands and shows what happens: plain lines on a pipe or a
 * file ({@link PlainConsole}), an editable prompt on a terminal ({@link TerminalConsole}). Lines
 * may be shown from any thread, also while {@link #readLine} waits.
 */
interface ClientConsole extends AutoCloseable {
  /** What a shown line is, so a terminal can tell them apart at a glance. */
  enum Kind {
    /** A message to everyone. */
    MESSAGE,
    /** A private message. */
    PRIVATE,
    /** Someone joined or left. */
    PRESENCE,
    /** Where a send went ({@code → everyone}). */
    SENT,
    /** The client's own news: connected, reconnecting, a list asked for. */
    STATUS,
    /** Something did not work: not sent, not delivered, unknown command. */
    PROBLEM
  }

  /**
   * The next line typed, or null when the user is done: the input ended (EOF, Ctrl+D) or the
   * user interrupted (Ctrl+C).
   */
  @Nullable
  String readLine() throws IOException;

  /**
   * Asks for a secret (a password) without showing it, or returns null where that cannot be done
   * (not on a terminal: a pipe's next line is a command, not a password). The caller clears it.
   */
  default char @Nullable [] readSecret(String prompt) throws IOException {
    return null;
  }

  /** Shows {@code text} (one or more lines, no trailing newline) as {@code kind}. */
  void show(Kind kind, String text);

  /** The arrow that starts a {@link Kind#SENT} line: {@code →}, or {@code ->} where it cannot be shown. */
  String arrow();

  /** Gives back the terminal, if any; shows nothing more. */
  @Override
  void close();
}
