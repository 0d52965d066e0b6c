package io.finetune4j.runtime.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufExportTest {
    @TempDir
    Path temp;

    static Path shippedTinyLlama() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("models/tiny-llama/config.json"))) {
                return dir.resolve("models/tiny-llama");
            }
        }
        throw new IllegalStateException("models/tiny-llama not found above " + Path.of("").toAbsolutePath());
    }

    /** Source tensors in GGUF layout, computed with the test's own permutation (numpy's formula) and transpose. */
    private static float[] expected(CausalLM model, String hfName) {
        NDArray array = model.parameters().get(hfName);
        float[] values = array.toFloatArray();
        long[] shape = array.getShape().getShape();
        ModelConfig config = model.config();
        boolean llama = config.modelType().equals("llama") || config.modelType().equals("mistral");
        if (llama && hfName.contains("self_attn.q_proj.")) {
            return GgufLayoutTest.numpyPermute(values, (int) shape[0], shape.length == 1 ? 1 : (int) shape[1],
                    config.numAttentionHeads());
        }
        if (llama && hfName.contains("self_attn.k_proj.")) {
            return GgufLayoutTest.numpyPermute(values, (int) shape[0], shape.length == 1 ? 1 : (int) shape[1],
                    config.numKeyValueHeads());
        }
        if (config.modelType().equals("gpt2") && shape.length == 2 && hfName.matches(".*\\.(c_attn|c_proj|c_fc)\\.weight")) {
            float[] out = new float[values.length];
            for (int r = 0; r < shape[0]; r++) {
                for (int c = 0; c < shape[1]; c++) {
                    out[(int) (c * shape[0] + r)] = values[(int) (r * shape[1] + c)];
                }
            }
            return out;
        }
        return values;
    }

    private static void assertEveryTensorMatches(CausalLM model, GgufFile file, GgufTensorType dtype) {
        GgufLayout layout = GgufLayout.of(model.config());
        for (String hfName : model.parameters().keySet()) {
            String name = layout.ggufName(hfName);
            GgufTensorInfo info = file.tensor(name).orElseThrow();
            float[] source = expected(model, hfName);
            float[] read = file.read(info);
            assertThat(info.elements()).isEqualTo(source.length);
            GgufTensorType type = info.type();
            if (info.shape().length == 1 || name.endsWith("_norm.weight") || name.equals("position_embd.weight")) {
                assertThat(type).as(name).isEqualTo(GgufTensorType.F32);
            } else {
                assertThat(type).as(name).isEqualTo(dtype);
            }
            switch (type) {
                case F32 -> assertThat(read).as(name).containsExactly(source);
                case F16 -> {
                    for (int i = 0; i < source.length; i++) {
                        // half an f16 ulp: 2^-11 relative for normals, 2^-25 absolute for subnormals
                        double bound = Math.max(Math.abs(source[i]) * 0x1p-11, 0x1p-25);
                        assertThat((double) Math.abs(read[i] - source[i])).as("%s[%d]", name, i).isLessThanOrEqualTo(bound);
                    }
                }
                case Q8_0 -> {
                    for (int block = 0; block < source.length / 32; block++) {
                        double amax = 0;
                        for (int i = 0; i < 32; i++) {
                            amax = Math.max(amax, Math.abs(source[block * 32 + i]));
                        }
                        double d = amax / 127;
                        // rounding to a quant (d / 2) plus the f16 scale's error (≤ 2^-11 d) times |q| ≤ 127
                        double bound = d / 2 + 127 * d * 0x1p-11 + 1e-7 * amax;
                        for (int i = 0; i < 32; i++) {
                            int at = block * 32 + i;
                            assertThat((double) Math.abs(read[at] - source[at])).as("%s[%d]", name, at)
                                    .isLessThanOrEqualTo(bound);
                        }
                    }
                }
            }
        }
    }

    @Test
    void shippedTinyLlamaReadsBackEqualAtEveryDtype() {
        try (CausalLM model = ModelLoader.load(shippedTinyLlama(), Device.cpu())) {
            for (GgufTensorType dtype : GgufTensorType.values()) {
                Path out = temp.resolve("tiny-" + dtype.label() + ".gguf");
                GgufExport.write(model, "tiny-llama", dtype, out);
                GgufFile file = GgufReader.read(out);

                assertEveryTensorMatches(model, file, dtype);
                // tied embeddings: llama.cpp reuses token_embd, so no output.weight is written
                assertThat(file.tensor("output.weight")).isEmpty();
                assertThat(file.tensors()).hasSize(model.parameters().size());
                assertThat(file.require("general.file_type").asLong()).isEqualTo(GgufExport.fileType(dtype));
                for (GgufTensorInfo info : file.tensors()) {
                    assertThat(info.offset() % 32).isZero();
                }
            }
        }
    }

    @Test
    void metadataListsArchitectureShapeAndTokenizer() {
        try (CausalLM model = ModelLoader.load(shippedTinyLlama(), Device.cpu())) {
            Path out = temp.resolve("tiny.gguf");
            GgufExport.write(model, "tiny-llama", GgufTensorType.F32, out);
            GgufFile file = GgufReader.read(out);

            // values of models/tiny-llama/config.json and tokenizer files
            assertThat(file.require("general.architecture").asString()).isEqualTo("llama");
            assertThat(file.require("general.name").asString()).isEqualTo("tiny-llama");
            assertThat(file.require("general.alignment").asLong()).isEqualTo(32);
            assertThat(file.require("llama.context_length").asLong()).isEqualTo(512);
            assertThat(file.require("llama.embedding_length").asLong()).isEqualTo(128);
            assertThat(file.require("llama.block_count").asLong()).isEqualTo(4);
            assertThat(file.require("llama.feed_forward_length").asLong()).isEqualTo(352);
            assertThat(file.require("llama.attention.head_count").asLong()).isEqualTo(4);
            assertThat(file.require("llama.attention.head_count_kv").asLong()).isEqualTo(2);
            assertThat(file.require("llama.attention.layer_norm_rms_epsilon").asDouble()).isEqualTo(1e-5f);
            assertThat(file.require("llama.rope.freq_base").asDouble()).isEqualTo(10000f);
            assertThat(file.require("llama.rope.dimension_count").asLong()).isEqualTo(32);
            assertThat(file.require("tokenizer.ggml.model").asString()).isEqualTo("gpt2");
            assertThat(file.require("tokenizer.ggml.pre").asString()).isEqualTo("gpt2");
            List<String> tokens = file.require("tokenizer.ggml.tokens").asStrings();
            assertThat(tokens).hasSize(751);
            assertThat(tokens.subList(748, 751)).containsExactly("<s>", "</s>", "<pad>");
            List<Long> types = file.require("tokenizer.ggml.token_type").asList().stream().map(GgufValue::asLong).toList();
            assertThat(types.subList(0, 748)).containsOnly(1L);
            assertThat(types.subList(748, 751)).containsOnly(3L);
            assertThat(file.require("tokenizer.ggml.merges").asStrings()).startsWith("Ġ h", "Ġ t", "a s");
            assertThat(file.require("tokenizer.ggml.bos_token_id").asLong()).isEqualTo(748);
            assertThat(file.require("tokenizer.ggml.eos_token_id").asLong()).isEqualTo(749);
            assertThat(file.require("tokenizer.ggml.padding_token_id").asLong()).isEqualTo(750);
            assertThat(file.require("tokenizer.ggml.add_bos_token").asBoolean()).isTrue();
        }
    }

    /** A random GPT-2 checkpoint written and loaded the way users' checkpoints are, with a chat template. */
    private Path gpt2Checkpoint() throws Exception {
        Path dir = Files.createDirectories(temp.resolve("gpt2"));
        TokenizerFiles.writeByteLevel(dir, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), List.of("Ġ t", "h e"),
                "<|endoftext|>", "<|endoftext|>", null);
        ModelConfig config = ModelFactory.gpt2Config(264, 32, 2, 2, 64);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir);
             CausalLM model = ModelFactory.random(config, tokenizer, dir, 11, Device.cpu())) {
            ModelLoader.save(model, dir);
        }
        return dir;
    }

    @Test
    void randomGpt2ReadsBackWithConvWeightsTransposedAndTheTiedHeadRepeated() throws Exception {
        try (CausalLM model = ModelLoader.load(gpt2Checkpoint(), Device.cpu())) {
            for (GgufTensorType dtype : GgufTensorType.values()) {
                Path out = temp.resolve("gpt2-" + dtype.label() + ".gguf");
                GgufExport.write(model, "gpt2", dtype, out);
                GgufFile file = GgufReader.read(out);

                assertEveryTensorMatches(model, file, dtype);
                assertThat(file.require("general.architecture").asString()).isEqualTo("gpt2");
                assertThat(file.require("gpt2.attention.layer_norm_epsilon").asDouble()).isEqualTo(1e-5f);
                assertThat(file.require("gpt2.feed_forward_length").asLong()).isEqualTo(128);
                assertThat(file.tensor("blk.0.attn_qkv.weight").orElseThrow().shape()).containsExactly(96, 32);
                assertThat(file.read("output.weight")).containsExactly(file.read("token_embd.weight"));
                assertThat(file.tensor("position_embd.weight").orElseThrow().type()).isEqualTo(GgufTensorType.F32);
            }
        }
    }

    @Test
    void aModelBuiltFromTheGgufGivesTheSourceLogits() throws Exception {
        for (Path checkpoint : List.of(shippedTinyLlama(), gpt2Checkpoint())) {
            try (CausalLM model = ModelLoader.load(checkpoint, Device.cpu())) {
                Path out = temp.resolve(checkpoint.getFileName() + ".gguf");
                GgufExport.write(model, "m", GgufTensorType.F32, out);
                try (CausalLM back = GgufModels.load(GgufReader.read(out), model.config(), model.tokenizer(), null,
                        Device.cpu())) {
                    for (Map.Entry<String, NDArray> entry : model.parameters().entrySet()) {
                        assertThat(back.parameters().get(entry.getKey()).toFloatArray()).as(entry.getKey())
                                .containsExactly(entry.getValue().toFloatArray());
                    }
                }
            }
        }
    }
}
