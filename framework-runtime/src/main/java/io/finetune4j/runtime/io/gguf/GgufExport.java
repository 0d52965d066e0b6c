package io.finetune4j.runtime.io.gguf;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.RawConfig;
import io.finetune4j.runtime.model.RopeScaling;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a runtime model as a GGUF file llama.cpp and Ollama load: {@link GgufLayout}'s names and layouts,
 * {@link #metadata} and {@link GgufVocabulary}'s tokenizer keys. Tensor types follow convert_hf_to_gguf.py's
 * {@code prepare_tensors}: 1-D tensors, norms and {@code position_embd} stay F32; the rest take the requested
 * type, except that a Q8_0 tensor whose rows are not a multiple of 32 falls back to F16.
 */
public final class GgufExport {
    /** ggml's {@code GGML_QUANT_VERSION}. */
    public static final int QUANTIZATION_VERSION = 2;

    /** What was written. */
    public record Result(Path file, String architecture, Map<String, GgufTensorType> tensorTypes, long bytes) {}

    private GgufExport() {}

    /**
     * Writes {@code model} (its current {@link CausalLM#parameters()}, so a merged adapter is included) to
     * {@code output}, atomically.
     *
     * @param name {@code general.name}
     * @param dtype F32, F16 or Q8_0 for the matrices
     * @throws ConfigException naming an unsupported architecture, tokenizer or tensor
     */
    public static Result write(CausalLM model, String name, GgufTensorType dtype, Path output) {
        ModelConfig config = model.config();
        GgufLayout layout = GgufLayout.of(config);
        if (!(model.tokenizer() instanceof HfTokenizer tokenizer)) {
            throw new ConfigException("GGUF export: the model's tokenizer is not read from a tokenizer directory; "
                    + "load the model from a checkpoint directory");
        }
        Map<String, GgufValue> metadata = metadata(config, name, dtype);
        metadata.putAll(GgufVocabulary.metadata(tokenizer, config.vocabSize()));

        List<GgufTensor> tensors = new ArrayList<>();
        Map<String, GgufTensorType> types = new LinkedHashMap<>();
        ropeFrequencies(config).ifPresent(factors -> {
            tensors.add(new GgufTensor("rope_freqs.weight", new long[] {factors.length}, GgufTensorType.F32, () -> factors));
            types.put("rope_freqs.weight", GgufTensorType.F32);
        });
        for (Map.Entry<String, NDArray> entry : model.parameters().entrySet()) {
            String hfName = entry.getKey();
            NDArray array = entry.getValue();
            long[] hfShape = array.getShape().getShape();
            String ggufName = layout.ggufName(hfName);
            long[] shape = layout.ggufShape(hfName, hfShape);
            GgufTensorType type = typeFor(ggufName, shape, dtype);
            tensors.add(new GgufTensor(ggufName, shape, type, () -> layout.toGguf(hfName, hfShape, array.toFloatArray())));
            types.put(ggufName, type);
            if (layout.architecture().equals("gpt2") && config.tieWordEmbeddings() && ggufName.equals("token_embd.weight")) {
                // GPT2Model.modify_tensors: "GPT2 output is tied to (same as) wte in original model"
                GgufTensorType outputType = typeFor("output.weight", shape, dtype);
                tensors.add(new GgufTensor("output.weight", shape, outputType, array::toFloatArray));
                types.put("output.weight", outputType);
            }
        }
        GgufWriter.write(output, metadata, tensors);
        try {
            return new Result(output, layout.architecture(), types, Files.size(output));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The general and architecture keys of {@code config} ({@code <arch>.context_length}, {@code embedding_length},
     * {@code block_count}, {@code feed_forward_length}, {@code attention.head_count}, {@code head_count_kv}, the norm
     * epsilon, RoPE base, dimension count and linear scaling), as convert_hf_to_gguf.py's {@code set_gguf_parameters}.
     */
    public static Map<String, GgufValue> metadata(ModelConfig config, String name, GgufTensorType dtype) {
        String arch = GgufLayout.of(config).architecture();
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("general.architecture", GgufValue.string(arch));
        metadata.put("general.type", GgufValue.string("model"));
        metadata.put("general.name", GgufValue.string(name));
        metadata.put("general.file_type", GgufValue.uint32(fileType(dtype)));
        metadata.put("general.quantization_version", GgufValue.uint32(QUANTIZATION_VERSION));
        metadata.put(GgufWriter.ALIGNMENT_KEY, GgufValue.uint32(GgufWriter.DEFAULT_ALIGNMENT));
        metadata.put(arch + ".block_count", GgufValue.uint32(config.numHiddenLayers()));
        metadata.put(arch + ".context_length", GgufValue.uint32(config.maxPositionEmbeddings()));
        metadata.put(arch + ".embedding_length", GgufValue.uint32(config.hiddenSize()));
        metadata.put(arch + ".feed_forward_length", GgufValue.uint32(config.intermediateSize()));
        metadata.put(arch + ".attention.head_count", GgufValue.uint32(config.numAttentionHeads()));
        if (arch.equals("gpt2")) {
            metadata.put(arch + ".attention.layer_norm_epsilon", GgufValue.float32(config.normEps()));
            return metadata;
        }
        metadata.put(arch + ".attention.head_count_kv", GgufValue.uint32(config.numKeyValueHeads()));
        metadata.put(arch + ".rope.freq_base", GgufValue.float32(config.ropeTheta() > 0 ? config.ropeTheta() : 10000.0));
        metadata.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32(config.normEps()));
        if (config.raw().get("head_dim") instanceof Number) {
            metadata.put(arch + ".attention.key_length", GgufValue.uint32(config.headDim()));
            metadata.put(arch + ".attention.value_length", GgufValue.uint32(config.headDim()));
        }
        metadata.put(arch + ".vocab_size", GgufValue.uint32(config.vocabSize()));
        metadata.put(arch + ".rope.dimension_count", GgufValue.uint32(config.headDim()));
        Map<?, ?> scaling = RopeScaling.of(new RawConfig(config.raw(), "config.json"));
        if (RopeScaling.type(scaling).equals("linear")) {
            metadata.put(arch + ".rope.scaling.type", GgufValue.string("linear"));
            metadata.put(arch + ".rope.scaling.factor", GgufValue.float32(((Number) scaling.get("factor")).doubleValue()));
        }
        return metadata;
    }

    /** llama.cpp's {@code LLAMA_FTYPE}: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7. */
    static int fileType(GgufTensorType dtype) {
        return switch (dtype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
        };
    }

    /** The type convert_hf_to_gguf.py's {@code prepare_tensors} gives a tensor of {@code shape}. */
    public static GgufTensorType typeFor(String ggufName, long[] shape, GgufTensorType dtype) {
        if (shape.length <= 1 || ggufName.endsWith("_norm.weight") || ggufName.equals("position_embd.weight")
                || !ggufName.endsWith(".weight")) {
            return GgufTensorType.F32;
        }
        if (dtype == GgufTensorType.Q8_0 && shape[shape.length - 1] % Q80Codec.BLOCK != 0) {
            return GgufTensorType.F16;
        }
        return dtype;
    }

    /**
     * Llama 3's rope scaling as llama.cpp takes it: a {@code rope_freqs.weight} tensor of per-frequency divisors
     * ({@code LlamaModel.generate_extra_tensors}), here the ratio of the unscaled to the runtime's scaled inverse
     * frequencies.
     */
    static java.util.Optional<float[]> ropeFrequencies(ModelConfig config) {
        Map<?, ?> scaling = RopeScaling.of(new RawConfig(config.raw(), "config.json"));
        if (config.modelType().equals("gpt2") || !RopeScaling.type(scaling).equals("llama3")) {
            return java.util.Optional.empty();
        }
        double theta = config.ropeTheta() > 0 ? config.ropeTheta() : 10000.0;
        float[] plain = RopeScaling.inverseFrequencies(config.headDim(), theta, null, "config.json");
        float[] scaled = RopeScaling.inverseFrequencies(config.headDim(), theta, scaling, "config.json");
        float[] factors = new float[plain.length];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = plain[i] / scaled[i];
        }
        return java.util.Optional.of(factors);
    }
}
