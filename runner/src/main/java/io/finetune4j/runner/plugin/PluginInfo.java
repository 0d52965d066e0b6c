package io.finetune4j.runner.plugin;

/**
 * One registered provider, as {@code ft4j plugins} lists it.
 *
 * @param providerClass the provider's class name, for logs and error messages
 */
public record PluginInfo(PluginKind kind, String id, String version, String bundle, String providerClass) {}
