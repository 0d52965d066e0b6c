package io.finetune4j.runner.plugin;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;

/**
 * A plugin bundle as the runner sees it: its name (the jar's or directory's file name, or
 * {@code classpath}) and the class loader its code runs with.
 */
public record Bundle(String name, ClassLoader loader) {
    public Bundle {
        requireNonNull(name, "name is null");
        requireNonNull(loader, "loader is null");
    }

    /** Runs plugin code with this bundle's loader as the thread context class loader. */
    public <T> T call(Supplier<T> code) {
        try (ContextClassLoader ignored = ContextClassLoader.use(loader)) {
            return code.get();
        }
    }

    /** Like {@link #call} for code without a result. */
    public void run(Runnable code) {
        try (ContextClassLoader ignored = ContextClassLoader.use(loader)) {
            code.run();
        }
    }
}
