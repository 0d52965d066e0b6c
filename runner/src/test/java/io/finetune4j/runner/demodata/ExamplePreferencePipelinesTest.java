package io.finetune4j.runner.demodata;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.demo.preference.PreferenceDataWriter;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.testing.PipelineFixture;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preference rows {@code make-demo-data}'s writer makes are what the example pipelines expect. */
class ExamplePreferencePipelinesTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    @TempDir
    Path temp;

    /**
     * The shipped example pipelines validate in the layout they expect ({@code ../models/tiny-llama},
     * {@code data/...} beside them): a checkpoint config.json and data files made here.
     */
    @Test
    void examplePipelinesValidate() throws Exception {
        Path model = Files.createDirectories(temp.resolve("models/tiny-llama"));
        new ObjectMapper().writeValue(model.resolve("config.json").toFile(),
                ModelConfigJson.toMap(ModelFactory.llamaConfig(300, 16, 2, 2, 1, 32, 512)));  // tiny-llama's 512 positions
        Path examples = Files.createDirectories(temp.resolve("examples"));
        Path data = Files.createDirectories(examples.resolve("data"));
        Files.writeString(data.resolve("train.jsonl"), "{\"prompt\": \"Q: 2+2?\\nA:\", \"completion\": \" 4.\"}\n");
        Files.writeString(data.resolve("heldout.jsonl"), "{\"prompt\": \"Q: 3+3?\\nA:\", \"completion\": \" 6.\"}\n");
        PreferenceDataWriter.write(data, 42);
        PipelineParser parser = PipelineFixture.parser(List.of("lora"), List.of("sft", "dpo", "orpo", "reward", "ppo", "kto", "simpo"),
                List.of("perplexity", "dpo-reward-accuracy", "reward-accuracy", "win-rate"), List.of("reward-model"));

        for (String name : List.of("sft-dpo.yaml", "orpo.yaml", "sft-rm-ppo.yaml", "kto.yaml", "simpo.yaml")) {
            Path pipeline = examples.resolve(name);
            Files.copy(EXAMPLES.resolve(name), pipeline);

            PipelineSpec spec = parser.parse(pipeline);

            assertThat(spec.stages()).isNotEmpty();
        }
        assertThat(parser.parse(examples.resolve("sft-dpo.yaml")).stages().get(1).objective().id()).isEqualTo("dpo");
    }
}
