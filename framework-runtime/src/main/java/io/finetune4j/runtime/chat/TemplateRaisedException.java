package io.finetune4j.runtime.chat;

/** Thrown by a template's {@code raise_exception(message)} call; carries the template's own message. */
final class TemplateRaisedException extends RuntimeException {
    TemplateRaisedException(String message) {
        super(message);
    }
}
