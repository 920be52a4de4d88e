package io.github.ringleader.messaging.examples;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jline.reader.Candidate;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.InfoCmp;
import org.jspecify.annotations.Nullable;

/**
 * The client's console on a terminal (JLine): the prompt {@code <name>> } with line editing and
 * history; what arrives meanwhile is printed above the line being typed, which is then drawn
 * again as it was; Tab completes the commands, and user names after {@code send} and {@code msg}.
 * Private messages, presence and problems are coloured where the terminal has colours, unless
 * {@code NO_COLOR} is set (no-color.org).
 */
final class TerminalConsole implements ClientConsole {
  private static final List<String> COMMANDS =
      List.of("send", "msg", "all", "users", "servers", "help", "quit");

  private final Terminal terminal;
  private final LineReader reader;
  private final String prompt;
  private final boolean colour;
  private final String arrow;

  /**
   * A console on {@code terminal} for the user {@code self}; {@code users} gives the connected
   * users' names for completion, {@code env} the environment ({@code NO_COLOR}).
   */
  TerminalConsole(
      Terminal terminal,
      String self,
      Supplier<? extends Iterable<String>> users,
      Map<String, String> env) {
    this.terminal = terminal;
    this.prompt = self + "> ";
    String noColor = env.get("NO_COLOR");
    Integer colours = terminal.getNumericCapability(InfoCmp.Capability.max_colors);
    this.colour = (noColor == null || noColor.isEmpty()) && colours != null && colours >= 8;
    this.arrow = terminal.outputEncoding().newEncoder().canEncode('→') ? "→" : "->";
    // Typed text is chat, not shell: no quoting or escapes (an apostrophe must not open a quote
    // that waits for its closing one), no "!" history expansion ("Hello everyone!").
    DefaultParser parser = new DefaultParser().quoteChars(new char[0]).escapeChars(new char[0]);
    parser.setEofOnUnclosedQuote(false);
    parser.setEofOnEscapedNewLine(false);
    this.reader = LineReaderBuilder.builder()
        .terminal(terminal)
        .appName("ringleader")
        .parser(parser)
        .completer((r, line, candidates) -> complete(line, users, candidates))
        .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
        .variable(LineReader.BELL_STYLE, "none")
        .build();
  }

  /** The system terminal, or null if JLine cannot open one (then the caller reads plain lines). */
  static @Nullable Terminal systemTerminal() {
    try {
      Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
      if (Terminal.TYPE_DUMB.equals(terminal.getType())) {
        terminal.close(); // no line editing to offer: plain lines do as well
        return null;
      }
      return terminal;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Whether standard input and output are both a terminal. */
  static boolean onTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // Java 22+ has a console even when redirected; isTerminal() tells.
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // before Java 22 there is a console only on a terminal
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  private static void complete(
      ParsedLine line, Supplier<? extends Iterable<String>> users, List<Candidate> candidates) {
    if (line.wordIndex() == 0) {
      for (String command : COMMANDS) {
        candidates.add(new Candidate(command));
      }
      return;
    }
    String command = line.words().get(0).toLowerCase(Locale.ROOT);
    if (line.wordIndex() == 1 && (command.equals("send") || command.equals("msg"))) {
      for (String user : users.get()) {
        candidates.add(new Candidate(user));
      }
    }
  }

  /** Reads a line without echo (JLine's null mask) and without keeping it in the history. */
  @Override
  public char @Nullable [] readSecret(String secretPrompt) {
    Object history = reader.getVariable(LineReader.DISABLE_HISTORY);
    reader.setVariable(LineReader.DISABLE_HISTORY, true);
    try {
      String line = reader.readLine(secretPrompt, '\0');
      return line == null ? null : line.toCharArray();
    } catch (UserInterruptException | EndOfFileException e) {
      return null;
    } finally {
      reader.setVariable(LineReader.DISABLE_HISTORY, history == null ? false : history);
    }
  }

  @Override
  public @Nullable String readLine() {
    try {
      return reader.readLine(prompt);
    } catch (UserInterruptException | EndOfFileException e) {
      return null;
    }
  }

  @Override
  public void show(Kind kind, String text) {
    AttributedStyle style = colour ? styleOf(kind) : AttributedStyle.DEFAULT;
    // Above the line being typed, which JLine draws again; plain printing when not reading.
    reader.printAbove(new AttributedString(text, style));
  }

  private static AttributedStyle styleOf(Kind kind) {
    switch (kind) {
      case PRIVATE:
        return AttributedStyle.BOLD.foreground(AttributedStyle.MAGENTA);
      case PRESENCE:
        return AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN);
      case SENT:
      case STATUS:
        return AttributedStyle.DEFAULT.faint();
      case PROBLEM:
        return AttributedStyle.DEFAULT.foreground(AttributedStyle.RED);
      default:
        return AttributedStyle.DEFAULT;
    }
  }

  @Override
  public String arrow() {
    return arrow;
  }

  @Override
  public void close() {
    try {
      terminal.close();
    } catch (IOException e) {
      // nothing left to show it on
    }
  }
}
