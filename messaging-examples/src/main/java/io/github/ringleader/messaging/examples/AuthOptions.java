package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.auth.FileAuthenticator;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.routing.ClientNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The example commands' client-authentication options: the server's {@code --users <file>}, the
 * client's {@code --user <name>} and {@code --password-file <file>} (else the environment variable
 * {@code RINGLEADER_PASSWORD}, else a prompt on the terminal). Kept apart so that the commands
 * change by a few lines.
 */
final class AuthOptions {
  /** The environment variable a scripted client reads its password from. */
  static final String PASSWORD_VARIABLE = "RINGLEADER_PASSWORD";

  static final String SERVER_HELP =
      "  --users <file>             clients must sign in as a user of <file> (made with\n"
          + "                             adduser); default: no client authentication\n";

  static final String CLIENT_HELP =
      "  --user <name>              sign in as <name> (default: the client's <name>), for a\n"
          + "                             server started with --users\n"
          + "  --password-file <file>     read the password from the first line of <file>; else\n"
          + "                             from $" + PASSWORD_VARIABLE
          + "; else, if the server asks for\n"
          + "                             one, it is prompted for on the terminal (not echoed)\n";

  private @Nullable Path usersFile;
  private @Nullable FileAuthenticator authenticator;
  private @Nullable String user;
  private @Nullable Path passwordFile;

  /**
   * Takes {@code --users} out of {@code args} and reads the file at once, so that a bad one
   * stops the server before it starts.
   *
   * @throws UsageException for a missing value, or a users file that cannot be read or is invalid
   *     (the message names the file and line)
   */
  void takeServerOptionsFrom(List<String> args) throws UsageException {
    for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
      String option = it.next();
      if (!option.equals("--users")) {
        continue;
      }
      it.remove();
      usersFile = Path.of(ClusterOptions.value(option, it));
      it.remove();
    }
    Path file = usersFile;
    if (file != null) {
      try {
        authenticator = FileAuthenticator.open(file);
      } catch (IOException e) {
        throw new UsageException("--users: cannot read " + file + ": " + e);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--users: " + e.getMessage());
      }
    }
  }

  /** Requires client authentication on {@code node} if {@code --users} was given. */
  MessagingNode.Builder applyTo(MessagingNode.Builder node) {
    FileAuthenticator given = authenticator;
    return given == null ? node : node.authenticator(given);
  }

  /** What to log about client authentication. */
  String describe() {
    FileAuthenticator given = authenticator;
    return given == null
        ? "clients are not authenticated (no --users)"
        : "clients sign in as one of the " + given.users().size() + " users of " + usersFile
            + " (reloaded when it changes)";
  }

  /** Takes {@code --user} and {@code --password-file} out of {@code args}. */
  void takeClientOptionsFrom(List<String> args) throws UsageException {
    for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
      String option = it.next();
      if (!option.equals("--user") && !option.equals("--password-file")) {
        continue;
      }
      it.remove();
      String value = ClusterOptions.value(option, it);
      it.remove();
      if (option.equals("--user")) {
        String problem = ClientNames.problemWith(value);
        if (problem != null) {
          throw new UsageException("--user: " + problem);
        }
        user = value;
      } else {
        passwordFile = Path.of(value);
      }
    }
  }

  /** The user to sign in as: {@code --user}, else the client's own name. */
  String user(String clientName) {
    String given = user;
    return given != null ? given : clientName;
  }

  /**
   * The password from {@code --password-file} or {@code RINGLEADER_PASSWORD} in {@code env}, or
   * null if neither is given (the caller may prompt). The caller clears the array.
   *
   * @throws UsageException if the file cannot be read, or the password is empty
   */
  char @Nullable [] scriptedPassword(Map<String, String> env) throws UsageException {
    Path file = passwordFile;
    if (file != null) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new UsageException("--password-file: cannot read " + file + ": " + e);
      }
      try {
        return nonEmpty(
            firstLine(bytes), "--password-file: " + file + " holds an empty first line");
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    String fromEnv = env.get(PASSWORD_VARIABLE);
    if (fromEnv != null) {
      return nonEmpty(fromEnv.toCharArray(), PASSWORD_VARIABLE + " is set but empty");
    }
    return null;
  }

  private static char[] nonEmpty(char[] password, String problem) throws UsageException {
    if (password.length == 0) {
      throw new UsageException(problem);
    }
    return password;
  }

  /** The first line of {@code bytes} as UTF-8, without its line break. */
  private static char[] firstLine(byte[] bytes) throws UsageException {
    int end = 0;
    while (end < bytes.length && bytes[end] != '\n') {
      end++;
    }
    if (end > 0 && bytes[end - 1] == '\r') {
      end--;
    }
    CharBuffer chars;
    try {
      chars = StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, end));
    } catch (CharacterCodingException e) {
      throw new UsageException("--password-file: the first line is not UTF-8");
    }
    char[] password = new char[chars.remaining()];
    chars.get(password);
    if (chars.hasArray()) {
      Arrays.fill(chars.array(), '\0');
    }
    return password;
  }

  /** Signs {@code client} in as the user for {@code clientName} with {@code password} (copied). */
  MessagingClient.Builder applyTo(
      MessagingClient.Builder client, String clientName, char[] password) {
    return client.credential(user(clientName), password);
  }
}
