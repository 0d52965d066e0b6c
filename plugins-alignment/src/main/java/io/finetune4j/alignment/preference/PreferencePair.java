package io.finetune4j.alignment.preference;

import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.data.TokenizedExample;

/**
 * One tokenized preference row: the prompt followed by the chosen completion, and the same prompt followed
 * by the rejected one. Only completion tokens (and the EOS after them) are targets.
 *
 * @param chosen prompt + chosen completion + EOS
 * @param rejected prompt + rejected completion + EOS
 * @param source the row's file and line, for error messages
 */
public record PreferencePair(TokenizedExample chosen, TokenizedExample rejected, Source source) {}
