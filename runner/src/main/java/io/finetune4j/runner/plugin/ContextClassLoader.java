package io.finetune4j.runner.plugin;

/**
 * Sets the thread context class loader for the length of a try-with-resources block, so plugin code
 * that looks up resources or services through it (Jackson modules, ServiceLoader) sees its own bundle.
 */
final class ContextClassLoader implements AutoCloseable {
    private final Thread thread;
    private final ClassLoader previous;

    private ContextClassLoader(ClassLoader loader) {
        this.thread = Thread.currentThread();
        this.previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
    }

    static ContextClassLoader use(ClassLoader loader) {
        return new ContextClassLoader(loader);
    }

    @Override
    public void close() {
        thread.setContextClassLoader(previous);
    }
}
