package io.finetune4j.runtime.service;

import ai.djl.Device;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.model.ModelLoader;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one {@link ModelSource}: checkpoints are read with {@link ModelLoader}, vocabularies from
 * {@code config.json} alone. Stateless; the runner hands {@link #INSTANCE} to every context.
 */
@Stable
public final class CheckpointModelSource implements ModelSource {
    /** The shared instance. */
    public static final CheckpointModelSource INSTANCE = new CheckpointModelSource();

    private CheckpointModelSource() {}

    @Override
    public CausalLM load(Path modelDir, Device device) {
        return ModelLoader.load(modelDir, device);
    }

    @Override
    public int vocabSize(Path modelDir) {
        return CheckpointReader.readConfig(modelDir).vocabSize();
    }

    @Override
    public void requireSharedVocabulary(Path modelDir, int expectedVocab, String expectedWhat, String where) {
        int vocab = vocabSize(modelDir);
        if (vocab != expectedVocab) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: the checkpoint at %s has vocabulary size %d"
                    + " but %s has %d; both must share one tokenizer", where, modelDir, vocab, expectedWhat,
                    expectedVocab));
        }
    }
}
