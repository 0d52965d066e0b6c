package io.finetune4j.runner.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.plugin.LoadedPlugins;
import io.finetune4j.runner.plugin.PluginLoader;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.ModelFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline's surroundings in a temporary directory: a checkpoint directory with a real
 * {@code config.json} (no weights: validation never loads them), data files, and the built-in
 * plugins of the test classpath restricted to the ids a test names, so "known: [...]" lists stay fixed
 * as more plugins are added.
 */
public final class PipelineFixture {
    private final Path dir;

    public PipelineFixture(Path dir) {
        this.dir = dir;
        try {
            Path model = Files.createDirectories(dir.resolve("models/tiny"));
            Map<String, Object> config = ModelConfigJson.toMap(ModelFactory.llamaConfig(300, 16, 2, 2, 1, 32, 512));
            new ObjectMapper().writeValue(model.resolve("config.json").toFile(), config);
            Files.createDirectories(dir.resolve("data"));
            Files.writeString(dir.resolve("data/train.jsonl"), """
                    {"prompt": "2+2=", "completion": "4"}
                    {"prompt": "3+3=", "completion": "6"}
                    """);
            Files.writeString(dir.resolve("data/heldout.jsonl"), """
                    {"text": "one two three"}
                    {"text": "four five six"}
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Writes {@code pipeline.yaml} into the fixture directory. */
    public Path pipeline(String yaml) {
        return write("pipeline.yaml", yaml);
    }

    public Path write(String relative, String text) {
        try {
            Path file = dir.resolve(relative);
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A parser over the built-in providers with these ids (all must exist on the test classpath). */
    public static PipelineParser parser(List<String> methods, List<String> objectives, List<String> evaluators) {
        LoadedPlugins plugins = PluginLoader.load(PipelineFixture.class.getClassLoader(), null);
        return new PipelineParser(pick(plugins.methods(), methods), pick(plugins.objectives(), objectives),
                pick(plugins.evaluators(), evaluators), new ConfigBinder());
    }

    /** Like {@link #parser(List, List, List)}, with the reward functions of these ids. */
    public static PipelineParser parser(List<String> methods, List<String> objectives, List<String> evaluators,
                                        List<String> rewards) {
        LoadedPlugins plugins = PluginLoader.load(PipelineFixture.class.getClassLoader(), null);
        return new PipelineParser(pick(plugins.methods(), methods), pick(plugins.objectives(), objectives),
                pick(plugins.evaluators(), evaluators), pick(plugins.rewards(), rewards), new ConfigBinder());
    }

    /** lora, sft and perplexity. */
    public static PipelineParser parser() {
        return parser(List.of("lora"), List.of("sft"), List.of("perplexity"));
    }

    private static <P> Map<String, P> pick(Map<String, P> all, List<String> ids) {
        Map<String, P> picked = new LinkedHashMap<>();
        for (String id : ids) {
            P provider = all.get(id);
            if (provider == null) {
                throw new IllegalStateException("no built-in plugin '" + id + "' on the test classpath; found " + all.keySet());
            }
            picked.put(id, provider);
        }
        return picked;
    }
}
