package io.finetune4j.api;

/**
 * What every provider shares: a stable id, typed settings with defaults, and validation that runs
 * before any weights are loaded. Found with {@link java.util.ServiceLoader} through one of
 * {@code MethodProvider}, {@code ObjectiveProvider} or {@code EvaluatorProvider}: a public class with a
 * public no-arg constructor that does no work.
 *
 * @param <C> the settings record; pipeline files write its components in snake_case
 */
@Stable
public interface PluginProvider<C extends Record> {
    /** Id used in pipeline files, e.g. {@code lora}. Matches {@code [a-z][a-z0-9-]*}; stable once released. */
    String id();

    /** One line for {@code ft4j plugins} and error messages. */
    default String description() {
        return "";
    }

    /** Version shown by {@code ft4j plugins}; by default the bundle's implementation version. */
    default String version() {
        String version = getClass().getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** The settings record's class, used to bind pipeline keys onto it. */
    @SuppressWarnings("unchecked")
    default Class<C> configType() {
        return (Class<C>) defaults().getClass();
    }

    /** Settings used for every key the pipeline file leaves out; must pass {@link #validate}. */
    C defaults();

    /** Reports every invalid field, each keyed by its snake_case name; runs before any weights are loaded. */
    default void validate(C config, ConfigProblems problems) {}
}
