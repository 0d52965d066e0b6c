package io.finetune4j.runner.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricLinesTest {
    private static EvaluatorResult result(int index, String name, Interval interval) {
        return new EvaluatorResult(index, "perplexity", Path.of("heldout.jsonl"),
                List.of(new MetricResult(name, interval, false)));
    }

    @Test
    void showsBeforeAfterAndRelativeChange() {
        List<String> lines = MetricLines.lines(
                List.of(result(0, "perplexity", new Interval(41.2, 39.8, 42.7, 100))),
                List.of(result(0, "perplexity", new Interval(12.3, 11.9, 12.8, 100))));

        assertThat(lines).containsExactly("perplexity [heldout.jsonl]: 41.2 [39.8, 42.7] -> 12.3 [11.9, 12.8] (-70.1%)");
    }

    @Test
    void showsOneSideWhenTheEvaluatorRanOnce() {
        assertThat(MetricLines.lines(List.of(), List.of(result(0, "accuracy", new Interval(0.8534, 0.8, 0.9, 10)))))
                .containsExactly("accuracy [heldout.jsonl]: 0.853 [0.800, 0.900]");
        assertThat(MetricLines.lines(List.of(result(1, "accuracy", new Interval(1234.5, 1200, 1300, 10))), List.of()))
                .containsExactly("accuracy [heldout.jsonl]: 1234 [1200, 1300] (before training)");
    }
}
