package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.runner.testing.Ft4jRun;
import io.finetune4j.runner.testing.TinyProject;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ft4j inspect-data} on the tiny project: its byte-level tokenizer has {@code <s>} = 256 (BOS, added by
 * encode) and {@code </s>} = 257 (EOS), so every expected id below is a byte value or one of those two.
 */
class InspectDataCommandTest {
    @TempDir
    Path temp;

    private static String pipeline(String data, int maxLength) {
        return """
                stages:
                  - name: sft
                    base: {init: model/config.json, tokenizer: tok}
                    method: full
                    objective: sft
                    data: {train: %s}
                    training: {max_length: %d}
                """.formatted(data, maxLength);
    }

    @Test
    void showsTheCompletionAsTrainedAndTheFileStatistics() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", pipeline("data/train.jsonl", 32));

        Ft4jRun result = Ft4jRun.of("inspect-data", pipeline.toString(), "--rows", "1", "--color", "never");

        assertThat(result.code()).as(result.err()).isZero();
        // "0+1=" is bytes 48 43 49 61 after BOS; the completion "1" is 49, then EOS.
        assertThat(result.out()).isEqualTo("stages[0] sft: objective sft, max_length 32, tokenizer "
                + project.dir().resolve("tok") + "\n"
                + "train.jsonl:1 (prompt/completion)\n"
                + "  sequence: 7 tokens, 2 trained\n"
                + "    text: <s>0+1=[1</s>]\n"
                + "    ids:  256 48 43 49 61 [49 257]\n"
                + "statistics:\n"
                + "  train.jsonl: 6 rows, 42 tokens, longest 7, 0 truncated, 0 dropped\n");
    }

    @Test
    void rowsWithoutTargetsAfterTruncationAreCountedAsDropped() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", pipeline("data/train.jsonl", 5));

        Ft4jRun result = Ft4jRun.of("inspect-data", pipeline.toString(), "--rows", "1", "--color", "never");

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).contains("train.jsonl:1 (prompt/completion)\n  dropped: no target token left after "
                        + "truncation to max_length 5 (the row has 7 tokens)\n")
                .endsWith("  train.jsonl: 6 rows, 0 tokens, longest 0, 0 truncated, 6 dropped\n"
                        + "    6 dropped: no target token left after truncation to max_length 5\n");
    }

    @Test
    void marksTheAssistantTurnOfAConversation() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        project.write("data/chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                + "{\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
        // TRL's default trains every token of a conversation; assistant_only_loss marks the assistant turn.
        Path pipeline = project.write("pipeline.yaml", pipeline("data/chat.jsonl", 128)
                .replace("objective: sft", "objective: {id: sft, assistant_only_loss: true}"));

        Ft4jRun result = Ft4jRun.of("inspect-data", pipeline.toString(), "--color", "always");

        assertThat(result.code()).as(result.err()).isZero();
        // No chat_template in the tokenizer: ChatML. The assistant text and its end tag are trained, the newline
        // after it is not, the appended EOS is.
        String green = "\u001B[32m";
        String reset = "\u001B[0m";
        String continuation = "\n          ";
        assertThat(result.out()).contains("    text: <|im_start|>user" + continuation + "hi<|im_end|>" + continuation
                + "<|im_start|>assistant" + continuation + green + "yo<|im_end|>" + reset + continuation + green + "</s>" + reset + "\n");
        String header = "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n";
        int untrained = header.length();
        int trained = "yo<|im_end|>".length();
        assertThat(result.out()).contains(String.format("  sequence: %d tokens, %d trained", untrained + trained + 2, trained + 1));
    }

    @Test
    void anUnknownStageIsNamedWithTheKnownOnes() {
        TinyProject project = new TinyProject(temp.resolve("project"));
        Path pipeline = project.write("pipeline.yaml", pipeline("data/train.jsonl", 32));

        Ft4jRun result = Ft4jRun.of("inspect-data", pipeline.toString(), "--stage", "dpo");

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("--stage: no stage named 'dpo'; stages: [sft]");
    }
}
