package io.finetune4j.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import java.util.Optional;

/**
 * The methods and objectives a benchmark trains with, as the runner's plugin registry gives them: the
 * provider with the id, its settings laid over the provider's defaults the way a pipeline file's keys
 * are (snake_case, unknown keys rejected), validated, then created. The bench has no discovery of its
 * own; {@code ft4j} passes its registry in.
 */
public interface BenchPlugins {
    /**
     * Creates method {@code id}; problems are reported under {@code path} and thrown as one
     * {@link io.finetune4j.api.ConfigException}. Empty when no method provider has the id.
     */
    Optional<Method> method(String id, ObjectNode settings, String path, MethodContext context);

    /** Like {@link #method}, for objective {@code id}. */
    Optional<Objective> objective(String id, ObjectNode settings, String path, ObjectiveContext context);
}
