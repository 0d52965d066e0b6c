package io.finetune4j.runner.inject;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import io.finetune4j.runner.console.Console;

/** The streams the command writes to (the process's, or a test's). */
public final class ConsoleModule extends AbstractModule {
    private final Console console;

    public ConsoleModule(Console console) {
        this.console = requireNonNull(console, "console is null");
    }

    @Override
    protected void configure() {
        bind(Console.class).toInstance(console);
    }
}
