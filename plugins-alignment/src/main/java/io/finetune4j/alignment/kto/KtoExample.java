package io.finetune4j.alignment.kto;

import io.finetune4j.api.data.Source;

/**
 * One unpaired KTO example: a prompt, a completion and whether the completion is desirable.
 *
 * @param promptIds the prompt with the tokenizer's special tokens
 * @param completionIds the completion without special tokens (EOS not included)
 * @param desirable TRL's {@code label}
 * @param source the row's file and line
 */
record KtoExample(long[] promptIds, long[] completionIds, boolean desirable, Source source) {}
