package io.finetune4j.alignment.sft;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.List;

/**
 * A real byte-level tokenizer with Llama-style BOS/EOS and ChatML markers, and a tiny random Llama over its
 * vocabulary (hidden 8), for SFT tests.
 */
final class TinyLm implements AutoCloseable {
    final HfTokenizer tokenizer;
    final CausalLM model;

    TinyLm(Path dir, long seed) {
        TokenizerFiles.writeByteLevel(dir, List.of("<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"),
                List.of(), "<s>", "</s>", "<pad>");
        tokenizer = HfTokenizer.load(dir);
        model = ModelFactory.random(ModelFactory.llamaConfig(tokenizer.vocabSize(), 8, 1, 2, 2, 16, 64),
                tokenizer, dir, seed, Device.cpu());
    }

    long id(String token) {
        return tokenizer.encode(token, false)[0];
    }

    ObjectiveContext context(int maxLength, Dataset... data) {
        return new Context(model, List.of(data), maxLength, 1, model.manager());
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

    record Context(CausalLM policy, List<Dataset> trainData, int maxLength, long seed, NDManager manager)
            implements ObjectiveContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }
    }
}
