package io.finetune4j.runtime.io.gguf;

import io.finetune4j.api.data.Example;
import io.finetune4j.runtime.chat.ChatTemplate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An Ollama {@code Modelfile} for an exported GGUF file: {@code FROM ./file.gguf}, a {@code TEMPLATE} in Ollama's Go
 * template language translated from the tokenizer's Jinja chat template, and {@code PARAMETER stop} for the EOS
 * tokens and the template's end-of-turn token.
 *
 * <p>A template is recognised by what it renders, not by its source: the Jinja template renders a fixed
 * system/user/assistant/user conversation with the generation prompt, and a format is chosen when the output is
 * exactly that format's rendering. Known: ChatML ({@code <|im_start|>role\n...<|im_end|>\n}, Qwen2/Qwen3 and the
 * built-in default) and Llama 3 ({@code <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>}, the BOS that
 * llama.cpp adds itself left out). Anything else (or no chat template) falls back to {@code TEMPLATE "{{ .Prompt }}"}:
 * the prompt goes to the model as it is, and a comment in the file says so.
 */
public final class OllamaModelfile {
    /** A format Ollama can run. */
    public record Translation(String format, String template, List<String> stops) {}

    static final Translation CHATML = new Translation("chatml", """
            {{- range .Messages }}<|im_start|>{{ .Role }}
            {{ .Content }}<|im_end|>
            {{ end }}<|im_start|>assistant
            """, List.of("<|im_end|>"));
    static final Translation LLAMA_3 = new Translation("llama-3", """
            {{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

            {{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

            """, List.of("<|eot_id|>"));
    private static final List<Example.Message> PROBE = List.of(new Example.Message("system", "S1"),
            new Example.Message("user", "U1"), new Example.Message("assistant", "A1"), new Example.Message("user", "U2"));

    private OllamaModelfile() {}

    /**
     * The Modelfile text.
     *
     * @param ggufFileName the GGUF file's name, in the same directory as the Modelfile
     * @param specialTokens {@code bos_token}, {@code eos_token}, ... as the chat template sees them
     * @param eosTokens texts of every EOS token
     */
    public static String of(String ggufFileName, Optional<String> chatTemplate, Map<String, String> specialTokens,
                            List<String> eosTokens) {
        Optional<Translation> translation = chatTemplate.flatMap(source -> translate(source, specialTokens));
        StringBuilder text = new StringBuilder("FROM ./").append(ggufFileName).append('\n');
        Set<String> stops = new LinkedHashSet<>();
        if (translation.isPresent()) {
            text.append("# chat template: ").append(translation.get().format()).append(", translated from tokenizer.chat_template\n");
            text.append("TEMPLATE \"\"\"").append(translation.get().template()).append("\"\"\"\n");
            stops.addAll(translation.get().stops());
        } else {
            text.append(chatTemplate.isPresent()
                    ? "# the tokenizer's chat template is not one ft4j translates (chatml, llama-3): prompts go to the model as they are\n"
                    : "# the tokenizer has no chat template: prompts go to the model as they are\n");
            text.append("TEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n");
        }
        stops.addAll(eosTokens);
        for (String stop : stops) {
            text.append("PARAMETER stop \"").append(stop.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return text.toString();
    }

    /** The Ollama format {@code chatTemplate} renders, if it is one of the known ones. */
    public static Optional<Translation> translate(String chatTemplate, Map<String, String> specialTokens) {
        String rendered;
        try {
            rendered = ChatTemplate.of(chatTemplate, "tokenizer.chat_template", specialTokens).render(PROBE, true).text();
        } catch (RuntimeException e) {
            return Optional.empty(); // a template that cannot render the probe is not one of the known formats
        }
        if (rendered.equals(chatMl())) {
            return Optional.of(CHATML);
        }
        String bos = specialTokens.getOrDefault("bos_token", "");
        String withoutBos = !bos.isEmpty() && rendered.startsWith(bos) ? rendered.substring(bos.length()) : rendered;
        if (withoutBos.equals(llama3())) {
            return Optional.of(LLAMA_3);
        }
        return Optional.empty();
    }

    private static String chatMl() {
        StringBuilder text = new StringBuilder();
        for (Example.Message message : PROBE) {
            text.append("<|im_start|>").append(message.role()).append('\n').append(message.content()).append("<|im_end|>\n");
        }
        return text.append("<|im_start|>assistant\n").toString();
    }

    private static String llama3() {
        List<String> turns = new ArrayList<>();
        for (Example.Message message : PROBE) {
            turns.add("<|start_header_id|>" + message.role() + "<|end_header_id|>\n\n" + message.content() + "<|eot_id|>");
        }
        return String.join("", turns) + "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }
}
