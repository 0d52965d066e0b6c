package io.finetune4j.eval.classification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassificationEvaluatorTest {
    private static final List<String> LABELS = List.of("positive", "negative", "neutral");

    private static ClassificationEvaluator evaluator(List<String> labels) {
        ClassificationConfig defaults = new ClassificationEvaluatorProvider().defaults();
        return (ClassificationEvaluator) new ClassificationEvaluatorProvider().create(new ClassificationConfig(labels,
                "generate", defaults.maxNewTokens(), 0, 0, 1, 0, false));
    }

    private static Map<String, Double> score(String[][] rows) {
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            predictions.add(new Prediction(rows[i][1], List.of(rows[i][0]), new Source("p.jsonl", i + 1)));
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (Metric metric : evaluator(LABELS).scorePredictions(predictions).orElseThrow()) {
            values.put(metric.name(), metric.value());
        }
        return values;
    }

    /**
     * Gold -> text (read label): positive -> "Positive." (positive), positive -> "negative" (negative),
     * negative -> "negative, clearly" (negative), negative -> "I think neutral" (none: must start with a label),
     * neutral -> "neutral" (neutral), neutral -> "positive" (positive).
     * Confusion rows gold, columns predicted: positive [1, 1, 0 | none 0], negative [0, 1, 0 | 1],
     * neutral [1, 0, 1 | 0]. Accuracy 3/6. Precision: positive 1/2, negative 1/2, neutral 1/1; recall 1/2 each.
     * F1: 1/2, 1/2, 2/3 -> macro (1/2 + 1/2 + 2/3) / 3. Micro: TP 3, FP 2 (wrong label predictions), FN 3 ->
     * 2*3 / (2*3 + 2 + 3) = 6/11.
     */
    @Test
    void confusionMatrixAndF1ByHand() {
        Map<String, Double> values = score(new String[][] {
                {"positive", "Positive."}, {"positive", "negative"}, {"negative", "negative, clearly"},
                {"negative", "I think neutral"}, {"neutral", "neutral"}, {"neutral", "positive"}});

        assertThat(values.get("accuracy")).isCloseTo(0.5, within(1e-12));
        assertThat(values.get("precision/positive")).isCloseTo(0.5, within(1e-12));
        assertThat(values.get("precision/negative")).isCloseTo(0.5, within(1e-12));
        assertThat(values.get("precision/neutral")).isCloseTo(1.0, within(1e-12));
        assertThat(values.get("recall/positive")).isCloseTo(0.5, within(1e-12));
        assertThat(values.get("recall/neutral")).isCloseTo(0.5, within(1e-12));
        assertThat(values.get("macro_f1")).isCloseTo((0.5 + 0.5 + 2.0 / 3) / 3, within(1e-12));
        assertThat(values.get("micro_f1")).isCloseTo(6.0 / 11, within(1e-12));
        assertThat(values.get("confusion/positive/positive")).isEqualTo(1.0);
        assertThat(values.get("confusion/positive/negative")).isEqualTo(1.0);
        assertThat(values.get("confusion/negative/<none>")).isEqualTo(1.0);
        assertThat(values.get("confusion/neutral/positive")).isEqualTo(1.0);
        assertThat(values.get("confusion/neutral/negative")).isEqualTo(0.0);
    }

    @Test
    void microF1EqualsAccuracyWhenEveryPredictionIsALabel() {
        Map<String, Double> values = score(new String[][] {
                {"positive", "positive"}, {"negative", "positive"}, {"neutral", "neutral"}});

        assertThat(values.get("micro_f1")).isCloseTo(values.get("accuracy"), within(1e-12));
        assertThat(values).doesNotContainKey("confusion/positive/<none>");
    }

    @Test
    void readsTheFirstLabelTheNormalisedTextStartsWith() {
        LabelReader reader = new LabelReader(List.of("yes", "no", "not sure"));

        assertThat(reader.read("Yes, definitely")).isEqualTo(0);
        assertThat(reader.read("  NO.")).isEqualTo(1);
        assertThat(reader.read("Not sure at all")).isEqualTo(2);
        assertThat(reader.read("nothing")).isEqualTo(-1);
        assertThat(reader.read("yesterday")).isEqualTo(-1);
        assertThat(reader.read("")).isEqualTo(-1);
        assertThat(new LabelReader(List.of("not", "not sure")).read("Not sure.")).isEqualTo(1);
        assertThat(new LabelReader(List.of("not", "not sure")).read("not sure, maybe")).isEqualTo(0);
    }

    @Test
    void aGoldLabelOutsideTheSetNamesItsFileAndLine() {
        List<Prediction> predictions = List.of(
                new Prediction("positive", List.of("positive"), new Source("p.jsonl", 1)),
                new Prediction("positive", List.of("mixed"), new Source("p.jsonl", 2)));

        assertThatThrownBy(() -> evaluator(LABELS).scorePredictions(predictions))
                .isInstanceOf(ConfigException.class)
                .hasMessage("p.jsonl:2: label 'mixed' is not one of the configured labels [positive, negative, neutral]");
    }

    @Test
    void checkDataRejectsUnknownLabelsAndOtherRowKindsBeforeAnyModelWork() {
        Dataset badLabel = new Dataset("eval.jsonl", List.of(
                new Example.Labelled("Great film", "positive", new Source("eval.jsonl", 1)),
                new Example.PromptCompletion("Awful", "terrible", new Source("eval.jsonl", 2))));
        Dataset badKind = new Dataset("eval.jsonl", List.of(
                new Example.Text("just text", new Source("eval.jsonl", 3))));

        assertThatThrownBy(() -> evaluator(LABELS).checkData(badLabel))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("eval.jsonl:2: label 'terrible'");
        assertThatThrownBy(() -> evaluator(LABELS).checkData(badKind))
                .isInstanceOf(ConfigException.class)
                .hasMessage("eval.jsonl:3: accuracy needs labelled rows (prompt + label) or prompt/completion rows, "
                        + "found a Text row");
        assertThatThrownBy(() -> evaluator(List.of()).checkData(badKind))
                .isInstanceOf(ConfigException.class).hasMessageContaining("labels: must list the label set");
    }

    @Test
    void resamplesRecomputeFromTheChosenExamples() {
        List<Prediction> predictions = List.of(
                new Prediction("positive", List.of("positive"), new Source("p", 1)),
                new Prediction("positive", List.of("negative"), new Source("p", 2)));
        Metric macro = evaluator(LABELS).scorePredictions(predictions).orElseThrow().get(1);

        assertThat(macro.name()).isEqualTo("macro_f1");
        // only example 0: positive F1 = 1, the other labels 0
        assertThat(macro.valueOn(new int[] {0, 0})).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(macro.valueOn(new int[] {})).isZero();
    }
}
