package io.finetune4j.api.model;

import io.finetune4j.api.Stable;
import java.util.Optional;
import java.util.OptionalLong;

/** A model's tokenizer with the special tokens its checkpoint declares. */
@Stable
public interface TextTokenizer {
    /** Token ids of {@code text}; with {@code addSpecialTokens} the tokenizer's own BOS/EOS rules apply. */
    long[] encode(String text, boolean addSpecialTokens);

    /** Text of {@code ids}; special tokens are dropped when {@code skipSpecialTokens}. */
    String decode(long[] ids, boolean skipSpecialTokens);

    int vocabSize();

    OptionalLong bosTokenId();

    /** Ids that end generation (generation_config.json may list several). */
    long[] eosTokenIds();

    /** Padding id: the declared pad token, else the first EOS id, else 0. */
    long padTokenId();

    /** The Jinja chat template of tokenizer_config.json, if any. */
    default Optional<String> chatTemplate() {
        return Optional.empty();
    }
}
