package io.finetune4j.runtime.reward;

import io.finetune4j.api.Stable;

/**
 * Where a sequence-classification reward model reads its score, as transformers'
 * {@code LlamaForSequenceClassification.forward} (and every {@code *ForSequenceClassification}) does: the last
 * token whose id is not {@code pad_token_id} ({@code (token_indices * (input_ids != pad)).argmax(-1)}). TRL's
 * {@code RewardTrainer} sets the pad token to EOS when the tokenizer has none, so the score is then read at the
 * completion's last token, before the appended EOS; with a distinct pad token it is read at the EOS.
 */
@Stable
public final class LastNonPadToken {
    private LastNonPadToken() {}

    /**
     * The length to pool at (the pooled index + 1) among the first {@code length} ids of {@code ids}: one past
     * the last id other than {@code padId}, or {@code length} when every id is the pad (a degenerate row; the
     * last position is then used).
     */
    public static int poolLength(long[] ids, int length, long padId) {
        for (int t = length - 1; t >= 0; t--) {
            if (ids[t] != padId) {
                return t + 1;
            }
        }
        return length;
    }
}
