package io.finetune4j.runtime.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.io.CheckpointWriter;
import io.finetune4j.runtime.io.LoadedTensors;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.IdsOnlyTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads and saves Hugging Face checkpoint directories (config.json, safetensors, tokenizer files). */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {}

    /**
     * Loads {@code dir}: config.json, model.safetensors (or its shards) as float32, and the tokenizer.
     * Tensors keep their Hugging Face names and file order; every tensor the architecture reads is
     * checked for presence and shape. A directory without tokenizer files loads with an
     * {@link IdsOnlyTokenizer}: ids work, text gets a clear error.
     *
     * @throws io.finetune4j.api.ConfigException naming the file, key or tensor that is wrong
     */
    public static CausalLM load(Path dir, Device device) {
        return load(dir, null, device);
    }

    /**
     * Like {@link #load(Path, Device)}, with the tokenizer read from {@code tokenizerDir} instead of {@code dir}
     * when it is not null (its files are then the ones {@link #save} copies).
     */
    public static CausalLM load(Path dir, Path tokenizerDir, Device device) {
        ModelConfig config = CheckpointReader.readConfig(dir);
        NDManager manager = NDManager.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try {
            LoadedTensors loaded = CheckpointReader.readWeights(dir, manager);
            tokenizer = tokenizer(dir, tokenizerDir, config);
            Path copyFrom = tokenizer instanceof HfTokenizer hf ? hf.dir() : null;
            return TransformerModel.create(config, loaded.tensors(), loaded.storedTypes(), tokenizer, true, copyFrom, manager,
                    weightsFile(dir).toString());
        } catch (RuntimeException e) {
            if (tokenizer instanceof HfTokenizer hf) {
                hf.close();
            }
            manager.close();
            throw e;
        }
    }

    private static TextTokenizer tokenizer(Path dir, Path tokenizerDir, ModelConfig config) {
        TextTokenizer tokenizer;
        if (tokenizerDir != null) {
            tokenizer = HfTokenizer.load(tokenizerDir);
        } else if (IdsOnlyTokenizer.hasTokenizerFiles(dir)) {
            tokenizer = HfTokenizer.load(dir);
        } else {
            LOG.info("{}: no tokenizer files; token ids work, text needs --tokenizer DIR or 'tokenizer:' in the stage", dir);
            return IdsOnlyTokenizer.of(dir, config.vocabSize());
        }
        warnOutsideVocabulary(tokenizer, config, tokenizerDir != null ? tokenizerDir : dir);
        return tokenizer;
    }

    /** transformers loads a config whose special ids exceed the model's embedding rows; so do we, with a warning. */
    private static void warnOutsideVocabulary(TextTokenizer tokenizer, ModelConfig config, Path where) {
        int vocab = config.vocabSize();
        tokenizer.bosTokenId().ifPresent(id -> {
            if (id >= vocab) {
                LOG.warn("{}: bos token id {} is outside the model's vocabulary (vocab_size {})", where, id, vocab);
            }
        });
        for (long id : tokenizer.eosTokenIds()) {
            if (id >= vocab) {
                LOG.warn("{}: eos token id {} is outside the model's vocabulary (vocab_size {})", where, id, vocab);
            }
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
