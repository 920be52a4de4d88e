package io.github.ringleader.messaging.auth;

import io.github.ringleader.messaging.routing.ClientNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The users file: one user per line, human-readable, {@code #} starting a comment line, blank
 * lines ignored:
 *
 * <pre>
 * # name:scheme:iterations:salt:hash[:other names it may take]
 * alice:pbkdf2-sha256:600000:&lt;salt, base64&gt;:&lt;hash, base64&gt;
 * ops:pbkdf2-sha256:600000:&lt;salt&gt;:&lt;hash&gt;:ops-*,monitor
 * </pre>
 *
 * A user may take its own name and the names its patterns match ({@code *}: any run); names are
 * unique ignoring case. Stateless helpers; see {@code docs/security.md}.
 */
public final class UsersFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private UsersFile() {}

  /**
   * The users in {@code lines}, by {@link ClientNames#key}.
   *
   * @throws IllegalArgumentException naming {@code source}, the line number and what is wrong
   *     with the first bad line (never echoing the line itself, which holds a hash)
   */
  public static Map<String, UserEntry> parse(List<String> lines, String source) {
    Map<String, UserEntry> users = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      UserEntry entry;
      try {
        entry = parseLine(line);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
      if (users.putIfAbsent(ClientNames.key(entry.name()), entry) != null) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": user " + entry.name()
            + " is listed twice (names ignore case)");
      }
    }
    return users;
  }

  /** Reads and parses {@code file}. */
  public static Map<String, UserEntry> read(Path file) throws IOException {
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
  }

  static UserEntry parseLine(String line) {
    String[] fields = line.split(":", -1);
    if (fields.length != 5 && fields.length != 6) {
      throw new IllegalArgumentException("expected name:" + PasswordHashes.SCHEME
          + ":iterations:salt:hash[:names], found " + fields.length + " fields");
    }
    if (!fields[1].equals(PasswordHashes.SCHEME)) {
      throw new IllegalArgumentException("unknown scheme \"" + fields[1] + "\" (this version knows "
          + PasswordHashes.SCHEME + ")");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(fields[2]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("iterations \"" + fields[2] + "\" is not a number");
    }
    byte[] salt = base64("salt", fields[3]);
    byte[] hash = base64("hash", fields[4]);
    List<String> patterns = new ArrayList<>();
    if (fields.length == 6 && !fields[5].isBlank()) {
      for (String pattern : fields[5].split(",", -1)) {
        patterns.add(pattern.strip());
      }
    }
    return new UserEntry(fields[0], iterations, salt, hash, patterns);
  }

  private static byte[] base64(String field, String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + " is not valid base64");
    }
  }

  /** The line for {@code entry}, as {@link #parse} reads it. */
  public static String format(UserEntry entry) {
    Base64.Encoder b64 = Base64.getEncoder();
    String line = entry.name() + ":" + PasswordHashes.SCHEME + ":" + entry.iterations() + ":"
        + b64.encodeToString(entry.salt()) + ":" + b64.encodeToString(entry.hash());
    return entry.allowedNames().isEmpty()
        ? line
        : line + ":" + String.join(",", entry.allowedNames());
  }

  /**
   * Adds {@code name} with {@code password} to {@code file}, or replaces its entry (the one with
   * the same name, ignoring case) keeping every other line as it was. A new file is created with
   * owner-only permissions (0600) where the file system has POSIX permissions; the file is
   * rewritten through a temporary file in the same folder, so a reader never sees half of it.
   *
   * @return whether an existing user was replaced
   * @throws IllegalArgumentException if the name breaks the client name rules (the message says
   *     which), the password is empty, or the existing file is not a valid users file
   */
  public static boolean addUser(
      Path file,
      String name,
      char[] password,
      List<String> allowedNames,
      int iterations,
      SecureRandom random)
      throws IOException {
    String problem = ClientNames.problemWith(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid user name \"" + name + "\": " + problem);
    }
    byte[] salt = PasswordHashes.newSalt(random);
    byte[] hash = PasswordHashes.hash(password, salt, iterations);
    UserEntry entry = new UserEntry(name, iterations, salt, hash, allowedNames);
    Arrays.fill(hash, (byte) 0);
    List<String> lines =
        Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : new ArrayList<>();
    parse(lines, file.toString()); // refuse to rewrite a file that is not a users file
    boolean replaced = false;
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      String stripped = line.strip();
      if (!stripped.isEmpty()
          && !stripped.startsWith("#")
          && ClientNames.key(stripped.substring(0, stripped.indexOf(':')))
              .equals(ClientNames.key(name))) {
        if (!replaced) {
          out.add(format(entry));
          replaced = true;
        }
        continue;
      }
      out.add(line);
    }
    if (!replaced) {
      if (lines.isEmpty()) {
        out.add("# Ringleader users: name:" + PasswordHashes.SCHEME
            + ":iterations:salt:hash[:other names]");
      }
      out.add(format(entry));
    }
    write(file, out);
    return replaced;
  }

  private static void write(Path file, List<String> lines) throws IOException {
    Path folder =
        java.util.Objects.requireNonNull(file.toAbsolutePath().getParent(), "folder of " + file);
    Path temp = folder.resolve("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    boolean posix = Files.getFileStore(folder).supportsFileAttributeView("posix");
    try {
      if (posix) {
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createFile(temp);
      }
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot create " + temp + ": another adduser is running?", e);
    }
    try {
      Files.write(temp, lines, StandardCharsets.UTF_8);
      try {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
