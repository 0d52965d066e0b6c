package io.finetune4j.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.objective.Objective;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.objective.ObjectiveProvider;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A fake of the runner's registry for the bench's tests: the built-in providers on the test class path,
 * settings laid over the defaults with a plain snake_case mapper (the runner's binder also names every
 * bad key; the benchmarks only pass good ones).
 */
final class ClassPathBenchPlugins implements BenchPlugins {
    private final ObjectMapper mapper = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    @Override
    public Optional<Method> method(String id, ObjectNode settings, String path, MethodContext context) {
        for (MethodProvider<?> provider : ServiceLoader.load(MethodProvider.class)) {
            if (provider.id().equals(id)) {
                return Optional.of(create(provider, settings, path, context));
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<Objective> objective(String id, ObjectNode settings, String path, ObjectiveContext context) {
        for (ObjectiveProvider<?> provider : ServiceLoader.load(ObjectiveProvider.class)) {
            if (provider.id().equals(id)) {
                return Optional.of(create(provider, settings, path, context));
            }
        }
        return Optional.empty();
    }

    private <C extends Record> Method create(MethodProvider<C> provider, ObjectNode settings, String path,
                                             MethodContext context) {
        C config = bind(provider.defaults(), provider.configType(), settings);
        ConfigProblems problems = ConfigProblems.at(path);
        provider.validate(config, problems);
        problems.throwIfAny();
        return provider.create(config, context);
    }

    private <C extends Record> Objective create(ObjectiveProvider<C> provider, ObjectNode settings, String path,
                                                ObjectiveContext context) {
        C config = bind(provider.defaults(), provider.configType(), settings);
        ConfigProblems problems = ConfigProblems.at(path);
        provider.validate(config, problems);
        problems.throwIfAny();
        return provider.create(config, context);
    }

    private <C extends Record> C bind(C defaults, Class<C> type, ObjectNode settings) {
        ObjectNode merged = mapper.valueToTree(defaults);
        merged.setAll(settings);
        try {
            return mapper.treeToValue(merged, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot bind " + settings + " to " + type.getSimpleName(), e);
        }
    }
}
