package io.finetune4j.runtime.io.gguf;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.model.ModelFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The inverse of {@link GgufExport}: a runtime model whose weights are a GGUF file's tensors, dequantised to
 * float32 and mapped back to Hugging Face names and layouts (q/k rows un-permuted, GPT-2's Conv1D weights
 * transposed back to {@code [in, out]}). The architecture comes from {@code config}, which the file's metadata
 * must agree with; the file's {@code output.weight} of a tied model and {@code rope_freqs.weight} are not
 * weights of the runtime model and are skipped.
 */
public final class GgufModels {
    private GgufModels() {}

    /** Tensors of {@code file} by Hugging Face name, in file order, as float32 arrays of {@code manager}. */
    public static Map<String, NDArray> tensors(GgufFile file, ModelConfig config, NDManager manager) {
        checkMetadata(file, config);
        GgufLayout layout = GgufLayout.of(config);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (GgufTensorInfo info : file.tensors()) {
            if (info.name().equals("rope_freqs.weight") || (config.tieWordEmbeddings() && info.name().equals("output.weight"))) {
                continue;
            }
            String hfName = layout.hfName(info.name()).orElseThrow(() -> new ConfigException(file.path() + ": tensor "
                    + info.name() + " has no Hugging Face name in the " + layout.architecture() + " architecture"));
            long[] ggufShape = info.shape();
            long[] hfShape = layout.ggufShape(hfName, ggufShape); // a transpose is its own inverse
            float[] values = layout.fromGguf(hfName, hfShape, file.read(info));
            tensors.put(hfName, manager.create(values, new Shape(hfShape)));
        }
        return tensors;
    }

    /**
     * A model of {@code config} over the tensors of {@code file}; it owns a new manager on {@code device}.
     *
     * @param tokenizer not closed by the model
     * @throws ConfigException naming the file and the key or tensor that does not fit {@code config}
     */
    public static CausalLM load(GgufFile file, ModelConfig config, TextTokenizer tokenizer, Path tokenizerDir,
                                Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Map<String, NDArray> tensors = tensors(file, config, manager);
            return ModelFactory.fromTensors(config, tensors, Map.of(), tokenizer, tokenizerDir, manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The file's architecture and shape keys against {@code config}; every mismatch is reported at once. */
    static void checkMetadata(GgufFile file, ModelConfig config) {
        String arch = GgufLayout.of(config).architecture();
        String found = file.require("general.architecture").asString();
        if (!found.equals(arch)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: general.architecture is '%s'; the model "
                    + "(model_type %s) needs '%s'", file.path(), found, config.modelType(), arch));
        }
        List<String> problems = new ArrayList<>();
        expect(file, arch + ".block_count", config.numHiddenLayers(), problems);
        expect(file, arch + ".embedding_length", config.hiddenSize(), problems);
        expect(file, arch + ".feed_forward_length", config.intermediateSize(), problems);
        expect(file, arch + ".attention.head_count", config.numAttentionHeads(), problems);
        if (!arch.equals("gpt2")) {
            expect(file, arch + ".attention.head_count_kv", config.numKeyValueHeads(), problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static void expect(GgufFile file, String key, long expected, List<String> problems) {
        Optional<GgufValue> value = file.value(key);
        if (value.isEmpty()) {
            problems.add(file.path() + ": metadata key " + key + " is missing (expected " + expected + ")");
        } else if (value.get().asLong() != expected) {
            problems.add(String.format(Locale.ROOT, "%s: %s is %d; the model's config has %d", file.path(), key,
                    value.get().asLong(), expected));
        }
    }
}
