package io.finetune4j.runtime.model;

import io.finetune4j.api.model.TextTokenizer;
import java.util.OptionalLong;

/** A tiny tokenizer for tests: letter {@code 'a' + i} is token {@code i}; the last id is EOS. */
public final class TestTokenizer implements TextTokenizer {
    private final int vocab;
    private final long[] eos;

    public TestTokenizer(int vocab, long... eos) {
        this.vocab = vocab;
        this.eos = eos.clone();
    }

    /** A tokenizer whose only EOS is the last id. */
    public static TestTokenizer of(int vocab) {
        return new TestTokenizer(vocab, vocab - 1);
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        return text.chars().mapToLong(c -> Math.floorMod(c - 'a', vocab)).toArray();
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        StringBuilder text = new StringBuilder();
        for (long id : ids) {
            text.append((char) ('a' + id));
        }
        return text.toString();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public OptionalLong bosTokenId() {
        return OptionalLong.empty();
    }

    @Override
    public long[] eosTokenIds() {
        return eos.clone();
    }

    @Override
    public long padTokenId() {
        return eos.length > 0 ? eos[0] : 0;
    }
}
