package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.auth.PasswordHashes;
import io.github.ringleader.messaging.auth.UsersFile;
import io.github.ringleader.messaging.routing.ClientNames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code adduser <file> <name> [--may-take <patterns>]}: adds a user to a users file (creating it
 * with owner-only permissions), or replaces its password, reading the password from the first
 * line of standard input.
 */
final class AddUserCommand {
  static final String USAGE =
      "usage: java -jar messaging-examples.jar adduser <file> <name> [options] < password\n"
          + "\n"
          + "Adds user <name> to the users file <file> for a server's --users, or replaces its\n"
          + "entry; reads the password from the first line of standard input. A new file is made\n"
          + "readable by its owner only (0600). The user may join as <name>.\n"
          + "\n"
          + "options:\n"
          + "  --may-take <patterns>      other names the user may take, comma-separated; '*'\n"
          + "                             matches any run of characters, e.g. bot-*,monitor\n"
          + "  --iterations <n>           PBKDF2 iterations (default "
          + PasswordHashes.DEFAULT_ITERATIONS + ")\n"
          + "  --help                     show this help\n";

  private AddUserCommand() {}

  static int run(List<String> args, InputStream stdin, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    List<String> positional = new ArrayList<>();
    List<String> mayTake = new ArrayList<>();
    int iterations = PasswordHashes.DEFAULT_ITERATIONS;
    try {
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--may-take") || arg.equals("--iterations")) {
          if (i + 1 >= args.size()) {
            throw new UsageException(arg + " needs a value");
          }
          String value = args.get(++i);
          if (arg.equals("--iterations")) {
            iterations = ClusterOptions.integer(
                arg, value, PasswordHashes.MIN_ITERATIONS, PasswordHashes.MAX_ITERATIONS);
          } else {
            for (String pattern : value.split(",", -1)) {
              mayTake.add(pattern.strip());
            }
          }
        } else if (arg.startsWith("--")) {
          throw new UsageException("unknown option " + arg);
        } else {
          positional.add(arg);
        }
      }
      if (positional.size() != 2) {
        throw new UsageException("adduser takes <file> and <name>, got " + positional.size()
            + " argument(s): " + positional);
      }
      String problem = ClientNames.problemWith(positional.get(1));
      if (problem != null) {
        throw new UsageException("<name>: " + problem);
      }
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }
    Path file = Path.of(positional.get(0));
    String name = positional.get(1);
    char[] password;
    try {
      password = readFirstLine(stdin);
    } catch (IOException e) {
      err.println("error: cannot read the password from standard input: " + e.getMessage());
      return 1;
    }
    try {
      if (password.length == 0) {
        err.println("error: no password on standard input (the first line is empty)");
        return 1;
      }
      boolean replaced =
          UsersFile.addUser(file, name, password, mayTake, iterations, new SecureRandom());
      out.println((replaced ? "replaced user " : "added user ") + name + " in " + file);
      return 0;
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("error: cannot write " + file + ": " + e);
      return 1;
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** The first line of {@code in} as UTF-8, without its line break; at most 1024 bytes. */
  private static char[] readFirstLine(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (bytes.size() >= io.github.ringleader.messaging.session.Credential.MAX_SECRET_BYTES + 1) {
        throw new IOException("the password is longer than "
            + io.github.ringleader.messaging.session.Credential.MAX_SECRET_BYTES + " bytes");
      }
      bytes.write(b);
    }
    byte[] line = bytes.toByteArray();
    int end = line.length > 0 && line[line.length - 1] == '\r' ? line.length - 1 : line.length;
    try {
      CharBuffer chars = StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(line, 0, end));
      char[] password = new char[chars.remaining()];
      chars.get(password);
      if (chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
      return password;
    } catch (CharacterCodingException e) {
      throw new IOException("the password is not UTF-8");
    } finally {
      Arrays.fill(line, (byte) 0);
    }
  }
}
