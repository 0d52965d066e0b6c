package io.finetune4j.runner.demo.preference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.config.PipelineSpec;
import io.finetune4j.runner.demo.DemoData;
import io.finetune4j.runner.demo.DemoDataSpec;
import io.finetune4j.runner.demo.SftExample;
import io.finetune4j.runner.testing.PipelineFixture;
import io.finetune4j.runtime.data.JsonlDatasetReader;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo preference data and the example pipelines that train on it. */
class PreferenceDataTest {
    private static final Path EXAMPLES = Path.of("..", "examples");

    @TempDir
    Path temp;

    @Test
    void chosenIsTheSftAnswerAndRejectedAWrongPredicateALoopOrAnOffTopicAnswer() {
        List<SftExample> sft = DemoData.generate(new DemoDataSpec(7, 1, 1, 200, 10, 300)).train();

        List<PreferenceExample> pairs = PreferenceDataGenerator.generate(sft, 7);

        assertThat(pairs).hasSize(sft.size());
        for (int i = 0; i < pairs.size(); i++) {
            PreferenceExample pair = pairs.get(i);
            assertThat(pair.prompt()).isEqualTo(sft.get(i).prompt());
            assertThat(pair.chosen()).isEqualTo(sft.get(i).completion());
            assertThat(pair.rejected()).isNotEqualTo(pair.chosen()).isNotBlank();
            if (i % 3 == 1) {
                assertThat(pair.rejected()).isEqualTo(pair.chosen() + pair.chosen() + pair.chosen());
                continue;
            }
            if (i % 3 == 2) {
                // Off topic: the answer to a question of another kind.
                String kind = PreferenceDataGenerator.kind(pair.prompt());
                assertThat(sft).anyMatch(e -> e.completion().equals(pair.rejected())
                        && !PreferenceDataGenerator.kind(e.prompt()).equals(kind));
                continue;
            }
            // The subject (text before the verb) is the chosen answer's; the predicate comes from another
            // answer to the same kind of question.
            String verb = List.of(" is ", " has ", " went ").stream().filter(pair.chosen()::contains).findFirst()
                    .orElseThrow();
            String subject = pair.chosen().substring(0, pair.chosen().indexOf(verb));
            assertThat(pair.rejected()).startsWith(subject + verb);
            String predicate = pair.rejected().substring(subject.length());
            String kind = PreferenceDataGenerator.kind(pair.prompt());
            assertThat(sft).anyMatch(e -> e.completion().endsWith(predicate)
                    && PreferenceDataGenerator.kind(e.prompt()).equals(kind));
        }
        assertThat(PreferenceDataGenerator.generate(sft, 7)).isEqualTo(pairs);
    }

    @Test
    void writtenFilesArePreferenceRowsWithDisjointPrompts() throws Exception {
        PreferenceDataWriter.write(temp, 42);

        Dataset train = JsonlDatasetReader.read(temp.resolve(PreferenceDataWriter.TRAIN_FILE));
        Dataset heldout = JsonlDatasetReader.read(temp.resolve(PreferenceDataWriter.HELDOUT_FILE));
        assertThat(train.size()).isEqualTo(PreferenceDataWriter.TRAIN_PAIRS);
        assertThat(heldout.size()).isEqualTo(PreferenceDataWriter.HELDOUT_PAIRS);
        List<Example.Preference> trainRows = train.require(Example.Preference.class, "dpo");
        Set<String> trainPrompts = new HashSet<>();
        trainRows.forEach(row -> trainPrompts.add(row.prompt()));
        assertThat(heldout.require(Example.Preference.class, "dpo")).noneMatch(row -> trainPrompts.contains(row.prompt()));
        byte[] first = Files.readAllBytes(temp.resolve(PreferenceDataWriter.TRAIN_FILE));
        PreferenceDataWriter.write(temp, 42);
        assertThat(Files.readAllBytes(temp.resolve(PreferenceDataWriter.TRAIN_FILE))).isEqualTo(first);
    }

    /**
     * The shipped example pipelines validate in the layout they expect ({@code ../models/tiny-llama},
     * {@code data/...} beside them): a checkpoint config.json and data files made here.
     */
    @Test
    void examplePipelinesValidate() throws Exception {
        Path model = Files.createDirectories(temp.resolve("models/tiny-llama"));
        new ObjectMapper().writeValue(model.resolve("config.json").toFile(),
                ModelConfigJson.toMap(ModelFactory.llamaConfig(300, 16, 2, 2, 1, 32, 64)));
        Path examples = Files.createDirectories(temp.resolve("examples"));
        Path data = Files.createDirectories(examples.resolve("data"));
        Files.writeString(data.resolve("train.jsonl"), "{\"prompt\": \"Q: 2+2?\\nA:\", \"completion\": \" 4.\"}\n");
        Files.writeString(data.resolve("heldout.jsonl"), "{\"prompt\": \"Q: 3+3?\\nA:\", \"completion\": \" 6.\"}\n");
        PreferenceDataWriter.write(data, 42);
        PipelineParser parser = PipelineFixture.parser(List.of("lora"), List.of("sft", "dpo", "orpo", "reward", "ppo"),
                List.of("perplexity", "dpo-reward-accuracy", "reward-accuracy", "win-rate"), List.of("reward-model"));

        for (String name : List.of("sft-dpo.yaml", "orpo.yaml", "sft-rm-ppo.yaml")) {
            Path pipeline = examples.resolve(name);
            Files.copy(EXAMPLES.resolve(name), pipeline);

            PipelineSpec spec = parser.parse(pipeline);

            assertThat(spec.stages()).isNotEmpty();
        }
        assertThat(parser.parse(examples.resolve("sft-dpo.yaml")).stages().get(1).objective().id()).isEqualTo("dpo");
    }
}
