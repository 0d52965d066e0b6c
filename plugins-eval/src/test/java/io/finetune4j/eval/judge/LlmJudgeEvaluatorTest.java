package io.finetune4j.eval.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.eval.preference.PreferenceFixtures;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlmJudgeEvaluatorTest {
    private static final String SHORT_RUBRIC = "Q: {question}\nA: {answer_a}\nB: {answer_b}\nBetter: ";
    private static final Dataset PROMPTS = new Dataset("prompts.jsonl", List.of(
            new Example.PromptOnly("2+2=", new Source("prompts.jsonl", 1)),
            new Example.PromptOnly("Grüß dich, 世界! ", new Source("prompts.jsonl", 2)),
            new Example.PromptCompletion("say hi: ", "hi", new Source("prompts.jsonl", 3))));
    private static final List<Source> SOURCES = List.of(new Source("d.jsonl", 1), new Source("d.jsonl", 2),
            new Source("d.jsonl", 3));

    @TempDir
    Path dir;
    private PreferenceFixtures fixtures;
    private CausalLM model;

    @BeforeEach
    void setUp() {
        fixtures = new PreferenceFixtures(dir);
        model = fixtures.model(8);
    }

    @AfterEach
    void tearDown() {
        model.close();
        fixtures.close();
    }

    /** A judge checkpoint with a long context (the default rubric is ~600 byte tokens) and sharp logits. */
    private Path judgeDir() {
        Path judgeDir = dir.resolve("judge");
        try (CausalLM judge = fixtures.model(21, fixtures.tokenizer().vocabSize(), 1024)) {
            ModelLoader.save(judge, judgeDir);
        }
        return judgeDir;
    }

    private static LlmJudgeConfig config(String judge, String baseline, String rubric) {
        return new LlmJudgeConfig(judge, baseline, rubric, "A", "B", 4, 0, 0, 1, 0);
    }

    private List<Metric> evaluate(CausalLM evaluated, Dataset data, LlmJudgeConfig config) {
        return new LlmJudgeEvaluatorProvider().create(config)
                .evaluate(new PreferenceFixtures.Context(evaluated, data, 64, 0, new PreferenceFixtures.Progress(), dir));
    }

    /** Σ log p of the tokens after the common prefix of encode(prompt + "A") and encode(prompt + "B"). */
    private double[] verdictLogProbs(CausalLM judge, String prompt) {
        long[] a = fixtures.tokenizer().encode(prompt + "A", true);
        long[] b = fixtures.tokenizer().encode(prompt + "B", true);
        int common = 0;
        while (a[common] == b[common]) {
            common++;
        }
        return new double[] {tailSum(TokenScorer.logProbs(judge, a), common),
                tailSum(TokenScorer.logProbs(judge, b), common)};
    }

    private static double tailSum(double[] logProbs, int from) {
        double sum = 0;
        for (int i = from; i < logProbs.length; i++) {
            sum += logProbs[i];
        }
        return sum;
    }

    @Test
    void theJudgePicksTheVerdictWithTheLargerLogLikelihood() {
        try (CausalLM judge = PreferenceFixtures.withAdapters(fixtures.model(21, fixtures.tokenizer().vocabSize(), 1024), 40f)) {
            LogLikelihoodJudge reader = new LogLikelihoodJudge(judge, JudgeRubric.DEFAULT, "A", "B", "llm-judge");
            String[][] cases = {{"2+2=", "4", "five"}, {"Hi?", "", "日本語 ✓"}};
            for (String[] c : cases) {
                for (boolean swap : new boolean[] {false, true}) {
                    String a = swap ? c[2] : c[1];
                    String b = swap ? c[1] : c[2];
                    String prompt = JudgeRubric.DEFAULT.replace("{question}", c[0]).replace("{answer_a}", a)
                            .replace("{answer_b}", b);
                    double[] expected = verdictLogProbs(judge, prompt);
                    assertThat(Math.abs(expected[0] - expected[1])).as("no near-ties").isGreaterThan(1e-4);

                    Verdict verdict = reader.compare(c[0], a, b);

                    assertThat(verdict).isEqualTo(expected[0] > expected[1] ? Verdict.A : Verdict.B);
                }
            }
        }
    }

    @Test
    void aJudgeThatAlwaysPicksTheFirstAnswerOnlyProducesTies() {
        Judge first = (question, a, b) -> Verdict.A;

        List<Metric> metrics = LlmJudgeEvaluator.score(first, List.of("q1", "q2", "q3"), List.of("a", "bb", "c"),
                List.of("x", "y", "zz"), SOURCES, () -> { });

        assertThat(metrics).extracting(Metric::name).containsExactly("judge_win_rate", "tie_rate", "position_consistency");
        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isEqualTo(1.0);
        assertThat(metrics.get(2).value()).isEqualTo(0.0);
    }

    @Test
    void aConsistentJudgeDecidesInBothOrders() {
        Judge longer = (question, a, b) -> a.length() > b.length() ? Verdict.A
                : a.length() < b.length() ? Verdict.B : Verdict.TIE;

        List<Metric> metrics = LlmJudgeEvaluator.score(longer, List.of("q1", "q2", "q3"),
                List.of("a long answer", "x", "same"), List.of("short", "longer one", "sane"), SOURCES, () -> { });

        assertThat(metrics.get(0).valueOn(new int[] {0})).isEqualTo(1.0);
        assertThat(metrics.get(0).valueOn(new int[] {1})).isEqualTo(0.0);
        assertThat(metrics.get(0).valueOn(new int[] {2})).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isEqualTo(1.0 / 3);
        assertThat(metrics.get(2).value()).isEqualTo(1.0);
    }

    @Test
    void aTieInOneOrderAndAPreferenceInTheOtherIsATie() {
        // ties when the model's answer is shown first, prefers the model's answer when it is second
        Judge halfHearted = (question, a, b) -> a.equals("model") ? Verdict.TIE : Verdict.B;

        List<Metric> metrics = LlmJudgeEvaluator.score(halfHearted, List.of("q"), List.of("model"), List.of("base"),
                SOURCES, () -> { });

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(2).value()).isEqualTo(0.0);
    }

    @Test
    void identicalAnswersAreTiesWithoutAskingTheJudge() {
        Judge never = (question, a, b) -> {
            throw new AssertionError("identical answers must not be judged");
        };

        List<Metric> metrics = LlmJudgeEvaluator.score(never, List.of("q1", "q2"), List.of("same", ""),
                List.of("same", ""), SOURCES, () -> { });

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isEqualTo(1.0);
        assertThat(metrics.get(2).value()).isNaN();
    }

    @Test
    void aModelJudgedAgainstItsOwnCopyTiesEverywhere() {
        ModelLoader.save(model, dir.resolve("copy"));
        judgeDir();

        List<Metric> metrics = evaluate(model, PROMPTS, config("judge", "copy", JudgeRubric.DEFAULT));

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isEqualTo(1.0);
    }

    @Test
    void evaluateJudgesTheModelsOwnGreedyAnswers() {
        PreferenceFixtures.withAdapters(model, 40f);
        Path judgeDir = judgeDir();
        GenerationConfig greedy = GenerationConfig.greedy(4);
        List<String> questions = new ArrayList<>();
        List<String> modelAnswers = new ArrayList<>();
        List<String> baseAnswers = new ArrayList<>();
        for (Example example : PROMPTS.examples()) {
            String prompt = example instanceof Example.PromptOnly row ? row.prompt()
                    : ((Example.PromptCompletion) example).prompt();
            long[] ids = fixtures.tokenizer().encode(prompt, true);
            questions.add(prompt);
            modelAnswers.add(fixtures.tokenizer().decode(Generator.generate(model, ids, greedy).outputIds(), true));
            try (AdapterScope off = model.disableAdapters()) {
                baseAnswers.add(fixtures.tokenizer().decode(Generator.generate(model, ids, greedy).outputIds(), true));
            }
        }
        List<Metric> expected;
        try (CausalLM judge = ModelLoader.load(judgeDir, model.device())) {
            expected = LlmJudgeEvaluator.score(new LogLikelihoodJudge(judge, SHORT_RUBRIC, "A", "B", "llm-judge"),
                    questions, modelAnswers, baseAnswers, SOURCES, () -> { });
        }

        List<Metric> metrics = evaluate(model, PROMPTS, config("judge", "adapters-disabled", SHORT_RUBRIC));

        for (int m = 0; m < 3; m++) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertThat(metrics.get(m).valueOn(new int[] {i})).as(metrics.get(m).name())
                        .isEqualTo(expected.get(m).valueOn(new int[] {i}));
            }
        }
        assertThat(modelAnswers).isNotEqualTo(baseAnswers);
    }

    @Test
    void emptyAnswersForNonAsciiPromptsAreTies() {
        PreferenceFixtures.withAdapters(model, 40f);
        judgeDir();

        List<Metric> metrics = evaluate(new PreferenceFixtures.EosModel(model), PROMPTS,
                config("judge", "adapters-disabled", SHORT_RUBRIC));

        assertThat(metrics.get(0).value()).isEqualTo(0.5);
        assertThat(metrics.get(1).value()).isEqualTo(1.0);
    }

    @Test
    void aMissingJudgeIsReportedWhenTheDataIsChecked() {
        var provider = new LlmJudgeEvaluatorProvider();

        assertThatThrownBy(() -> provider.create(provider.defaults()).checkData(PROMPTS))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("llm-judge: judge: missing;");
    }

    @Test
    void aJudgePromptLongerThanTheJudgesContextNamesTheRow() {
        try (CausalLM judge = fixtures.model(21)) { // 64 positions: the default rubric does not fit
            LogLikelihoodJudge reader = new LogLikelihoodJudge(judge, JudgeRubric.DEFAULT, "A", "B", "llm-judge");

            assertThatThrownBy(() -> LlmJudgeEvaluator.score(reader, List.of("q"), List.of("a"), List.of("b"),
                    SOURCES, () -> { }))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("d.jsonl:1: llm-judge: the judge prompt is ")
                    .hasMessageContaining("longer than the judge's context of 64");
        }
    }
}
