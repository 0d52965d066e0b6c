package io.finetune4j.runtime.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's byte-level BPE as a Hugging Face {@code tokenizer.json}: the same layout transformers'
 * {@code GPT2Converter} produces, so the tokenizers library encodes and decodes exactly as GPT-2 does.
 */
final class ByteLevelBpe {
    static final ObjectMapper JSON = new ObjectMapper();

    /** GPT-2's {@code bytes_to_unicode}: the printable character standing for each byte value. */
    static final String[] BYTE_TO_CHAR = bytesToUnicode();

    /** A token of {@code added_tokens}. */
    record AddedToken(int id, String content, boolean special) {}

    private ByteLevelBpe() {}

    private static String[] bytesToUnicode() {
        // Printable Latin-1 bytes stand for themselves; the rest map to 256, 257, ... in byte order.
        String[] chars = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = new String(Character.toChars(printable ? b : next++));
        }
        return chars;
    }

    /**
     * The tokenizer.json tree.
     *
     * @param bosToken when non-null, a TemplateProcessing post-processor prepends it (id {@code bosId})
     * @param unkToken BPE's unknown token (GPT-2's slow tokenizer maps unknown symbols to it), or null
     */
    static ObjectNode tokenizerJson(Map<String, Integer> vocab, List<String> merges, List<AddedToken> added,
                                    boolean addPrefixSpace, String bosToken, Integer bosId, String unkToken) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode addedTokens = root.putArray("added_tokens");
        for (AddedToken token : added) {
            addedTokens.addObject()
                    .put("id", token.id())
                    .put("content", token.content())
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", token.special());
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel("ByteLevel", addPrefixSpace, true));
        if (bosToken == null) {
            root.set("post_processor", byteLevel("ByteLevel", true, false));
        } else {
            root.set("post_processor", prependBos(bosToken, bosId));
        }
        root.set("decoder", byteLevel("ByteLevel", true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unkToken == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unkToken);
        }
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode mergesNode = model.putArray("merges");
        merges.forEach(mergesNode::add);
        return root;
    }

    private static ObjectNode byteLevel(String type, boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", type);
        node.put("add_prefix_space", addPrefixSpace);
        node.put("trim_offsets", trimOffsets);
        node.put("use_regex", true);
        return node;
    }

    /** TemplateProcessing "BOS $A" (and "BOS $A BOS $B" for pairs), as Llama-3's tokenizer.json has. */
    private static ObjectNode prependBos(String bosToken, int bosId) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", "TemplateProcessing");
        ArrayNode single = node.putArray("single");
        single.add(special(bosToken, 0));
        single.add(sequence("A", 0));
        ArrayNode pair = node.putArray("pair");
        pair.add(special(bosToken, 0));
        pair.add(sequence("A", 0));
        pair.add(special(bosToken, 1));
        pair.add(sequence("B", 1));
        ObjectNode tokens = node.putObject("special_tokens").putObject(bosToken);
        tokens.put("id", bosToken);
        tokens.putArray("ids").add(bosId);
        tokens.putArray("tokens").add(bosToken);
        return node;
    }

    private static ObjectNode special(String token, int typeId) {
        ObjectNode node = JSON.createObjectNode();
        node.putObject("SpecialToken").put("id", token).put("type_id", typeId);
        return node;
    }

    private static ObjectNode sequence(String id, int typeId) {
        ObjectNode node = JSON.createObjectNode();
        node.putObject("Sequence").put("id", id).put("type_id", typeId);
        return node;
    }
}
