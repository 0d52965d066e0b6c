package io.finetune4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.model.TestModels;
import io.finetune4j.runtime.model.TestTokenizer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorTest {
    private static final long[] PROMPT = {3, 17, 5};

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt2"})
    void greedyWithCacheEqualsAnArgmaxLoopWithoutCache(String kind) {
        try (CausalLM model = TestModels.named(kind, 31, new TestTokenizer(TestModels.VOCAB))) {
            GenerationResult result = Generator.generate(model, PROMPT, GenerationConfig.greedy(10));
            assertThat(result.outputIds()).containsExactly(argmaxLoop(model, PROMPT, 10));
            assertThat(result.promptIds()).containsExactly(PROMPT);
            assertThat(result.stopReason()).isEqualTo("length");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void stopsAtTheFirstEosIdIncludingIt(String kind) {
        long[] free;
        try (CausalLM model = TestModels.named(kind, 32, new TestTokenizer(TestModels.VOCAB))) {
            free = Generator.generate(model, PROMPT, GenerationConfig.greedy(8)).outputIds();
        }
        long eos = free[2];
        int firstEos = Arrays.stream(free).boxed().toList().indexOf(eos);
        try (CausalLM model = TestModels.named(kind, 32, new TestTokenizer(TestModels.VOCAB, 999, eos))) {
            GenerationResult result = Generator.generate(model, PROMPT, GenerationConfig.greedy(8));
            assertThat(result.outputIds()).containsExactly(Arrays.copyOf(free, firstEos + 1));
            assertThat(result.stopReason()).isEqualTo("eos");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void samplingIsReproducibleForASeedAndVariesAcrossSeeds(String kind) {
        try (CausalLM model = TestModels.named(kind, 33, new TestTokenizer(TestModels.VOCAB))) {
            GenerationConfig config = new GenerationConfig(12, 1.5, 0, 1, 42);
            long[] first = Generator.generate(model, PROMPT, config).outputIds();
            assertThat(Generator.generate(model, PROMPT, config).outputIds()).containsExactly(first);
            Set<String> outputs = new HashSet<>();
            for (long seed = 1; seed <= 3; seed++) {
                outputs.add(Arrays.toString(Generator.generate(model, PROMPT, new GenerationConfig(12, 1.5, 0, 1, seed)).outputIds()));
            }
            assertThat(outputs).hasSizeGreaterThan(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void topKOfOneAndATinyTopPAreGreedy(String kind) {
        try (CausalLM model = TestModels.named(kind, 34, new TestTokenizer(TestModels.VOCAB))) {
            long[] greedy = Generator.generate(model, PROMPT, GenerationConfig.greedy(8)).outputIds();
            assertThat(Generator.generate(model, PROMPT, new GenerationConfig(8, 1.0, 1, 1, 7)).outputIds()).containsExactly(greedy);
            assertThat(Generator.generate(model, PROMPT, new GenerationConfig(8, 0.7, 0, 1e-6, 7)).outputIds()).containsExactly(greedy);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void aPromptThatFillsEveryPositionIsAClearErrorNotAnEmptyAnswer(String kind) {
        try (CausalLM model = TestModels.named(kind, 36, new TestTokenizer(TestModels.VOCAB))) {
            long[] prompt = new long[TestModels.MAX_POSITIONS];
            assertThatThrownBy(() -> Generator.generate(model, prompt, GenerationConfig.greedy(5)))
                    .isInstanceOf(io.finetune4j.api.ConfigException.class)
                    .hasMessage("the prompt has " + TestModels.MAX_POSITIONS + " tokens but the model reads at most "
                            + TestModels.MAX_POSITIONS + " (max_position_embeddings in its config.json): no position is "
                            + "left to generate into; shorten the prompt to at most " + (TestModels.MAX_POSITIONS - 1)
                            + " tokens");
            assertThatThrownBy(() -> TokenScorer.logProbs(model, new long[TestModels.MAX_POSITIONS + 1]))
                    .isInstanceOf(io.finetune4j.api.ConfigException.class)
                    .hasMessageStartingWith((TestModels.MAX_POSITIONS + 1) + " tokens are more than the model reads");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2"})
    void stopsAtTheLastLearnedPosition(String kind) {
        try (CausalLM model = TestModels.named(kind, 35, new TestTokenizer(TestModels.VOCAB))) {
            long[] prompt = new long[TestModels.MAX_POSITIONS - 2];
            GenerationResult result = Generator.generate(model, prompt, GenerationConfig.greedy(10));
            // Positions 0..61 hold the prompt; new tokens fed at 62 and 63 yield the 2nd and 3rd token,
            // and the 3rd is never fed, so it needs no position.
            assertThat(result.outputIds()).hasSize(3);
            assertThat(result.stopReason()).isEqualTo("length");
        }
    }

    /** Greedy decoding the slow way: the whole sequence through the model for every new token. */
    private static long[] argmaxLoop(CausalLM model, long[] prompt, int count) {
        long[] sequence = Arrays.copyOf(prompt, prompt.length + count);
        for (int i = 0; i < count; i++) {
            int length = prompt.length + i;
            float[][] logits = TestModels.logits(model, Arrays.copyOf(sequence, length));
            float[] last = logits[length - 1];
            int best = 0;
            for (int v = 1; v < last.length; v++) {
                if (last[v] > last[best]) {
                    best = v;
                }
            }
            sequence[length] = best;
        }
        return Arrays.copyOfRange(sequence, prompt.length, sequence.length);
    }
}
