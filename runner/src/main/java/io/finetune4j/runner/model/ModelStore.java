package io.finetune4j.runner.model;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads and saves models on the device chosen with {@code --device}. */
public final class ModelStore {
    private final DeviceChoice device;

    @Inject
    public ModelStore(DeviceChoice device) {
        this.device = requireNonNull(device, "device is null");
    }

    /** A Hugging Face checkpoint directory; a {@link ConfigException} names a missing directory. */
    public ModelHandle load(Path dir, String what) {
        return load(dir, null, what);
    }

    /**
     * Like {@link #load(Path, String)} with the tokenizer of {@code tokenizerDir} ({@code --tokenizer},
     * {@code tokenizer:}) when not null; without one a checkpoint lacking tokenizer files still loads for ids.
     */
    public ModelHandle load(Path dir, Path tokenizerDir, String what) {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(what + ": no such model directory: " + dir.toAbsolutePath());
        }
        if (tokenizerDir != null && !Files.isDirectory(tokenizerDir)) {
            throw new ConfigException("tokenizer: no such directory: " + tokenizerDir.toAbsolutePath());
        }
        return new ModelHandle(ModelLoader.load(dir, tokenizerDir, device.resolve()), List.of());
    }

    /** Random weights of the architecture in {@code configFile} with the tokenizer of {@code tokenizerDir}. */
    public ModelHandle random(Path configFile, Path tokenizerDir, long seed) {
        ModelConfig config = readConfig(configFile);
        HfTokenizer tokenizer = HfTokenizer.load(tokenizerDir);
        try {
            CausalLM model = ModelFactory.random(config, tokenizer, tokenizerDir, seed, device.resolve());
            return new ModelHandle(model, List.of(tokenizer));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public void save(CausalLM model, Path dir) {
        ModelLoader.save(model, dir);
    }

    private static ModelConfig readConfig(Path file) {
        try {
            return ModelConfigJson.parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
