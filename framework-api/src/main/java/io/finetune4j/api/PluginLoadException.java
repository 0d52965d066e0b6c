package io.finetune4j.api;

/** A plugin bundle could not be loaded: no providers, a failing constructor, a duplicate id. */
@Stable
public class PluginLoadException extends RuntimeException {
    public PluginLoadException(String message) {
        super(message);
    }

    public PluginLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
