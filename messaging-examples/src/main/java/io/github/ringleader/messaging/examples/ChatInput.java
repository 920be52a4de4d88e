package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.routing.ClientNames;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * What a line typed into the example client asks for. Pure: the caller says who is connected and
 * who has left, and gets back one {@link Command}, so every rule of the chat syntax is tested
 * without a socket.
 *
 * <p>{@code send <word> <text>} keeps the usage guide's meaning (private when {@code <word>} is a
 * connected user, to everyone otherwise); {@code msg} and {@code all} say which outright. A
 * {@code send} whose first word names someone who has left is not sent at all: as a broadcast it
 * would show everyone what was meant for one.
 */
final class ChatInput {
  /** The longest text a message may carry, in bytes of UTF-8. */
  static final int MAX_TEXT_BYTES = ClientCodec.MAX_TEXT_BYTES;

  private ChatInput() {}

  /** One parsed line. */
  sealed interface Command {}

  /** Send {@code text} to {@code to}, or to everyone when {@code to} is null. */
  record Send(@Nullable String to, String text) implements Command {}

  /** Ask who is connected. */
  record Users() implements Command {}

  /** Ask for the servers and their loads. */
  record Servers() implements Command {}

  /** Show the commands. */
  record Help() implements Command {}

  /** Leave. */
  record Quit() implements Command {}

  /** Nothing to do: a blank line. */
  record Blank() implements Command {}

  /** The line cannot be carried out; {@code message} says why in one line. */
  record Problem(String message) implements Command {}

  /**
   * Parses {@code line}.
   *
   * @param connected whether a name is a connected user's (ignoring case)
   * @param hasLeft whether a name is of someone who left during this session and has not come back
   */
  static Command parse(String line, Predicate<String> connected, Predicate<String> hasLeft) {
    String stripped = line.strip();
    if (stripped.isEmpty()) {
      return new Blank();
    }
    String[] words = stripped.split("\\s+", 2);
    String rest = words.length == 2 ? words[1] : "";
    switch (words[0].toLowerCase(Locale.ROOT)) {
      case "send":
        return send(rest, connected, hasLeft);
      case "msg":
        return msg(rest);
      case "all":
        return rest.isEmpty() ? new Problem("usage: all <text>") : checked(null, rest);
      case "users":
        return new Users();
      case "servers":
        return new Servers();
      case "help":
        return new Help();
      case "quit":
      case "exit":
        return new Quit();
      default:
        return new Problem("unknown command \"" + TerminalText.printable(shorten(words[0]))
            + "\"; type \"help\" for the commands");
    }
  }

  private static Command send(String rest, Predicate<String> connected, Predicate<String> hasLeft) {
    if (rest.isEmpty()) {
      return new Problem("usage: send <text>  or  send <user> <text>");
    }
    String[] parts = rest.split("\\s+", 2);
    if (parts.length == 2 && connected.test(parts[0])) {
      return checked(parts[0], parts[1]);
    }
    if (parts.length == 2 && hasLeft.test(parts[0])) {
      String who = parts[0];
      return new Problem(
          "not sent: " + who + " has left, so this would go to everyone; \"all <text>\" sends to"
              + " everyone, \"msg " + who + " <text>\" to " + who + " alone once back");
    }
    return checked(null, rest);
  }

  private static Command msg(String rest) {
    String[] parts = rest.split("\\s+", 2);
    if (parts.length < 2 || parts[0].isEmpty()) {
      return new Problem("usage: msg <user> <text>");
    }
    String problem = ClientNames.problemWith(parts[0]);
    if (problem != null) {
      return new Problem("not sent: no user can be called \""
          + TerminalText.printable(shorten(parts[0])) + "\": " + problem);
    }
    return checked(parts[0], parts[1]);
  }

  /** {@code text} as a send, or a problem if it is too long to travel. */
  private static Command checked(@Nullable String to, String text) {
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_TEXT_BYTES) {
      return new Problem(String.format(
          Locale.ROOT,
          "not sent: the message is %,d bytes, the limit is %,d; split it into shorter messages",
          bytes,
          MAX_TEXT_BYTES));
    }
    return new Send(to, text);
  }

  private static String shorten(String word) {
    return word.length() <= 40 ? word : word.substring(0, 40) + "…";
  }

  /** Where a send went, as the line shown after it: {@code → everyone}, {@code → bob (private)}. */
  static String destination(String arrow, Send send) {
    return send.to() == null ? arrow + " everyone" : arrow + " " + send.to() + " (private)";
  }
}
