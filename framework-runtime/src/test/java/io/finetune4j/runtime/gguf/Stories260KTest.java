package io.finetune4j.runtime.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.GenerationResult;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end check of the Llama forward pass and greedy generation against a real pretrained model
 * whose greedy output is published: Karpathy's stories260K (llama2.c {@code doc/stories260K.md}), read
 * from a llama.cpp GGUF file, converted to a Hugging Face checkpoint and loaded by the runtime.
 *
 * <p>Three independent witnesses: the published text, a plain-Java double-precision port of llama2.c's
 * forward over the GGUF weights as stored ({@link Llama2cReference}), and the runtime itself.
 */
class Stories260KTest {
    /** llama2.c's run.c runs 256 steps from BOS and prints the token chosen at each: 256 tokens. */
    static final int PUBLISHED_TOKENS = 256;
    static final long BOS = 1;
    static final long EOS = 2;
    static final int VOCAB = 512;

    @TempDir
    static Path converted;

    static Path gguf;
    static String published;
    /** The greedy ids of the independent plain-Java forward (checked against the doc below). */
    static long[] referenceIds;
    static CausalLM model;

    @BeforeAll
    static void fixtures() throws IOException {
        gguf = GgufReaderTest.stories260K();
        Path doc = gguf.resolveSibling("llama2c_doc_stories260K.md");
        Assumptions.assumeTrue(Files.isRegularFile(doc), "fixture " + doc + " is absent; skipping");
        published = publishedGreedyText(Files.readString(doc, StandardCharsets.UTF_8));
        referenceIds = new Llama2cReference(GgufReader.open(gguf)).greedy(new long[] {BOS}, PUBLISHED_TOKENS);
        GgufToHf.convert(gguf, converted);
        model = ModelLoader.load(converted, Device.cpu());
    }

    @AfterAll
    static void closeModel() {
        if (model != null) {
            model.close();
        }
    }

