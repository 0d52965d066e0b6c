package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.finetune4j.api.model.CausalLM;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints written by transformers itself (../shared/fixtures; skipped when absent). */
class SharedFixturesTest {
    @TempDir
    Path temp;

    @Test
    void fakeGpt2LoadsAndMatchesTheDoubleReference() {
        Path dir = fixture("lmbuddy_fake_gpt2");
        try (CausalLM model = ModelLoader.load(dir, Device.cpu())) {
            assertThat(model.config().vocabSize()).isEqualTo(50257);
            assertThat(model.parameters()).containsKey("transformer.wte.weight").doesNotContainKey("lm_head.weight");
            assertThat(model.linears()).containsOnlyKeys("transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj",
                    "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj");
            assertThat(model.tokenizer().eosTokenIds()).containsExactly(50256);
            long[] ids = model.tokenizer().encode("Hello world, this is a test", false);
            assertThat(ids).hasSizeGreaterThan(4);
            assertThat(maxDiff(ReferenceModel.of(model).logits(ids), TestModels.logits(model, ids))).isLessThan(1e-4);
        }
    }

    @Test
    void fakeGpt2SavesBackBitIdenticalWithItsTokenizer() {
        Path dir = fixture("lmbuddy_fake_gpt2");
        Path copy = temp.resolve("copy");
        try (CausalLM model = ModelLoader.load(dir, Device.cpu())) {
            ModelLoader.save(model, copy);
            try (CausalLM loaded = ModelLoader.load(copy, Device.cpu())) {
                ModelLoaderTest.assertSameParameters(model, loaded);
            }
        }
        assertThat(copy.resolve("tokenizer.json")).exists();
        assertThat(copy.resolve("vocab.json")).exists();
        assertThat(copy.resolve("merges.txt")).exists();
    }

    @Test
    void headlessGpt2ModelLoadsWithATiedHead() {
        Path dir = fixture("lmbuddy_tiny_gpt2_base");
        try (CausalLM model = ModelLoader.load(dir, Device.cpu())) {
            assertThat(model.parameters()).containsKey("wte.weight").containsKey("h.0.attn.c_attn.weight");
            assertThat(model.linears()).containsKey("h.0.attn.c_attn");
            long[] ids = {0, 1, 2, 3, 20};
            float[][] logits = TestModels.logits(model, ids);
            assertThat(logits[0]).hasSize(21);
            assertThat(maxDiff(ReferenceModel.of(model).logits(ids), logits)).isLessThan(1e-4);
        }
    }

    private static Path fixture(String name) {
        String shared = System.getProperty("finetune4j.shared");
        assumeTrue(shared != null, "system property finetune4j.shared is not set");
        Path dir = Path.of(shared, "fixtures", name);
        assumeTrue(Files.isDirectory(dir), dir + " is absent");
        return dir;
    }
}
