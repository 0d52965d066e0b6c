package io.finetune4j.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's default pipeline, {@code examples/quickstart.yaml}, exactly as shipped (about a
 * minute on 2 cores) and checks that it shows a real gain on held-out questions: the intervals before and
 * after do not overlap.
 */
class QuickstartPipelineTest {
    @TempDir
    Path temp;

    @Test
    void quickstartImprovesHeldOutPerplexityAndF1() throws Exception {
        Path root = Path.of(System.getProperty("finetune4j.root", ".."));
        Path pipeline = root.resolve("examples/quickstart.yaml");
        assumeTrue(Files.isRegularFile(pipeline), "no examples/quickstart.yaml under " + root.toAbsolutePath());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", temp.resolve("run").toString());

        assertThat(code).as(err.toString()).isZero();
        JsonNode evaluators = new ObjectMapper().readTree(temp.resolve("run/sft/metrics.json").toFile()).get("evaluators");
        JsonNode perplexity = metric(evaluators, "perplexity", "heldout.jsonl");
        JsonNode f1 = metric(evaluators, "f1", "heldout.jsonl");
        assertThat(perplexity.get("after").get("perplexity").get("ci_high").asDouble())
                .isLessThan(perplexity.get("before").get("perplexity").get("ci_low").asDouble());
        assertThat(f1.get("after").get("f1").get("ci_low").asDouble())
                .isGreaterThan(f1.get("before").get("f1").get("ci_high").asDouble() + 10);
        assertThat(out.toString()).contains("perplexity [heldout.jsonl]: ").contains("f1 [heldout.jsonl]: ");
        assertThat(temp.resolve("run/sft/adapter/adapter_model.safetensors")).isRegularFile();
        assertThat(temp.resolve("run/sft/model/model.safetensors")).isRegularFile();
        assertThat(temp.resolve("run/report.html")).isRegularFile();
    }

    private static JsonNode metric(JsonNode evaluators, String id, String data) {
        for (JsonNode evaluator : evaluators) {
            if (evaluator.get("id").asText().equals(id) && evaluator.get("data").asText().endsWith(data)) {
                return evaluator;
            }
        }
        throw new AssertionError("no evaluator " + id + " on " + data + " in " + evaluators);
    }
}
