package io.finetune4j.runner.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runner.testing.PipelineFixture;
import io.finetune4j.runtime.train.DivergenceConfig;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineParserTest {
    @TempDir
    Path temp;

    private PipelineFixture fixture;
    private PipelineParser parser;

    @BeforeEach
    void setUp() {
        fixture = new PipelineFixture(temp);
        parser = PipelineFixture.parser();
    }

    private ConfigException rejected(String yaml) {
        Path file = fixture.pipeline(yaml);
        return org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class, () -> parser.parse(file));
    }

    @Test
    void bindsEveryKeyOntoTheProvidersDefaults() {
        PipelineSpec spec = parser.parse(fixture.pipeline("""
                name: quickstart
                seed: 7
                stages:
                  - name: sft
                    base: models/tiny
                    method: {id: lora, r: 4, lora_alpha: 16, target_modules: q_proj}
                    objective: {id: sft, completion_only_loss: false}
                    data: {train: data/train.jsonl}
                    training: {epochs: 2, batch_size: 2, learning_rate: 2.0e-3, max_length: 128}
                    evaluators:
                      - {id: perplexity, data: data/heldout.jsonl, when: [before, after], batch_size: 4}
                """));

        assertThat(spec.name()).isEqualTo("quickstart");
        assertThat(spec.seed()).isEqualTo(7);
        StageSpec stage = spec.stages().get(0);
        assertThat(stage.base()).isEqualTo(new BaseSpec.Checkpoint(temp.resolve("models/tiny")));
        // Keys left out keep the provider's defaults (lora_dropout 0.0); a single string stays a string (for
        // lora it is PEFT's full-match regex over module names).
        assertThat(new ConfigBinder().mapper().convertValue(stage.method().config(), Map.class))
                .containsEntry("r", 4).containsEntry("lora_alpha", 16.0).containsEntry("lora_dropout", 0.0)
                .containsEntry("target_modules", "q_proj");
        assertThat(new ConfigBinder().mapper().convertValue(stage.objective().config(), Map.class))
                .containsEntry("completion_only_loss", false);
        TrainingConfig defaults = TrainingConfig.defaults();
        assertThat(stage.training()).isEqualTo(new TrainingConfig(2, defaults.maxSteps(), 2,
                defaults.gradientAccumulationSteps(), 2.0e-3, defaults.weightDecay(), defaults.adamBeta1(),
                defaults.adamBeta2(), defaults.adamEpsilon(), defaults.warmupSteps(), defaults.lrSchedule(),
                defaults.maxGradNorm(), defaults.loggingSteps(), 7));
        assertThat(stage.maxLength()).isEqualTo(128);
        assertThat(stage.trainFiles()).containsExactly(temp.resolve("data/train.jsonl"));
        assertThat(stage.trainData().get(0).size()).isEqualTo(2);
        EvaluatorSpec evaluator = stage.evaluators().get(0);
        assertThat(evaluator.when()).isEqualTo(Set.of(EvaluatorSpec.When.BEFORE, EvaluatorSpec.When.AFTER));
        assertThat(evaluator.data()).isEqualTo(temp.resolve("data/heldout.jsonl"));
        assertThat(new ConfigBinder().mapper().convertValue(evaluator.plugin().config(), Map.class))
                .isEqualTo(Map.of("batch_size", 4));
        assertThat(stage.merge()).isEmpty();
    }

    @Test
    void bindsGradientCheckpointingOffByDefault() {
        String stage = """
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                """;
        assertThat(parser.parse(fixture.pipeline(stage)).stages().get(0).training().gradientCheckpointing()).isFalse();
        assertThat(parser.parse(fixture.pipeline(stage + "    training: {gradient_checkpointing: true}\n"))
                .stages().get(0).training().gradientCheckpointing()).isTrue();
    }

    @Test
    void stepCountsThatOverflowAndBadDivergenceSettingsAreRefusedBeforeAnyWeightsLoad() {
        String stage = """
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                """;
        ConfigException error = catchThrowableOfType(() -> parser.parse(fixture.pipeline(stage
                + "    training: {epochs: 2147483647, batch_size: 1, divergence: {loss_factor: 0.5, patience: 3}}\n")),
                ConfigException.class);

        assertThat(error.problems()).anySatisfy(problem -> assertThat(problem).startsWith(
                "stages[0].training.epochs: 2147483647 epochs × ").contains("is more than 2147483647 steps"));
        assertThat(error.problems()).anySatisfy(problem -> assertThat(problem).startsWith(
                "stages[0].training.divergence.patience: unknown key; known: [enabled, loss_factor, loss_patience, "
                        + "spike_factor, zero_grad_steps]"));
        assertThat(parser.parse(fixture.pipeline(stage + "    training: {divergence: {zero_grad_steps: 7}}\n"))
                .stages().get(0).training().divergence()).isEqualTo(new DivergenceConfig(true, 2.0, 50, 7, 3.0));
    }

    @Test
    void aMaxLengthBeyondTheModelsPositionsIsRefusedAndTheDefaultIsCapped() {
        String stage = """
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                """;
        ConfigException error = catchThrowableOfType(() -> parser.parse(fixture.pipeline(stage
                + "    training: {max_length: 100000}\n")), ConfigException.class);

        assertThat(error.problems()).anySatisfy(problem -> assertThat(problem).startsWith(
                "stages[0].training.max_length: 100000 is more than the model reads: its config.json has "
                        + "max_position_embeddings "));
        Path small = fixture.write("models/small/config.json", "{\"model_type\": \"llama\", \"vocab_size\": 300, "
                + "\"hidden_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, "
                + "\"num_key_value_heads\": 1, \"intermediate_size\": 32, \"max_position_embeddings\": 48}");
        assertThat(small).exists();
        assertThat(parser.parse(fixture.pipeline(stage.replace("models/tiny", "models/small"))).stages().get(0)
                .maxLength()).isEqualTo(48);
    }

    @Test
    void defaultsNameToTheFileNameAndEvaluatorsToAfter() {
        Path file = fixture.write("my-run.yml", """
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: [data/train.jsonl, data/heldout.jsonl]}
                    evaluators: [{id: perplexity, data: data/heldout.jsonl}]
                """);

        PipelineSpec spec = parser.parse(file);

        assertThat(spec.name()).isEqualTo("my-run");
        assertThat(spec.seed()).isEqualTo(42);
        assertThat(spec.stages().get(0).training().seed()).isEqualTo(42);
        assertThat(spec.stages().get(0).maxLength()).isEqualTo(512);
        assertThat(spec.stages().get(0).trainData()).hasSize(2);
        assertThat(spec.stages().get(0).evaluators().get(0).when()).containsExactly(EvaluatorSpec.When.AFTER);
    }

    @Test
    void reportsEveryProblemAtOnceNumberedWithItsPath() {
        ConfigException error = rejected("""
                name: golden
                stagse: 1
                stages:
                  - name: sft
                    base: models/tiny
                    method: {id: lora, r: 4, lora_alhpa: 16}
                    objective: {id: stf}
                    data: {train: data/missing.jsonl}
                    training: {epochs: 1.5, learning_rate: -0.1}
                    evaluators:
                      - {id: perplexty, data: data/heldout.jsonl}
                """);

        assertThat(error.getMessage()).isEqualTo("""
                7 problems:
                  1. stagse: unknown key; known: [name, seed, stages]; did you mean 'stages'?
                  2. stages[0].method.lora_alhpa: unknown key; known: [alpha_pattern, bias, exclude_modules, init_lora_weights, layers_pattern, layers_to_transform, loftq_config, lora_alpha, lora_dropout, loraplus_lr_embedding, loraplus_lr_ratio, loraplus_weight_decay, modules_to_save, r, rank_pattern, target_modules, use_dora, use_rslora]; did you mean 'lora_alpha'?
                  3. stages[0].objective.id: unknown objective 'stf'; known: [sft]; did you mean 'sft'?
                  4. stages[0].data.train[0]: no such file: data/missing.jsonl (resolved to %s)
                  5. stages[0].training.epochs: expected an integer, was 1.5
                  6. stages[0].training.learning_rate: must be > 0, was -0.1
                  7. stages[0].evaluators[0].id: unknown evaluator 'perplexty'; known: [perplexity]; did you mean 'perplexity'?"""
                .formatted(temp.resolve("data/missing.jsonl")));
        assertThat(error.problems()).hasSize(7);
    }

    @Test
    void unknownIdWithoutACloseMatchListsTheKnownOnes() {
        ConfigException error = rejected("""
                stages:
                  - {name: a, base: models/tiny, method: lora, objective: {id: dop}, data: {train: data/train.jsonl}}
                """);

        assertThat(error.getMessage()).isEqualTo("stages[0].objective.id: unknown objective 'dop'; known: [sft]");
    }

    @Test
    void rejectsZeroRankWithTheRealLoraProvider() {
        ConfigException error = rejected("""
                stages:
                  - {name: first, base: models/tiny, method: lora, objective: sft, data: {train: data/train.jsonl}}
                  - {name: second, base: previous, method: {id: lora, r: 0}, objective: sft, data: {train: data/train.jsonl}}
                """);

        assertThat(error.getMessage()).isEqualTo("stages[1].method.r: must be > 0, was 0");
    }

    @Test
    void namesTheKeyAndExpectedTypeOfBadValues() {
        ConfigException error = rejected("""
                seed: many
                stages:
                  - name: sft
                    base: models/tiny
                    method: {id: lora, r: eight, target_modules: {q: 1}, lora_dropout: null}
                    objective: {id: sft, completion_only_loss: 1}
                    data: {train: [data/train.jsonl, 3]}
                    training: {lr_schedule: [cosine], max_length: 1.5}
                    output: {merge: yes please}
                """);

        assertThat(error.problems()).containsExactly(
                "seed: expected an integer, was 'many'",
                "stages[0].output.merge: expected true or false, was 'yes please'",
                "stages[0].method.r: expected an integer, was 'eight'",
                "stages[0].method.lora_dropout: expected a number, was null",
                "stages[0].method.target_modules: must be a list of module names or a regex string, was {q=1}",
                "stages[0].objective.completion_only_loss: expected true or false, was 1",
                "stages[0].data.train[1]: expected a JSONL file or {path: file.jsonl, weight: w}, was 3",
                "stages[0].training.max_length: expected an integer, was 1.5",
                "stages[0].training.lr_schedule: expected a string, was a list");
    }

    @Test
    void reportsMissingFilesAndDirectoriesWithTheirResolvedPaths() {
        ConfigException error = rejected("""
                stages:
                  - name: sft
                    base: ../elsewhere/model
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    evaluators: [{id: perplexity, data: heldout.jsonl}]
                  - name: pretrain
                    base: {init: configs/tiny.json, tokenizer: tok}
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                """);

        assertThat(error.problems()).containsExactly(
                "stages[0].base: no such directory: ../elsewhere/model (resolved to "
                        + temp.resolve("../elsewhere/model").normalize() + ")",
                "stages[0].evaluators[0].data: no such file: heldout.jsonl (resolved to " + temp.resolve("heldout.jsonl") + ")",
                "stages[1].base.init: no such file: configs/tiny.json (resolved to " + temp.resolve("configs/tiny.json") + ")",
                "stages[1].base.tokenizer: no such directory: tok (resolved to " + temp.resolve("tok") + ")");
    }

    @Test
    void reportsInvalidTrainingValuesFromTheTrainersOwnValidation() {
        ConfigException error = rejected("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    training: {batch_size: 0, lr_schedule: cosnie, max_length: 0, epochs: 3, lerning_rate: 1}
                """);

        assertThat(error.problems()).containsExactly(
                "stages[0].training.max_length: must be > 0, was 0",
                "stages[0].training.lerning_rate: unknown key; known: [adam_beta1, adam_beta2, adam_epsilon, "
                        + "batch_size, bf16, divergence, epochs, ewc, fp16, gradient_accumulation_steps, gradient_checkpointing, "
                        + "learning_rate, logging_steps, lr_schedule, "
                        + "max_grad_norm, max_length, max_steps, save_steps, save_total_limit, seed, warmup_steps, weight_decay]; "
                        + "did you mean 'learning_rate'?",
                "stages[0].training.batch_size: must be >= 1, was 0",
                "stages[0].training.lr_schedule: must be one of cosine|linear|constant, was 'cosnie'");
    }

    @Test
    void checksStageNamesAndThePreviousBase() {
        ConfigException error = rejected("""
                stages:
                  - {name: One, base: previous, method: lora, objective: sft, data: {train: data/train.jsonl}}
                  - {name: two, base: models/tiny, method: lora, objective: sft, data: {train: data/train.jsonl}, output: {merge: false}}
                  - {name: two, base: previous, method: lora, objective: sft, data: {train: data/train.jsonl}}
                  - {base: models/tiny, method: lora, objective: sft}
                """);

        assertThat(error.problems()).containsExactly(
                "stages[0].name: must match [a-z0-9_-]+, was 'One'",
                "stages[0].base: 'previous' needs an earlier stage; the first stage starts from a checkpoint or {init: ...}",
                "stages[2].name: duplicate stage name 'two' (also stages[1].name)",
                "stages[2].base: 'previous' needs the model of stages[1], but stages[1].output.merge is false",
                "stages[3].name: missing; a stage needs a name matching [a-z0-9_-]+",
                "stages[3].data: missing; expected {train: [file.jsonl, ...]}");
    }

    @Test
    void passesBadDataRowsOnWithTheirFileAndLine() {
        fixture.write("data/chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        ConfigException error = rejected("""
                stages:
                  - name: sft
                    base: models/tiny
                    method: lora
                    objective: sft
                    data: {train: data/train.jsonl}
                    evaluators: [{id: perplexity, data: data/chat.jsonl, when: [during]}]
                """);

        assertThat(error.problems()).containsExactly(
                "stages[0].evaluators[0].when: expected before and/or after, was 'during'",
                "stages[0].evaluators[0].data: chat.jsonl:1: perplexity scores text or prompt/completion rows, "
                        + "found a Conversation row");
    }

    @Test
    void namesTheLineOfAYamlSyntaxError() {
        Path file = fixture.pipeline("stages:\n  - name: [unclosed\n");

        assertThatThrownBy(() -> parser.parse(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":3:1: ");
    }

    @Test
    void rejectsAMissingPipelineFile() {
        assertThatThrownBy(() -> parser.parse(temp.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("no such pipeline file: " + temp.resolve("nope.yaml") + " (resolved to "
                        + temp.resolve("nope.yaml") + ")");
    }

    @Test
    void rejectsAnEmptyFileAndAPipelineWithoutStages() {
        assertThatThrownBy(() -> parser.parse(fixture.pipeline("")))
                .hasMessage(temp.resolve("pipeline.yaml") + ": expected a mapping with keys [name, seed, stages], found an empty file");
        assertThat(rejected("name: x\nstages: []\n").getMessage()).isEqualTo("stages: must list at least one stage");
    }
}
