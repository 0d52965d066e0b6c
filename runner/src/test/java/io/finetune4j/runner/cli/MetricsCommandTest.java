package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.eval.Interval;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ft4j metrics}: reading rows, picking evaluators, intervals, output and user errors. */
class MetricsCommandTest {
    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int ft4j(String... args) {
        return new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
    }

    private Path file(String name, String content) throws Exception {
        Path file = temp.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    /** The built-in evaluators as ServiceLoader creates them (plugins-eval is on the runner's test class path). */
    @SuppressWarnings("rawtypes")
    private static Map<String, EvaluatorProvider<?>> evaluators() {
        Map<String, EvaluatorProvider<?>> found = new LinkedHashMap<>();
        for (EvaluatorProvider provider : ServiceLoader.load(EvaluatorProvider.class)) {
            found.put(provider.id(), provider);
        }
        return found;
    }

    @Test
    void mapsMetricNamesToEvaluatorIds() {
        assertThat(MetricsCommand.evaluatorIds(List.of("bleu", "exact_match", "rouge", "f1", "exact-match"), evaluators()))
                .containsExactly("bleu", "exact-match", "rouge", "f1");
        assertThatThrownBy(() -> MetricsCommand.evaluatorIds(List.of("blue"), evaluators()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--metrics: unknown metric 'blue'; known: [bleu, rouge, meteor, exact_match, f1, accuracy]");
    }

    @Test
    void readsReferenceAndReferencesRows() throws Exception {
        Path data = file("p.jsonl", """
                {"prediction": "a b", "reference": "a b"}

                {"prediction": "c", "references": ["c", "d"]}
                """);

        List<Prediction> rows = MetricsCommand.readPredictions(data);

        assertThat(rows).hasSize(2);
        assertThat(rows.get(1).references()).containsExactly("c", "d");
        assertThat(rows.get(1).source().line()).isEqualTo(3);
    }

    @Test
    void scoresEveryRequestedMetricWithAnInterval() throws Exception {
        List<Prediction> rows = MetricsCommand.readPredictions(file("p.jsonl", """
                {"prediction": "Paris", "reference": "paris"}
                {"prediction": "London", "reference": "Berlin"}
                {"prediction": "the cat sat on the mat", "references": ["the cat sat on the mat", "x"]}
                {"prediction": "Rome", "reference": "rome"}
                """));

        Map<String, Interval> results = MetricsCommand.measure(rows,
                List.of("exact-match", "f1", "bleu", "rouge", "meteor"), List.of(), evaluators(), 0);

        assertThat(results.keySet()).containsExactly("exact_match", "f1", "bleu", "rouge1", "rouge2", "rougeL",
                "rougeLsum", "meteor");
        assertThat(results.get("exact_match").value()).isCloseTo(75.0, within(1e-9));
        assertThat(results.get("exact_match").n()).isEqualTo(4);
        for (Interval interval : results.values()) {
            assertThat(interval.low()).isLessThanOrEqualTo(interval.value() + 1e-9);
            assertThat(interval.high()).isGreaterThanOrEqualTo(interval.value() - 1e-9);
        }
    }

    @Test
    void accuracyTakesTheLabelsOption() throws Exception {
        List<Prediction> rows = MetricsCommand.readPredictions(file("p.jsonl", """
                {"prediction": "yes", "reference": "yes"}
                {"prediction": "No.", "reference": "yes"}
                """));

        Map<String, Interval> results = MetricsCommand.measure(rows, List.of("accuracy"), List.of("yes", "no"),
                evaluators(), 0);

        assertThat(results.get("accuracy").value()).isCloseTo(0.5, within(1e-12));
        assertThat(results.get("confusion/yes/no").value()).isEqualTo(1.0);
        assertThatThrownBy(() -> MetricsCommand.measure(rows, List.of("accuracy"), List.of(), evaluators(), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--labels: accuracy needs the label set, e.g. --labels positive,negative");
    }

    @Test
    void printsOneLinePerMetricAndTheConfusionMatrix() {
        Map<String, Interval> results = new LinkedHashMap<>();
        results.put("accuracy", new Interval(0.5, 0.0, 1.0, 2));
        results.put("confusion/yes/yes", new Interval(1, 0, 2, 2));
        results.put("confusion/yes/no", new Interval(1, 0, 2, 2));
        StringWriter text = new StringWriter();
        // columns are as wide as the widest of "gold \\ predicted" (16) and the labels, two spaces apart

        MetricsCommand.print(results, false, new PrintWriter(text));

        assertThat(text.toString()).isEqualTo("""
                accuracy  0.5000  95% CI [0.0000, 1.0000]  n=2
                confusion matrix (rows: gold, columns: predicted):
                gold \\ predicted               yes                no
                yes                              1                 1
                """);
    }

    @Test
    void emptyFileIsAUserErrorNamingTheFile() throws Exception {
        Path data = file("empty.jsonl", "\n");

        int code = ft4j("metrics", "--data", data.toString(), "--metrics", "bleu");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: " + data + ": no rows; expected one JSON object per line with "
                + "\"prediction\" and \"reference\" (or \"references\": [...])\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void rowWithoutAReferenceNamesFileAndLine() throws Exception {
        Path data = file("bad.jsonl", """
                {"prediction": "a", "reference": "a"}
                {"prediction": "b"}
                """);

        int code = ft4j("metrics", "--data", data.toString(), "--metrics", "bleu");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("ft4j: " + data + ":2: needs \"reference\" (a string) or "
                + "\"references\" (a non-empty list of strings)\n");
    }

    @Test
    void rowWithoutAPredictionOrWithBadJsonNamesFileAndLine() throws Exception {
        Path missing = file("missing.jsonl", "{\"reference\": \"a\"}\n");
        Path broken = file("broken.jsonl", "{\"prediction\": \"a\", \"reference\": \"a\"}\n{oops\n");

        assertThat(ft4j("metrics", "--data", missing.toString(), "--metrics", "f1")).isEqualTo(2);
        assertThat(ft4j("metrics", "--data", broken.toString(), "--metrics", "f1")).isEqualTo(2);

        assertThat(err.toString()).startsWith("ft4j: " + missing + ":1: \"prediction\" must be a string, but the row has none\n")
                .contains("ft4j: " + broken + ":2: not valid JSON: ");
    }

    @Test
    void unknownMetricIsAUserError() throws Exception {
        Path data = file("p.jsonl", "{\"prediction\": \"a\", \"reference\": \"a\"}\n");

        assertThat(ft4j("metrics", "--data", data.toString(), "--metrics", "bleu,blue")).isEqualTo(2);
        assertThat(err.toString()).startsWith("ft4j: --metrics: unknown metric 'blue'");
    }

    /**
     * End to end through the plugin registry. The registry wraps every evaluator in the runner's
     * BundleEvaluatorProvider; until that wrapper forwards {@code scorePredictions}, the command reports the
     * evaluator as needing a model, and this test is skipped with that reason.
     */
    @Test
    void jsonOutputEndToEnd() throws Exception {
        Path data = file("p.jsonl", """
                {"prediction": "The cat sat on the mat.", "reference": "The cat sat on the mat."}
                {"prediction": "A dog barked.", "references": ["A dog barked.", "The dog barked."]}
                """);

        int code = ft4j("metrics", "--data", data.toString(), "--metrics", "bleu,exact_match", "--json",
                "--seed", "3");

        Assumptions.assumeFalse(code == 2 && err.toString().contains("cannot score predictions"),
                "the runner's BundleEvaluatorProvider does not forward Evaluator.scorePredictions yet: " + err);
        assertThat(code).as(err.toString()).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get("bleu").get("value").asDouble()).isCloseTo(100.0, within(1e-9));
        assertThat(json.get("bleu").get("ci_low").asDouble()).isCloseTo(100.0, within(1e-9));
        assertThat(json.get("bleu").get("ci_high").asDouble()).isCloseTo(100.0, within(1e-9));
        assertThat(json.get("exact_match").get("value").asDouble()).isCloseTo(100.0, within(1e-9));
        assertThat(out.toString()).startsWith("{\"bleu\": {\"value\": ")
                .endsWith(", \"exact_match\": {\"value\": 100.0, \"ci_low\": 100.0, \"ci_high\": 100.0}}\n");
    }
}
