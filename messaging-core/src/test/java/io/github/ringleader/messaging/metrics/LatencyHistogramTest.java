package io.github.ringleader.messaging.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void valuesLandInTheBucketWhoseInclusiveBoundHoldsThem() {
    LatencyHistogram histogram = new LatencyHistogram();
    histogram.record(100_000); // exactly the first bound
    histogram.record(100_001);
    histogram.record(3_000_000);
    histogram.record(60_000_000_000L); // above every bound
    histogram.record(-5); // a clock that went back counts as 0

    LatencyHistogram.Snapshot snapshot = histogram.snapshot();
    assertThat(snapshot.count()).isEqualTo(5);
    assertThat(snapshot.counts().get(0)).isEqualTo(2);
    assertThat(snapshot.counts().get(1)).isEqualTo(1);
    assertThat(snapshot.counts().get(5)).as("2.5 ms < 3 ms <= 5 ms").isEqualTo(1);
    assertThat(snapshot.counts().get(snapshot.boundsNanos().size())).isEqualTo(1);
    assertThat(snapshot.cumulative(snapshot.boundsNanos().size())).isEqualTo(5);
    assertThat(snapshot.sumNanos()).isEqualTo(100_000 + 100_001 + 3_000_000 + 60_000_000_000L);
  }

  @Test
  void quantilesAreTheBoundOfTheBucketThatHoldsThem() {
    LatencyHistogram histogram = new LatencyHistogram();
    for (int i = 0; i < 99; i++) {
      histogram.record(2_000_000);
    }
    histogram.record(400_000_000);

    LatencyHistogram.Snapshot snapshot = histogram.snapshot();
    assertThat(snapshot.quantileUpperBoundNanos(0.5)).isEqualTo(2_500_000);
    assertThat(snapshot.quantileUpperBoundNanos(0.99)).isEqualTo(2_500_000);
    assertThat(snapshot.quantileUpperBoundNanos(1.0)).isEqualTo(500_000_000);
    assertThat(LatencyHistogram.Snapshot.empty().quantileUpperBoundNanos(0.5)).isEqualTo(-1);
  }

  @Test
  void boundsAscendOnALogScale() {
    var bounds = LatencyHistogram.Snapshot.empty().boundsNanos();
    assertThat(bounds).isSorted().doesNotHaveDuplicates();
    assertThat(bounds.get(0)).isEqualTo(100_000);
    assertThat(bounds.get(bounds.size() - 1)).isEqualTo(10_000_000_000L);
  }
}
