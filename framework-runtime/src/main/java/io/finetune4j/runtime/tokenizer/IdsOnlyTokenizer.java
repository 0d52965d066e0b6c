package io.finetune4j.runtime.tokenizer;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer of a checkpoint saved without tokenizer files (a bare {@code save_pretrained} of a model):
 * it knows the vocabulary size and the special ids of generation_config.json and config.json, so scoring,
 * generating by ids, merging and benchmarks work, and refuses every text with an error that says where a
 * tokenizer can come from. Ids outside the vocabulary are dropped with a warning (a real GPT-2 checkpoint
 * declares {@code bos_token_id: 50256} with a 21-token vocabulary), as transformers loads such a config.
 */
public final class IdsOnlyTokenizer implements TextTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(IdsOnlyTokenizer.class);

    private final Path dir;
    private final int vocabSize;
    private final OptionalLong bos;
    private final long[] eos;
    private final long pad;

    private IdsOnlyTokenizer(Path dir, int vocabSize, OptionalLong bos, long[] eos, long pad) {
        this.dir = dir;
        this.vocabSize = vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /** True when {@code dir} holds files {@link HfTokenizer#load} reads: tokenizer.json, or vocab.json + merges.txt. */
    public static boolean hasTokenizerFiles(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"))
                || Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"));
    }

    /** The special ids generation_config.json (first) and config.json of {@code dir} declare, within {@code vocabSize}. */
    public static IdsOnlyTokenizer of(Path dir, int vocabSize) {
        SpecialTokens.Declared declared = SpecialTokens.declared(dir, null);
        List<Long> bosIds = inVocabulary(declared.generationBos().isEmpty() ? declared.modelBos() : declared.generationBos(),
                "bos_token_id", dir, vocabSize);
        Set<Long> eosIds = new LinkedHashSet<>(inVocabulary(declared.generationEos(), "eos_token_id", dir, vocabSize));
        if (eosIds.isEmpty()) {
            eosIds.addAll(inVocabulary(declared.modelEos(), "eos_token_id", dir, vocabSize));
        }
        List<Long> padIds = inVocabulary(declared.generationPad().isEmpty() ? declared.modelPad() : declared.generationPad(),
                "pad_token_id", dir, vocabSize);
        long[] eos = eosIds.stream().mapToLong(Long::longValue).toArray();
        long pad = !padIds.isEmpty() ? padIds.get(0) : eos.length > 0 ? eos[0] : 0;
        OptionalLong bos = bosIds.isEmpty() ? OptionalLong.empty() : OptionalLong.of(bosIds.get(0));
        return new IdsOnlyTokenizer(dir, vocabSize, bos, eos, pad);
    }

    private static List<Long> inVocabulary(List<Long> ids, String key, Path dir, int vocabSize) {
        List<Long> kept = new ArrayList<>();
        for (long id : ids) {
            if (id < vocabSize) {
                kept.add(id);
            } else {
                LOG.warn("{}: {} {} is outside the vocabulary (vocab_size {}); ignored", dir, key, id, vocabSize);
            }
        }
        return kept;
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        throw missing("text must be tokenized");
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        throw missing("token ids must be decoded to text");
    }

    /** The error every text operation gets: where tokenizer files were looked for and how to give some. */
    public ConfigException missing(String what) {
        return new ConfigException(dir + ": " + what + ", but the checkpoint has no tokenizer (looked for tokenizer.json, "
                + "and for vocab.json + merges.txt); give one with --tokenizer DIR on the command line or "
                + "'tokenizer: DIR' in the pipeline stage");
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalLong bosTokenId() {
        return bos;
    }

    @Override
    public long[] eosTokenIds() {
        return eos.clone();
    }

    @Override
    public long padTokenId() {
        return pad;
    }

    @Override
    public String toString() {
        return "IdsOnlyTokenizer[" + dir + ", vocab " + vocabSize + "]";
    }
}
