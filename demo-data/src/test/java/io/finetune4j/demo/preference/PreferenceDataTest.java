package io.finetune4j.demo.preference;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.demo.DemoData;
import io.finetune4j.demo.DemoDataSpec;
import io.finetune4j.demo.SftExample;
import io.finetune4j.runtime.data.JsonlDatasetReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceDataTest {
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
}
