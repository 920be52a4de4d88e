package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The progress printer, on a fake clock and a captured stream. */
class ProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private long nowNanos = 1_000;
  private int built;

  private String shown() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private void at(long millis, Progress progress, String line) {
    nowNanos = 1_000 + TimeUnit.MILLISECONDS.toNanos(millis);
    progress.update(() -> {
      built++;
      return line;
    });
  }

  @Test
  void onAPipeItWritesAPlainLineEveryFiveSecondsAndBuildsNoneInBetween() {
    Progress progress = new Progress(stream, false, () -> nowNanos);
    for (long ms = 0; ms <= 12_000; ms += 100) {
      at(ms, progress, "bench: fanout " + ms / 1000 + " s of 30 s");
    }

    assertThat(shown())
        .isEqualTo("bench: fanout 5 s of 30 s" + System.lineSeparator()
            + "bench: fanout 10 s of 30 s" + System.lineSeparator());
    assertThat(built).as("lines built").isEqualTo(2);
  }

  @Test
  void onATerminalItRewritesOneLineFourTimesASecondAndWipesWhatALongerLineLeft() {
    Progress progress = new Progress(stream, true, () -> nowNanos);
    at(0, progress, "ignored: starts the clock");
    at(100, progress, "too soon");
    at(250, progress, "long line");
    at(400, progress, "too soon");
    at(500, progress, "short");

    assertThat(shown()).isEqualTo("\rlong line\rshort    ");
    assertThat(shown()).doesNotContain("\n");
  }

  @Test
  void clearingTakesTheLineOffTheScreenAndTheNextLineWaitsAFullPeriod() {
    Progress progress = new Progress(stream, true, () -> nowNanos);
    at(0, progress, "x");
    at(250, progress, "abc");
    progress.clear();
    assertThat(shown()).isEqualTo("\rabc\r   \r");

    at(300, progress, "restarts the clock");
    at(500, progress, "too soon after the clear");
    at(550, progress, "again");
    assertThat(shown()).isEqualTo("\rabc\r   \r\ragain");
  }

  @Test
  void clearingOnAPipeWritesNothing() {
    Progress progress = new Progress(stream, false, () -> nowNanos);
    at(0, progress, "x");
    at(5_000, progress, "line");
    progress.clear();
    assertThat(shown()).isEqualTo("line" + System.lineSeparator());
  }

  @Test
  void countsAreGroupedByThousands() {
    assertThat(Progress.count(41_200)).isEqualTo("41,200");
    assertThat(Progress.count(7)).isEqualTo("7");
  }
}
