/**
 * Chat templates: Hugging Face {@code apply_chat_template} semantics (Jinja with {@code trim_blocks},
 * {@code lstrip_blocks}, {@code raise_exception}, {@code strftime_now}, Python-style {@code tojson}, the
 * tokenizer's special tokens as variables) on jinjava, plus the Python string methods real templates call and
 * TRL's {@code {% generation %}} block that marks assistant text.
 */
package io.finetune4j.runtime.chat;
