package io.finetune4j.runtime.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.io.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A scalar reward head as Hugging Face's {@code *ForSequenceClassification} with one label: {@code score},
 * a bias-free linear map {@code [1, hidden]} applied to the final-norm hidden state of each sequence's last
 * non-padding token. Saved by the {@code reward} stage as {@code reward_head.safetensors} (tensor
 * {@code score.weight}) with {@code reward_head.json} describing it; later stages (PPO, reward evaluation)
 * load it with {@link #load} and score sequences of the same base model.
 */
@Stable
public final class RewardHead {
    public static final String WEIGHTS_FILE = "reward_head.safetensors";
    public static final String DESCRIPTION_FILE = "reward_head.json";
    public static final String TENSOR = "score.weight";

    private final NDArray weight;

    /** @param weight {@code [1, hidden]} float32 */
    public RewardHead(NDArray weight) {
        if (weight.getShape().dimension() != 2 || weight.getShape().get(0) != 1) {
            throw new IllegalArgumentException("score.weight must be [1, hidden], was " + weight.getShape());
        }
        this.weight = weight;
    }

    public NDArray weight() {
        return weight;
    }

    public int hiddenSize() {
        return (int) weight.getShape().get(1);
    }

    /**
     * Rewards of right-padded sequences: {@code score(hidden[b, lengths[b] − 1])}.
     *
     * @param hiddenStates {@code [batch, seq, hidden]}
     * @param lengths real length of each row
     * @return {@code [batch]} in the manager of {@code hiddenStates}
     */
    public static NDArray rewards(NDArray hiddenStates, int[] lengths, NDArray weight) {
        Shape shape = hiddenStates.getShape();
        int batch = (int) shape.get(0);
        int seq = (int) shape.get(1);
        float[] last = new float[batch * seq];
        for (int b = 0; b < batch; b++) {
            last[b * seq + lengths[b] - 1] = 1f;
        }
        NDArray pick = hiddenStates.getManager().create(last, new Shape(batch, seq, 1));  // [batch, seq, 1]
        NDArray pooled = hiddenStates.mul(pick).sum(new int[] {1});                         // [batch, hidden]
        // Broadcast multiply and sum instead of matMul(weight.transpose()): a transpose would land in the
        // weight's (the model's) manager, one leaked array per call.
        return pooled.mul(weight).sum(new int[] {1});                                      // [batch]
    }

    /** Rewards of whole token sequences (no gradient; for evaluation and PPO rollouts). */
    public double[] score(CausalLM model, List<long[]> sequences, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            List<TokenizedExample> rows = new ArrayList<>();
            for (long[] ids : sequences) {
                rows.add(TokenizedExample.allTargets(padToTwo(ids, model.tokenizer().padTokenId()), null));
            }
            CausalLmBatch batch = CausalLmCollator.collate(rows, model.tokenizer().padTokenId(), scope);
            int[] lengths = new int[sequences.size()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = sequences.get(i).length;
            }
            ForwardInput input = ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask())
                    .withLogits(ForwardInput.Logits.NONE);
            float[] values = rewards(model.forward(input).hiddenStates(), lengths, weight).stopGradient()
                    .toFloatArray();
            double[] result = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                result[i] = values[i];
            }
            return result;
        }
    }

    /** The collator needs two positions; a one-token sequence gets a pad that its length ignores. */
    private static long[] padToTwo(long[] ids, long pad) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("cannot score an empty sequence");
        }
        return ids.length >= 2 ? ids : new long[] {ids[0], pad};
    }

    /** Writes {@code weight} as {@code stageDir/reward_head.safetensors} plus {@code reward_head.json}. */
    public static void save(Path stageDir, NDArray weight, String modelType, double margin) {
        try {
            Files.createDirectories(stageDir);
            SafetensorsWriter.write(stageDir.resolve(WEIGHTS_FILE), Map.of(TENSOR, weight),
                    Map.of(TENSOR, DataType.FLOAT32), Map.of("format", "pt", "finetune4j", "reward_head"));
            String json = String.format(Locale.ROOT, "{%n  \"head\": \"score\",%n  \"tensor\": \"%s\",%n"
                            + "  \"shape\": [1, %d],%n  \"pooling\": \"last_non_padding_token\",%n"
                            + "  \"input\": \"final_norm_hidden_state\",%n  \"base_model_type\": \"%s\",%n"
                            + "  \"loss\": \"bradley_terry\",%n  \"margin\": %s%n}%n",
                    TENSOR, weight.getShape().get(1), modelType.replace("\"", ""), margin);
            Path temp = stageDir.resolve(DESCRIPTION_FILE + ".tmp");
            Files.writeString(temp, json, StandardCharsets.UTF_8);
            Files.move(temp, stageDir.resolve(DESCRIPTION_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the reward head into " + stageDir, e);
        }
    }

    /**
     * Reads the head a {@code reward} stage saved into {@code stageDir}, into {@code manager}.
     *
     * @throws ConfigException naming the file when it is missing or holds no {@code [1, hidden]} score.weight
     */
    public static RewardHead load(Path stageDir, NDManager manager) {
        Path file = stageDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no reward head here; train one with a 'reward' stage");
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            if (!reader.contains(TENSOR)) {
                throw new ConfigException(file + ": has no tensor '" + TENSOR + "'");
            }
            NDArray weight = reader.load(TENSOR, manager).toType(DataType.FLOAT32, false);
            Shape shape = weight.getShape();
            if (shape.dimension() != 2 || shape.get(0) != 1) {
                throw new ConfigException(file + ": '" + TENSOR + "' must have shape [1, hidden], was " + shape);
            }
            return new RewardHead(weight);
        }
    }
}
