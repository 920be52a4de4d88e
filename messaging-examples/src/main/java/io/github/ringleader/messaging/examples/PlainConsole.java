package io.github.ringleader.messaging.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The client's console on a pipe or a file: one command a line in, one plain line out per event,
 * no colour and no prompt, so that scripts can drive it and read it.
 */
final class PlainConsole implements ClientConsole {
  private final BufferedReader in;
  private final PrintStream out;
  private final String arrow;

  PlainConsole(InputStream stdin, PrintStream out, Charset outCharset) {
    this.in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    this.out = out;
    this.arrow = outCharset.newEncoder().canEncode('→') ? "→" : "->";
  }

  /** The charset {@code System.out} writes in: what the console's arrow must be encodable in. */
  static Charset stdoutCharset() {
    for (String property : new String[] {"stdout.encoding", "sun.stdout.encoding"}) {
      String name = System.getProperty(property);
      if (name != null && Charset.isSupported(name)) {
        return Charset.forName(name);
      }
    }
    return Charset.defaultCharset();
  }

  @Override
  public @Nullable String readLine() throws IOException {
    return in.readLine();
  }

  @Override
  public synchronized void show(Kind kind, String text) {
    out.println(text);
    out.flush();
  }

  @Override
  public String arrow() {
    return arrow;
  }

  @Override
  public void close() {
    out.flush();
  }
}
