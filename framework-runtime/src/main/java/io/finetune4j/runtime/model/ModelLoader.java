package io.finetune4j.runtime.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.io.LoadedTensors;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Loads and saves Hugging Face checkpoint directories (config.json, safetensors, tokenizer files). */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * Loads {@code dir}: config.json, model.safetensors (or its shards) as float32, and the tokenizer.
     * Tensors keep their Hugging Face names and file order; every tensor the architecture reads is
     * checked for presence and shape.
     *
     * @throws io.finetune4j.api.ConfigException naming the file, key or tensor that is wrong
     */
    public static CausalLM load(Path dir, Device device) {
        ModelConfig config = CheckpointReader.readConfig(dir);
        NDManager manager = NDManager.newBaseManager(device);
        HfTokenizer tokenizer = null;
        try {
            LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);
            tokenizer = HfTokenizer.load(dir);
            return TransformerModel.create(config, loaded.tensors(), loaded.storedTypes(), tokenizer, true, dir, manager,
                    weightsFile(dir).toString());
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * Writes {@code model} as a checkpoint directory transformers can load: its config, its
     * {@link CausalLM#parameters()} (merged replacement layers included) in the dtypes they were loaded
     * from (float32 for new tensors), and the tokenizer files of the directory it was loaded from.
     * Atomic: an existing {@code dir} is replaced only once the new one is complete.
     */
    public static void save(CausalLM model, Path dir) {
        Map<String, DataType> storedTypes = Map.of();
        Path tokenizerDir = null;
        if (model instanceof TransformerModel transformer) {
            storedTypes = transformer.storedTypes();
            tokenizerDir = transformer.tokenizerDir();
        }
        CheckpointWriter.write(dir, model.config(), model.parameters(), storedTypes, tokenizerDir);
    }

    private static Path weightsFile(Path dir) {
        Path index = dir.resolve(CheckpointReader.WEIGHTS_INDEX);
        return Files.isRegularFile(index) ? index : dir.resolve(CheckpointReader.WEIGHTS);
    }
}
