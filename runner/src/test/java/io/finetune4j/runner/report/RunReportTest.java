package io.finetune4j.runner.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a one-stage pipeline on a tiny random model (a task evaluation with prompts and a "general"
 * forgetting check) and reads the report it leaves in the run directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    static Path temp;

    private Path run;
    private int code;
    private String out;
    private String err;

    @BeforeAll
    void runPipeline() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        project.write("data/task.jsonl", """
                {"prompt": "1+1=", "completion": "2"}
                {"prompt": "2+1=", "completion": "3"}
                {"prompt": "4+1=", "completion": "5"}
                {"prompt": "6+1=", "completion": "7"}
                """);
        project.write("data/general.jsonl", """
                {"text": "the cat sat"}
                {"text": "on the mat"}
                {"text": "a b c d"}
                """);
        Path pipeline = project.write("pipeline.yaml", """
                name: tiny-report
                seed: 5
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2, lora_alpha: 4, target_modules: [q_proj, v_proj]}
                    objective: {id: sft}
                    data: {train: data/train.jsonl}
                    training: {epochs: 1, batch_size: 2, learning_rate: 1.0e-2, max_length: 32, logging_steps: 1}
                    evaluators:
                      - {id: perplexity, data: data/task.jsonl, when: [before, after]}
                      - {id: perplexity, data: data/general.jsonl, when: [before, after]}
                """);
        run = temp.resolve("run");
        StringWriter outWriter = new StringWriter();
        StringWriter errWriter = new StringWriter();
        code = new Main(new PrintWriter(outWriter, true), new PrintWriter(errWriter, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        out = outWriter.toString();
        err = errWriter.toString();
    }

    @Test
    void markdownReportHasEverySectionAndAHeadline() throws Exception {
        assertThat(code).as("stderr: %s", err).isZero();
        String md = Files.readString(run.resolve("report.md"));

        assertThat(md).startsWith("# Run report: tiny-report\n");
        assertThat(md).contains("## Summary", "## Stage sft", "### Training curves", "### Metrics",
                "### Forgetting check", "### Sample generations", "## Configuration", "## Versions");
        assertThat(md).containsPattern(
                "\\*\\*(PASS|WARN|FAIL|n\\.s\\.) sft: perplexity \\S+ → \\S+ \\([+-]\\d+(\\.\\d)?%, "
                + "p[<=≤]\\S+\\); \\\\\\[general\\\\\\] perplexity");
        assertThat(md).contains("![sft loss](charts/sft-loss.png)");
        assertThat(md).contains("| finetune4j |", "| DJL |", "| PyTorch |", "| Java |");
        // The configuration is the pipeline file as given and the stage as resolved.
        assertThat(md).contains(Files.readString(run.resolve("pipeline.yaml")));
        assertThat(md).contains(Files.readString(run.resolve("sft/stage.yaml")));
        assertThat(md).contains("no significant loss on the general-ability evaluation");
        assertThat(out).contains("report: " + run.resolve("report.html"));
    }

    @Test
    void sampleGenerationsShowThreePromptsOfTheEvaluationData() throws Exception {
        assertThat(code).as("stderr: %s", err).isZero();
        String md = Files.readString(run.resolve("report.md"));

        assertThat(md).contains("| prompt | base model (before the stage) | after sft |");
        assertThat(md).contains("| 1+1= |", "| 2+1= |", "| 4+1= |").doesNotContain("| 6+1= |");
    }

    @Test
    void htmlReportIsOnePageThatLinksItsCharts() throws Exception {
        assertThat(code).as("stderr: %s", err).isZero();
        String html = Files.readString(run.resolve("report.html"));

        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
        assertThat(html).contains("<h2>Stage sft</h2>", "<div class=\"headline ", "<img src=\"charts/sft-loss.png\"",
                "<th>Δ [95% CI]</th>");
        assertThat(html).doesNotContain("<script", "http://", "https://");
    }

    @Test
    void chartsAreValidPngsOfTheTrainingCurves() throws Exception {
        assertThat(code).as("stderr: %s", err).isZero();
        for (String name : List.of("sft-loss.png", "sft-learning_rate.png")) {
            Path chart = run.resolve("charts").resolve(name);
            byte[] bytes = Files.readAllBytes(chart);
            assertThat(Arrays.copyOf(bytes, 8)).as(name).isEqualTo(PNG_SIGNATURE);
            assertThat(bytes.length).as(name).isGreaterThan(2000);
            BufferedImage image = ImageIO.read(chart.toFile());
            assertThat(image.getWidth()).isEqualTo(560);
            assertThat(image.getHeight()).isEqualTo(320);
        }
    }

    @Test
    void evalLinesPairEveryMetricBeforeAndAfter() throws Exception {
        assertThat(code).as("stderr: %s", err).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("eval.jsonl"))) {
            lines.add(JSON.readTree(line));
        }
        JsonNode stageMetrics = JSON.readTree(run.resolve("sft/metrics.json").toFile());

        assertThat(lines).isNotEmpty();
        assertThat(lines.size() % 2).isZero();
        for (int i = 0; i < lines.size(); i += 2) {
            JsonNode before = lines.get(i);
            JsonNode after = lines.get(i + 1);
            assertThat(before.get("when").asText()).isEqualTo("before");
            assertThat(after.get("when").asText()).isEqualTo("after");
            assertThat(after.get("metric")).isEqualTo(before.get("metric"));
            assertThat(before.has("delta")).isFalse();
            assertThat(after.get("delta").asDouble())
                    .isCloseTo(after.get("value").asDouble() - before.get("value").asDouble(), within(1e-9));
            JsonNode deltaCi = after.get("delta_ci");
            assertThat(deltaCi.get(0).asDouble()).isLessThanOrEqualTo(deltaCi.get(1).asDouble());
            assertThat(after.get("p_value").asDouble()).isBetween(0.001, 1.0);
            // The same intervals as the stage's metrics.json.
            JsonNode recorded = stageMetrics.at("/evaluators/" + after.get("evaluator_index").asInt() + "/after/"
                    + after.get("metric").asText());
            assertThat(after.get("ci_low").asDouble()).isEqualTo(recorded.get("ci_low").asDouble());
            assertThat(after.get("n").asInt()).isEqualTo(recorded.get("n").asInt());
        }
        assertThat(lines).extracting(line -> line.get("evaluator_index").asInt()).contains(0, 1);
        assertThat(lines.get(0).fieldNames()).toIterable().containsExactly("stage", "evaluator", "evaluator_index",
                "data", "metric", "when", "value", "ci_low", "ci_high", "n", "higher_is_better");
    }
}
