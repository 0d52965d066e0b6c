package io.finetune4j.runtime.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.runtime.chat.BuiltInChatTemplates;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OllamaModelfileTest {
    /** Qwen2.5-Instruct's template (tools branches removed): it renders ChatML whenever a system message is given. */
    private static final String QWEN = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + "
            + "messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}"
            + "{%- endif %}{%- for message in messages %}{%- if not (message.role == 'system' and loop.first) %}"
            + "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}"
            + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

    @Test
    void chatMlTemplatesBecomeOllamasChatMlWithImEndAsStop() {
        for (String template : List.of(BuiltInChatTemplates.CHATML, QWEN)) {
            String modelfile = OllamaModelfile.of("m.gguf", Optional.of(template), Map.of("eos_token", "<|endoftext|>"),
                    List.of("<|endoftext|>"));

            assertThat(modelfile).isEqualTo("""
                    FROM ./m.gguf
                    # chat template: chatml, translated from tokenizer.chat_template
                    TEMPLATE \"""{{- range .Messages }}<|im_start|>{{ .Role }}
                    {{ .Content }}<|im_end|>
                    {{ end }}<|im_start|>assistant
                    \"""
                    PARAMETER stop "<|im_end|>"
                    PARAMETER stop "<|endoftext|>"
                    """);
        }
    }

    @Test
    void llama3TemplateBecomesOllamasLlama3WithEotAsStop() {
        String modelfile = OllamaModelfile.of("l.gguf", Optional.of(BuiltInChatTemplates.LLAMA_3),
                Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|end_of_text|>"), List.of("<|end_of_text|>"));

        assertThat(modelfile).contains("# chat template: llama-3")
                .contains("TEMPLATE \"\"\"{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
                        + "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n\"\"\"")
                .contains("PARAMETER stop \"<|eot_id|>\"\nPARAMETER stop \"<|end_of_text|>\"\n");
    }

    @Test
    void otherTemplatesFallBackToThePlainPrompt() {
        String modelfile = OllamaModelfile.of("z.gguf", Optional.of(BuiltInChatTemplates.ZEPHYR),
                Map.of("eos_token", "</s>"), List.of("</s>"));

        assertThat(modelfile).isEqualTo("""
                FROM ./z.gguf
                # the tokenizer's chat template is not one ft4j translates (chatml, llama-3): prompts go to the model as they are
                TEMPLATE \"""{{ .Prompt }}\"""
                PARAMETER stop "</s>"
                """);
    }
}
