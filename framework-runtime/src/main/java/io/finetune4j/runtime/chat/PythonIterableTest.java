package io.finetune4j.runtime.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.IsIterableExpTest;

/**
 * Python's {@code x is iterable}: true for strings too (jinjava says false). Llama 3.x's templates test a tool
 * message's content with {@code is mapping or is iterable} and JSON-quote it when true, so the difference shows.
 */
final class PythonIterableTest extends IsIterableExpTest {
    @Override
    public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
        return value instanceof CharSequence || super.evaluate(value, interpreter, args);
    }
}
