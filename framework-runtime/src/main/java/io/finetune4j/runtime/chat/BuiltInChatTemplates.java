package io.finetune4j.runtime.chat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Chat templates known by name, each the exact string its model family ships in tokenizer_config.json.
 */
public final class BuiltInChatTemplates {
    /** ChatML, as TRL's {@code setup_chat_format} and transformers' former default template write it. */
    public static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'"
            + " + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\n' }}{% endif %}";

    /** meta-llama/Llama-2-7b-chat-hf. */
    public static final String LLAMA_2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message"
            + " + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
            + "{% endfor %}";

    /** meta-llama/Meta-Llama-3-8B-Instruct. */
    public static final String LLAMA_3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content']"
            + " | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
            + "{{ content }}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    /** HuggingFaceH4/zephyr-7b-beta. */
    public static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    private static final Map<String, String> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("chatml", CHATML);
        BY_NAME.put("llama-2", LLAMA_2);
        BY_NAME.put("llama-3", LLAMA_3);
        BY_NAME.put("zephyr", ZEPHYR);
    }

    private BuiltInChatTemplates() {}

    /** The template called {@code name} ({@code chatml}, {@code llama-2}, {@code llama-3}, {@code zephyr}). */
    public static Optional<String> named(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** Every built-in name, in a stable order. */
    public static java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(BY_NAME.keySet());
    }
}
