package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a real three-stage pipeline on a tiny random model with the built-in plugins, then uses its
 * outputs with {@code generate} and {@code score}. One run serves every test (training is the slow part).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temp;

    private Path run;
    private String runOut;
    private String runErr;
    private int runCode;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    void runPipeline() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", """
                name: tiny
                seed: 3
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: {id: lora, r: 2, lora_alpha: 4, target_modules: [q_proj, v_proj]}
                    objective: {id: sft}
                    data: {train: data/train.jsonl}
                    training: {epochs: 2, batch_size: 2, learning_rate: 1.0e-2, max_length: 32, logging_steps: 1}
                    evaluators:
                      - {id: perplexity, data: data/heldout.jsonl, when: [before, after]}
                  - name: polish
                    base: previous
                    method: {id: lora, r: 2, lora_alpha: 8}
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 2, batch_size: 3, learning_rate: 5.0e-2, max_length: 32}
                  - name: probe
                    base: previous
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {max_steps: 1, batch_size: 2, max_length: 32}
                    output: {merge: false}
                """);
        run = temp.resolve("run");
        Result result = ft4j("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        runCode = result.code();
        runOut = result.out();
        runErr = result.err();
        System.out.println("---- ft4j run stdout\n" + runOut + "---- stderr\n" + runErr);
    }

    @Test
    void runSucceedsAndPrintsEachEvaluatorsChange() {
        assertThat(runCode).as("stderr: %s", runErr).isZero();
        assertThat(runOut).containsPattern(
                "(?m)^perplexity \\[\\S+\\]: \\S+ \\[\\S+, \\S+\\] -> \\S+ \\[\\S+, \\S+\\] \\([+-]\\d+\\.\\d%\\)$");
        assertThat(runOut).endsWith("run directory: " + run + "\n");
    }

    @Test
    void writesAdapterMergedModelMetricsAndResolvedConfigPerStage() throws Exception {
        assertThat(runCode).as("stderr: %s", runErr).isZero();
        assertThat(run.resolve("pipeline.yaml")).exists();
        for (String stage : List.of("sft", "polish", "probe")) {
            assertThat(run.resolve(stage + "/adapter/adapter_config.json")).exists();
            assertThat(run.resolve(stage + "/adapter/adapter_model.safetensors")).exists();
            assertThat(run.resolve(stage + "/stage.yaml")).exists();
            assertThat(run.resolve(stage + "/metrics.json")).exists();
        }
        assertThat(run.resolve("sft/model/config.json")).exists();
        assertThat(run.resolve("polish/model/model.safetensors")).exists();
        assertThat(run.resolve("probe/model")).doesNotExist();

        JsonNode stageYaml = new YAMLMapper().readTree(run.resolve("polish/stage.yaml").toFile());
        assertThat(stageYaml.at("/base").asText()).isEqualTo(run.resolve("sft/model").toString());
        assertThat(stageYaml.at("/method/r").asInt()).isEqualTo(2);
        assertThat(stageYaml.at("/method/lora_alpha").asDouble()).isEqualTo(8.0);
        assertThat(stageYaml.at("/method/lora_dropout").asDouble()).isEqualTo(0.0);
        assertThat(stageYaml.at("/training/max_steps").asInt()).isEqualTo(2);
        assertThat(stageYaml.at("/training/seed").asLong()).isEqualTo(3);
        assertThat(stageYaml.at("/output/merge").asBoolean()).isTrue();
    }

    @Test
    void metricsHoldTrainingStepsAndIntervalsAroundTheValue() throws Exception {
        assertThat(runCode).as("stderr: %s", runErr).isZero();
        JsonNode metrics = JSON.readTree(run.resolve("sft/metrics.json").toFile());
        // 6 examples, batch 2, 2 epochs: 3 steps per epoch.
        assertThat(metrics.at("/training/steps").asInt()).isEqualTo(6);
        for (String when : List.of("before", "after")) {
            JsonNode perplexity = metrics.at("/evaluators/0/" + when + "/perplexity");
            assertThat(perplexity.get("n").asInt()).isEqualTo(4);
            assertThat(perplexity.get("ci_low").asDouble()).isLessThanOrEqualTo(perplexity.get("value").asDouble());
            assertThat(perplexity.get("ci_high").asDouble()).isGreaterThanOrEqualTo(perplexity.get("value").asDouble());
        }
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        // sft logs every step; polish and probe log only their last step (logging_steps defaults to 10).
        assertThat(lines).hasSize(6 + 1 + 1);
        assertThat(JSON.readTree(lines.get(0)).get("stage").asText()).isEqualTo("sft");
        assertThat(JSON.readTree(lines.get(lines.size() - 1)).get("stage").asText()).isEqualTo("probe");
    }

    @Test
    void generateJsonHasExactlyTheDocumentedKeys() throws Exception {
        assertThat(runCode).as("stderr: %s", runErr).isZero();
        Result result = ft4j("generate", "--model", run.resolve("sft/model").toString(), "--prompt", "1+1=",
                "--max-new-tokens", "4", "--json");

        assertThat(result.code()).as("stderr: %s", result.err()).isZero();
        assertThat(result.out()).matches("\\{\"prompt_ids\": \\[[0-9, ]+\\], \"output_ids\": \\[[0-9, ]*\\], "
                + "\"text\": \".*\"\\}\n");
        JsonNode json = JSON.readTree(result.out());
        try (HfTokenizer tokenizer = HfTokenizer.load(temp.resolve("project/tok"))) {
            assertThat(JSON.convertValue(json.get("prompt_ids"), long[].class)).isEqualTo(tokenizer.encode("1+1=", true));
            long[] output = JSON.convertValue(json.get("output_ids"), long[].class);
            assertThat(output.length).isBetween(1, 4);
            assertThat(json.get("text").asText()).isEqualTo(tokenizer.decode(output, true));
        }
    }

    @Test
    void adapterOnItsBaseScoresLikeTheMergedModel() throws Exception {
        assertThat(runCode).as("stderr: %s", runErr).isZero();
        String ids = "1,50,60,70,80,90";
        Result withAdapter = ft4j("score", "--model", run.resolve("sft/model").toString(), "--adapter",
                run.resolve("polish/adapter").toString(), "--ids", ids, "--json");
        Result merged = ft4j("score", "--model", run.resolve("polish/model").toString(), "--ids", ids, "--json");
        Result base = ft4j("score", "--model", run.resolve("sft/model").toString(), "--ids", ids, "--json");

        assertThat(withAdapter.code()).as("stderr: %s", withAdapter.err()).isZero();
        JsonNode adapterJson = JSON.readTree(withAdapter.out());
        JsonNode mergedJson = JSON.readTree(merged.out());
        JsonNode baseJson = JSON.readTree(base.out());
        assertThat(adapterJson.get("logprobs").get(0).isNull()).isTrue();
        double sum = 0;
        double changed = 0;
        for (int i = 1; i < 6; i++) {
            double value = adapterJson.get("logprobs").get(i).asDouble();
            assertThat(value).isCloseTo(mergedJson.get("logprobs").get(i).asDouble(), within(1e-4));
            changed = Math.max(changed, Math.abs(value - baseJson.get("logprobs").get(i).asDouble()));
            sum += value;
        }
        // The adapter trained (it changes the scores) and perplexity is exp of the mean NLL of tokens 1..n-1.
        assertThat(changed).isGreaterThan(1e-4);
        assertThat(adapterJson.get("perplexity").asDouble()).isCloseTo(Math.exp(-sum / 5), within(1e-9));
        assertThat(adapterJson.fieldNames()).toIterable().containsExactly("ids", "logprobs", "perplexity");
    }

    @Test
    void askingForAGpuWithoutOneIsAUserError() {
        Assumptions.assumeTrue(Engine.getInstance().getGpuCount() == 0, "this machine has a GPU");
        Result result = ft4j("--device", "gpu", "score", "--model", run.resolve("sft/model").toString(), "--ids", "1,2");

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).startsWith("ft4j: --device gpu: the PyTorch engine sees no GPU");
    }
}
