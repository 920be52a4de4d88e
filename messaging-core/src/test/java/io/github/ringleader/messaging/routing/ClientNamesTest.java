package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.IdChars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules for client names, and the messages that say which rule a name breaks. */
class ClientNamesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {"a", "Z", "7", "alice", "Alice_2", "bob.smith", "x-y", "0day", "a.", "a-", "a_"})
  void lettersDigitsDotsUnderscoresAndDashesStartingWithALetterOrDigitAreValid(String name) {
    assertThat(ClientNames.problemWith(name)).isNull();
    assertThat(ClientNames.isValid(name)).isTrue();
  }

  @Test
  void aNameOfExactlyTheLongestLengthIsValid() {
    assertThat(ClientNames.MAX_LENGTH).isEqualTo(32);
    assertThat(ClientNames.isValid("a".repeat(32))).isTrue();
  }

  @Test
  void anEmptyNameIsInvalid() {
    assertThat(ClientNames.problemWith("")).isEqualTo("a name must not be empty");
    assertThat(ClientNames.isValid("")).isFalse();
  }

  @Test
  void aNameLongerThanTheLimitIsInvalidAndTheMessageShowsItShortenedWithItsLength() {
    String name = "b".repeat(40);

    assertThat(ClientNames.problemWith(name))
        .isEqualTo("a name must be at most 32 characters, \"" + "b".repeat(32) + "\u2026\" has 40");
  }

  @ParameterizedTest
  @ValueSource(strings = {".alice", "_alice", "-alice"})
  void aNameMustStartWithALetterOrADigit(String name) {
    assertThat(ClientNames.problemWith(name))
        .isEqualTo("a name must start with an ASCII letter or digit, not '" + name.charAt(0) + "'");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "al ice|' ' at position 3",
        "alice!|'!' at position 6",
        "a/b|'/' at position 2",
        "caf\u00e9|'\u00e9' (U+00E9) at position 4",
        "tab\there|U+0009 at position 4"
      })
  void aNameWithAnyOtherCharacterIsInvalidAndTheMessageNamesTheCharacterAndItsPosition(
      String name, String found) {
    assertThat(ClientNames.problemWith(name))
        .isEqualTo("a name may only contain %s; found %s", IdChars.ALLOWED, found);
  }

  @Test
  void aNonAsciiLetterIsNotALetterForNames() {
    assertThat(ClientNames.isValid("\u00e9mile")).isFalse();
    assertThat(ClientNames.isValid("\u0436")).isFalse();
  }

  @Test
  void namesAreUniqueIgnoringCaseSoTheirKeyIsTheLowerCaseName() {
    assertThat(ClientNames.key("Alice")).isEqualTo("alice");
    assertThat(ClientNames.key("ALICE")).isEqualTo(ClientNames.key("alice"));
    assertThat(ClientNames.key("Bob.Smith-2")).isEqualTo("bob.smith-2");
    assertThat(ClientNames.key("alice")).isNotEqualTo(ClientNames.key("alicia"));
  }

  @Test
  void theKeyDoesNotDependOnTheDefaultLocale() {
    java.util.Locale saved = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr"));
      assertThat(ClientNames.key("IRIS")).isEqualTo("iris");
    } finally {
      java.util.Locale.setDefault(saved);
    }
  }

  @Test
  void aNameWithANonAsciiLetterIsToldWhichCharactersAreAllowedNotThatItMustStartWithALetter() {
    assertThat(ClientNames.problemWith("zo\u00eb"))
        .isEqualTo(
            "a name may only contain ASCII letters and digits, '.', '_' and '-' ([A-Za-z0-9._-]);"
                + " found '\u00eb' (U+00EB) at position 3");
    assertThat(ClientNames.problemWith("\u00e9mile"))
        .contains("found '\u00e9' (U+00E9) at position 1");
  }

  @Test
  void anOverlongNameIsQuotedWithoutItsControlCharacters() {
    assertThat(ClientNames.problemWith("\u001b[2J" + "x".repeat(40)))
        .startsWith("a name must be at most 32 characters, \"\\u001B[2Jxxx");
  }

  @Test
  void requireValidNamesTheFieldAndShowsTheValue() {
    assertThat(ClientNames.requireValid("name", "alice")).isEqualTo("alice");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ClientNames.requireValid("name", "bad name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must be 1-32 of [A-Za-z0-9._-], was 'bad name'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientNames.requireValid("to", ""))
        .hasMessage("to must be 1-32 of [A-Za-z0-9._-], was ''");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ClientNames.requireValid("name", "a".repeat(40)))
        .hasMessageStartingWith("name must be 1-32 of [A-Za-z0-9._-], was '" + "a".repeat(32));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClientNames.requireValid("user", "-x"))
        .hasMessage("user must start with an ASCII letter or digit, was '-x'");
  }
}
