package io.finetune4j.runtime.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.api.model.TextTokenizer;
import java.util.Arrays;
import java.util.Locale;

/**
 * Autoregressive decoding with a KV cache: one forward over the prompt, then one token per step with
 * only the last position's logits, greedy or sampled ({@link GenerationConfig}), until an EOS id of the
 * model's tokenizer or {@code maxNewTokens}.
 */
@Stable
public final class Generator {
    private Generator() {}

    public static GenerationResult generate(CausalLM model, long[] promptIds, GenerationConfig config) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("promptIds is empty: start from at least one token (e.g. BOS)");
        }
        long[] eos = eosIds(model.tokenizer());
        int limit = model.config().maxPositionEmbeddings() > 0 ? model.config().maxPositionEmbeddings() : Integer.MAX_VALUE;
        if (promptIds.length >= limit && config.maxNewTokens() > 0) {
            throw new ConfigException(String.format(Locale.ROOT, "the prompt has %d tokens but the model reads at most "
                    + "%d (max_position_embeddings in its config.json): no position is left to generate into; shorten "
                    + "the prompt to at most %d tokens", promptIds.length, limit, limit - 1));
        }
        Sampler sampler = new Sampler(config);
        long[] output = new long[config.maxNewTokens()];
        int produced = 0;
        String reason = "length";
        // The cache lives in the generation's manager; each step's temporaries in a step manager closed per step.
        try (NDManager generation = model.manager().getEngine().newBaseManager(model.device())) {
            KvCache cache = null;
            long[] next = promptIds;
            // A step feeds position prompt+produced-1 (the prefill: up to prompt-1), which must stay below the limit.
            while (produced < config.maxNewTokens() && promptIds.length + produced <= limit) {
                float[] logits;
                try (NDManager step = generation.newSubManager()) {
                    NDArray ids = step.create(next, new Shape(1, next.length));
                    ForwardInput input = new ForwardInput(ids, null, null, null, cache, null, false, true, ForwardInput.Logits.LAST);
                    ForwardOutput out = model.forward(input);
                    logits = out.logits().toFloatArray(); // [1, 1, vocab]
                    cache = keep(out.cache(), cache, generation);
                }
                long token = sampler.next(logits);
                output[produced++] = token;
                if (contains(eos, token)) {
                    reason = "eos";
                    break;
                }
                next = new long[] {token};
            }
        }
        return new GenerationResult(promptIds.clone(), Arrays.copyOf(output, produced), reason);
    }

    /** Moves the new cache into the generation's manager and frees the one it replaces. */
    private static KvCache keep(KvCache fresh, KvCache old, NDManager generation) {
        for (int layer = 0; layer < fresh.layers(); layer++) {
            fresh.keys(layer).attach(generation);
            fresh.values(layer).attach(generation);
            if (old != null && old.keys(layer) != fresh.keys(layer)) {
                old.keys(layer).close();
                old.values(layer).close();
            }
        }
        return fresh;
    }

    private static long[] eosIds(TextTokenizer tokenizer) {
        return tokenizer == null ? new long[0] : tokenizer.eosTokenIds();
    }

    private static boolean contains(long[] ids, long token) {
        for (long id : ids) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }
}
