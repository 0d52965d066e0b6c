package io.finetune4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataTest {
    private static final DemoDataSpec SMALL = new DemoDataSpec(42, 400, 40, 300, 60, 400);

    @Test
    void sameSeedWritesTheSameBytes(@TempDir Path first, @TempDir Path second) throws IOException {
        DemoDataWriter.write(first, DemoData.generate(SMALL), SMALL.vocabSize());
        DemoDataWriter.write(second, DemoData.generate(SMALL), SMALL.vocabSize());

        List<Path> files = files(first);
        assertThat(files).extracting(Path::toString).contains("pretrain.jsonl", "general.jsonl", "train.jsonl",
                "heldout.jsonl", Path.of("tokenizer", "tokenizer.json").toString());
        assertThat(files(second)).isEqualTo(files);
        for (Path file : files) {
            assertThat(Files.readAllBytes(second.resolve(file))).as(file.toString())
                    .isEqualTo(Files.readAllBytes(first.resolve(file)));
        }
    }

    @Test
    void differentSeedGivesDifferentData() {
        DemoData a = DemoData.generate(SMALL);
        DemoData b = DemoData.generate(new DemoDataSpec(43, 400, 40, 300, 60, 400));

        assertThat(b.pretrain()).isNotEqualTo(a.pretrain());
        assertThat(b.train()).isNotEqualTo(a.train());
        assertThat(b.heldout()).isNotEqualTo(a.heldout());
    }

    @Test
    void heldoutPromptsNeverAppearInTraining() {
        DemoData data = DemoData.generate(SMALL);
        Set<String> trainPrompts = new HashSet<>();
        data.train().forEach(example -> trainPrompts.add(example.prompt()));

        assertThat(data.train()).hasSize(300);
        assertThat(data.heldout()).hasSize(60);
        assertThat(trainPrompts).hasSize(300);
        assertThat(data.heldout()).noneMatch(example -> trainPrompts.contains(example.prompt()));
        assertThat(data.heldout().stream().map(SftExample::prompt).distinct()).hasSize(60);
    }

    @Test
    void arithmeticQuestionsUseDisjointFactsPerSplit() {
        DemoData data = DemoData.generate(SMALL);
        Set<String> trainSums = arithmeticAnswers(data.train());
        Set<String> heldoutSums = arithmeticAnswers(data.heldout());

        assertThat(trainSums).isNotEmpty();
        assertThat(heldoutSums).isNotEmpty().doesNotContainAnyElementsOf(trainSums);
    }

    @Test
    void generalTextIsHeldOutFromPretraining() {
        DemoData data = DemoData.generate(SMALL);

        assertThat(data.general()).hasSize(40).doesNotContainAnyElementsOf(data.pretrain());
    }

    @Test
    void pretrainingNeverUsesTheQuestionFormat() {
        DemoData data = DemoData.generate(SMALL);

        assertThat(data.pretrain()).noneMatch(text -> text.contains("Q:") || text.contains("A:") || text.contains("?"));
        assertThat(data.train()).allMatch(example -> example.prompt().endsWith("\nA:"));
    }

    @Test
    void everyAnswerFollowsFromItsPrompt() {
        DemoData data = DemoData.generate(SMALL);

        for (SftExample example : data.train()) {
            String prompt = example.prompt();
            String answer = example.completion();
            String story = prompt.substring(0, prompt.indexOf("Q:"));
            Matcher m;
            if ((m = match("Q: What is (\\d) (plus|minus) (\\d)\\?\nA:", prompt)) != null) {
                int left = Integer.parseInt(m.group(1));
                int right = Integer.parseInt(m.group(3));
                int result = m.group(2).equals("plus") ? left + right : left - right;
                assertThat(answer).isEqualTo(" " + left + " " + m.group(2) + " " + right + " is " + result + ".");
            } else if ((m = match("Q: What colour is (\\w+)'s (\\w+)\\?\nA:", prompt)) != null) {
                Matcher stated = Pattern.compile("\\b" + m.group(1) + " has an? (\\w+) " + m.group(2) + "\\.").matcher(story);
                assertThat(stated.find()).as(prompt).isTrue();
                assertThat(answer).isEqualTo(" " + m.group(1) + "'s " + m.group(2) + " is " + stated.group(1) + ".");
            } else if ((m = match("Q: What animal does (\\w+) have\\?\nA:", prompt)) != null) {
                Matcher stated = Pattern.compile("\\b" + m.group(1) + " has an? \\w+ (\\w+)\\.").matcher(story);
                assertThat(stated.find()).as(prompt).isTrue();
                assertThat(answer).matches(" " + m.group(1) + " has an? " + stated.group(1) + "\\.");
            } else if ((m = match("Q: Where did (\\w+) go\\?\nA:", prompt)) != null) {
                Matcher stated = Pattern.compile("\\b" + m.group(1) + " went to the (\\w+)").matcher(story);
                assertThat(stated.find()).as(prompt).isTrue();
                assertThat(answer).isEqualTo(" " + m.group(1) + " went to the " + stated.group(1) + ".");
            } else {
                m = match("Q: How many (\\w+) does (\\w+) have\\?\nA:", prompt);
                assertThat(m).as(prompt).isNotNull();
                Matcher stated = Pattern.compile("\\b" + m.group(2) + " has (\\w+) " + m.group(1) + "\\.").matcher(story);
                assertThat(stated.find()).as(prompt).isTrue();
                assertThat(answer).isEqualTo(" " + m.group(2) + " has " + stated.group(1) + " " + m.group(1) + ".");
            }
        }
    }

    private static Matcher match(String questionRegex, String prompt) {
        Matcher matcher = Pattern.compile("(?:^|\n)" + questionRegex + "$").matcher(prompt);
        return matcher.find() ? matcher : null;
    }

    private static Set<String> arithmeticAnswers(List<SftExample> examples) {
        Set<String> answers = new HashSet<>();
        for (SftExample example : examples) {
            if (example.prompt().startsWith("Q: What is ")) {
                answers.add(example.completion());
            }
        }
        return answers;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }
}