    /** The output block after {@code ./run ... -t 0.0} in the doc, without the command line. */
    static String publishedGreedyText(String doc) {
        List<String> lines = doc.lines().toList();
        int command = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("$ ./run stories260K/stories260K.bin") && lines.get(i).endsWith("-t 0.0")) {
                command = i;
                break;
            }
        }
        assertThat(command).as("greedy run command line in the doc").isNotNegative();
        List<String> output = new ArrayList<>();
        for (int i = command + 1; !lines.get(i).startsWith("```"); i++) {
            output.add(lines.get(i));
        }
        return String.join("\n", output);
    }

    @Test
    void independentReferenceForwardReproducesThePublishedText() {
        String text = new SentencePieceDecoder(GgufReader.open(gguf)).decodeAfterBos(referenceIds);

        assertThat(text).isEqualTo(published);
        // run.c stops at BOS; neither BOS nor EOS may hide in the 256 tokens.
        assertThat(referenceIds).doesNotContain(BOS, EOS);
    }

    @Test
    void convertedTokenizerDecodesAndEncodesThePublishedText() {
        try (HfTokenizer tokenizer = HfTokenizer.load(converted)) {
            assertThat(tokenizer.decode(referenceIds, true)).isEqualTo(published);
            // SentencePiece BPE is deterministic and the model emits canonical pieces, so the published
            // text encodes back to exactly the generated ids: the merges are right, not just the vocabulary.
            assertThat(tokenizer.encode(published, false)).containsExactly(referenceIds);
            List<?> pieces = GgufReader.open(gguf).getArray("tokenizer.ggml.tokens");
            assertThat(Arrays.stream(tokenizer.encode("Once upon a time", true)).mapToObj(id -> (String) pieces.get((int) id)))
                    .containsExactly("<s>", "\u2581Once", "\u2581upon", "\u2581a", "\u2581time");
            assertThat(tokenizer.bosTokenId()).hasValue(BOS);
            assertThat(tokenizer.eosTokenIds()).containsExactly(EOS);
        }
    }

    @Test
    void greedyGenerationOfTheConvertedModelReproducesThePublishedText() {
        GenerationResult result = Generator.generate(model, new long[] {BOS}, GenerationConfig.greedy(PUBLISHED_TOKENS));

        assertThat(result.stopReason()).isEqualTo("length");
        assertThat(new SentencePieceDecoder(GgufReader.open(gguf)).decodeAfterBos(result.outputIds())).isEqualTo(published);
        assertThat(model.tokenizer().decode(result.outputIds(), true)).isEqualTo(published);
        assertThat(result.outputIds()).containsExactly(referenceIds);
    }

    @Test
    void logitsOfEveryPositionMatchTheIndependentForward() {
        long[] sequence = withBos(Arrays.copyOf(referenceIds, 63)); // 64 positions
        double[][] expected = new Llama2cReference(GgufReader.open(gguf)).forward(sequence);
        try (NDManager step = model.manager().newSubManager()) {
            NDArray ids = step.create(sequence, new Shape(1, sequence.length));

            float[] logits = model.forward(ForwardInput.of(ids)).logits().toFloatArray(); // [1, 64, 512]

            assertThat(logits).hasSize(sequence.length * VOCAB);
            double worst = 0;
            String where = "";
            for (int pos = 0; pos < sequence.length; pos++) {
                for (int v = 0; v < VOCAB; v++) {
                    double diff = Math.abs(logits[pos * VOCAB + v] - expected[pos][v]);
                    if (diff > worst) {
                        worst = diff;
                        where = "position " + pos + ", token " + v + ": " + logits[pos * VOCAB + v] + " vs " + expected[pos][v];
                    }
                }
            }
            // float32 against double over 5 layers; logits are O(10), float32 rounding is ~1e-6 of that.
            assertThat(worst).as("largest |runtime - reference| logit difference, at %s", where).isLessThan(2e-4);
        }
    }

    @Test
    void cachedStepsGiveTheLogitsOfOneUncachedForward() {
        long[] sequence = withBos(Arrays.copyOf(referenceIds, 16)); // 17 positions
        int prefill = 9;
        try (NDManager step = model.manager().newSubManager()) {
            NDArray all = step.create(sequence, new Shape(1, sequence.length));
            float[] uncached = model.forward(ForwardInput.of(all)).logits().toFloatArray(); // [1, 17, 512]

            // A prefill of the first 9 tokens, then one token at a time through the cache.
            NDArray head = step.create(Arrays.copyOf(sequence, prefill), new Shape(1, prefill));
            ForwardOutput out = model.forward(ForwardInput.of(head).withCache(null, true));
            float[] prefillLogits = out.logits().toFloatArray(); // [1, 9, 512]
            assertThat(maxAbsDiff(prefillLogits, 0, uncached, 0, prefill * VOCAB)).as("prefill").isLessThan(1e-4);
            KvCache cache = out.cache();
            for (int pos = prefill; pos < sequence.length; pos++) {
                NDArray one = step.create(new long[] {sequence[pos]}, new Shape(1, 1));
                out = model.forward(ForwardInput.of(one).withCache(cache, true).withLogits(ForwardInput.Logits.LAST));
                cache = out.cache();
                float[] cached = out.logits().toFloatArray(); // [1, 1, 512]
                // Different kernels (one long matmul vs. cached steps) round differently: ~1e-5 on logits of ~10.
                assertThat(maxAbsDiff(cached, 0, uncached, pos * VOCAB, VOCAB)).as("position %d", pos).isLessThan(1e-4);
                if (pos + 1 < sequence.length) {
                    assertThat(argmax(cached)).as("greedy token after position %d", pos).isEqualTo((int) sequence[pos + 1]);
                }
            }
            assertThat(cache.length()).isEqualTo(sequence.length);
        }
    }

    private static long[] withBos(long[] ids) {
        long[] out = new long[ids.length + 1];
        out[0] = BOS;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static double maxAbsDiff(float[] a, int aFrom, float[] b, int bFrom, int count) {
        double worst = 0;
        for (int i = 0; i < count; i++) {
            worst = Math.max(worst, Math.abs(a[aFrom + i] - b[bFrom + i]));
        }
        return worst;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
