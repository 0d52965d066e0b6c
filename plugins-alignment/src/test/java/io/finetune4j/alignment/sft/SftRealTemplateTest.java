package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Example.Message;
import io.finetune4j.api.data.Source;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A real checkpoint's tokenizer and chat template (the Llama-2 style template and SentencePiece-style BPE of
 * hf-internal-testing/tiny-random-LlamaForCausalLM, in ../shared/fixtures).
 */
class SftRealTemplateTest {
    private static Path fixture() {
        String shared = System.getProperty("finetune4j.shared");
        Path dir = shared == null ? null : Path.of(shared, "fixtures", "ortgenai_tiny_random_llama_tokenizer");
        assumeTrue(dir != null && Files.isDirectory(dir), "../shared/fixtures is absent: skipping the real-tokenizer test");
        return dir;
    }

    @Test
    void llamaTemplateOfTheCheckpointMarksTheAssistantTurn() {
        try (HfTokenizer tokenizer = HfTokenizer.load(fixture())) {
            SftTokenizer sft = new SftTokenizer(tokenizer, new SftConfig(true, true), 256);
            List<Message> chat = List.of(new Message("user", "Hello there"), new Message("assistant", "Hi! How can I help?"));

            TokenizedExample example = sft.tokenize(new Example.Conversation(chat, new Source("chat.jsonl", 1)));

            // by hand from the template: bos + '[INST] ' + content.strip() + ' [/INST]', then ' ' + content + ' ' + eos
            String rendered = "<s>[INST] Hello there [/INST] Hi! How can I help? </s>";
            long[] ids = example.ids();
            assertThat(ids).containsExactly(tokenizer.encode(rendered, false));
            int prompt = tokenizer.encode("<s>[INST] Hello there [/INST]", false).length;
            boolean[] targets = example.targets();
            assertThat(LongStream.range(0, ids.length).filter(i -> targets[(int) i]).min().orElse(-1)).isEqualTo(prompt);
            assertThat(example.targetCount()).isEqualTo(ids.length - prompt);
            // the template ends with eos_token itself: no second EOS
            assertThat(ids[ids.length - 1]).isEqualTo(tokenizer.eosTokenIds()[0]);
            assertThat(ids[ids.length - 2]).isNotEqualTo(tokenizer.eosTokenIds()[0]);
            // the space the template writes before eos_token is a token of its own ("▁"), and a target
            assertThat(tokenizer.decode(Arrays.copyOfRange(ids, prompt, ids.length), true)).isEqualTo("Hi! How can I help? ");
        }
    }
}
