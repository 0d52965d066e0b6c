package io.finetune4j.runtime.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Jinja chat template rendered as transformers' {@code apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=...)} does (transformers {@code utils/chat_template_utils.py}: an environment with
 * {@code trim_blocks} and {@code lstrip_blocks}, the globals {@code raise_exception} and {@code strftime_now},
 * a {@code tojson} filter that is Python's {@code json.dumps}, and the tokenizer's special tokens
 * ({@code bos_token}, {@code eos_token}, ...) as variables). jinjava is the engine; this class adds what it lacks
 * for real templates: Python's string methods, TRL's {@code {% generation %}} block (whose character spans
 * {@link #render} returns) and a failure for every rendering error instead of jinjava's silent empty output.
 * Immutable and safe to share.
 */
@Stable
public final class ChatTemplate {
    /** The setting that means "the tokenizer's own template". */
    public static final String AUTO = "auto";

    private static final Pattern GENERATION_BLOCK = Pattern.compile("\\{%[-+]?\\s*generation\\s*-?%}");

    private final String source;
    /** {@link #source} rewritten where jinjava reads Jinja differently ({@link JinjaSyntax}, {@link LoopFilters}). */
    private final String rendered;
    private final String origin;
    private final Map<String, Object> variables;
    private final Jinjava jinjava;

    private ChatTemplate(String source, String origin, Map<String, String> specialTokens) {
        this.source = source;
        this.rendered = LoopFilters.rewrite(JinjaSyntax.rewrite(source));
        this.origin = origin;
        this.variables = Map.copyOf(specialTokens);
        CompositeELResolver resolvers = new CompositeELResolver();
        resolvers.add(new PythonMethodResolver());
        resolvers.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // jinjava would otherwise evaluate Jinja syntax found inside variables' values: a message
                // containing "{{ 7*7 }}" must render as written, as in Python's Jinja
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolvers)
                .build());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
        jinjava.getGlobalContext().registerExpTest(new PythonIterableTest());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        rejectWhatJinjavaWouldMisrender();
    }

    /** Constructs jinjava accepts but renders differently from Python's Jinja, reported as errors. */
    private void rejectWhatJinjavaWouldMisrender() {
        // Python's Jinja rejects an unknown filter when it compiles the template; jinjava would print the
        // unfiltered value.
        for (TemplateFilters.Use use : TemplateFilters.uses(source)) {
            if (jinjava.getGlobalContext().getFilter(use.name()) == null) {
                throw new ConfigException(String.format(Locale.ROOT, "chat template %s, template line %d: no filter named '%s'",
                        origin, use.line(), use.name()));
            }
        }
    }

    /**
     * A template from its Jinja source.
     *
     * @param origin where it came from, for messages (a file, "built-in chatml", ...)
     * @param specialTokens template variables such as {@code bos_token -> "<s>"}
     */
    public static ChatTemplate of(String source, String origin, Map<String, String> specialTokens) {
        return new ChatTemplate(source, origin, specialTokens);
    }

    /**
     * The template a setting names, with the tokenizer's special tokens as variables:
     * {@code auto} is the tokenizer's own template (tokenizer_config.json {@code chat_template}, the "default" one
     * of a list of named templates, or chat_template.jinja), else the built-in ChatML; a built-in name
     * ({@link BuiltInChatTemplates#names()}); anything else is a path to a Jinja file, resolved by {@code paths}.
     *
     * @param key the setting's name in messages, e.g. {@code chat_template}
     */
    public static ChatTemplate resolve(String setting, String key, TextTokenizer tokenizer, Function<String, Path> paths) {
        Map<String, String> tokens = specialTokens(tokenizer);
        if (setting.equals(AUTO)) {
            Optional<String> own = tokenizer.chatTemplate();
            if (own.isPresent()) {
                // tokenizer_config.json's chat_template or chat_template.jinja, whichever the tokenizer read
                String where = tokenizer instanceof HfTokenizer hf ? "chat_template of " + hf.dir()
                        : "the tokenizer's chat_template";
                return of(own.get(), where, tokens);
            }
            return of(BuiltInChatTemplates.CHATML, "built-in chatml (the tokenizer has no chat_template)", tokens);
        }
        Optional<String> builtIn = BuiltInChatTemplates.named(setting);
        if (builtIn.isPresent()) {
            return of(builtIn.get(), "built-in " + setting, tokens);
        }
        Path file = paths.apply(setting);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(String.format(Locale.ROOT,
                    "%s: '%s' is not auto, a built-in template %s or an existing Jinja file (looked at %s)",
                    key, setting, BuiltInChatTemplates.names(), file));
        }
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8), file.toString(), tokens);
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code bos_token}, {@code eos_token} and {@code pad_token} texts of the tokenizer, where it has them. */
    public static Map<String, String> specialTokens(TextTokenizer tokenizer) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (tokenizer instanceof HfTokenizer hf) {
            hf.bosToken().ifPresent(text -> tokens.put("bos_token", text));
            hf.eosToken().ifPresent(text -> tokens.put("eos_token", text));
            hf.padToken().ifPresent(text -> tokens.put("pad_token", text));
            return tokens;
        }
        tokenizer.bosTokenId().ifPresent(id -> tokens.put("bos_token", tokenizer.decode(new long[] {id}, false)));
        long[] eos = tokenizer.eosTokenIds();
        if (eos.length > 0) {
            tokens.put("eos_token", tokenizer.decode(new long[] {eos[0]}, false));
        }
        return tokens;
    }

    public String source() {
        return source;
    }

    /** Where the template came from (file, setting), as messages name it. */
    public String origin() {
        return origin;
    }

    /** True when the template marks assistant text with {@code {% generation %}} blocks. */
    public boolean hasGenerationBlocks() {
        return GENERATION_BLOCK.matcher(source).find();
    }

    /**
     * Renders {@code messages}. Every message is a mapping with {@code role} and {@code content}, as in
     * transformers.
     *
     * @throws ConfigException when the template calls {@code raise_exception} or fails to render, naming the
     *     template's origin and line
     */
    public RenderedChat render(List<Example.Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> rows = new ArrayList<>(messages.size());
        for (Example.Message message : messages) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("role", message.role());
            row.put("content", message.content());
            rows.add(row);
        }
        return render(rows, Map.of(), addGenerationPrompt);
    }

    /**
     * Renders messages given as mappings, with whatever fields transformers' message dicts carry ({@code role},
     * {@code content}, {@code tool_calls}, {@code tool_call_id}, ...), and extra template variables, as
     * {@code apply_chat_template(messages, tools=..., add_generation_prompt=..., **kwargs)} does:
     * {@code variables} holds {@code tools} (a list of JSON-schema mappings), {@code date_string} and the like.
     * Nested values are maps, lists, strings, numbers and booleans, as JSON parsing gives them.
     *
     * @throws ConfigException as {@link #render(List, boolean)}
     */
    public RenderedChat render(List<? extends Map<String, ?>> messages, Map<String, ?> variables, boolean addGenerationPrompt) {
        boolean tracked = hasGenerationBlocks();
        if (tracked) {
            for (Map<String, ?> message : messages) {
                for (Object value : message.values()) {
                    if (value instanceof String text && hasMarker(text)) {
                        throw new ConfigException("a message contains U+FDD0 or U+FDD1, Unicode noncharacters that the"
                                + " {% generation %} block of chat template " + origin + " reserves");
                    }
                }
            }
        }
        Map<String, Object> context = new LinkedHashMap<>(this.variables);
        context.putAll(variables);
        context.put("messages", new ArrayList<>(messages));
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(rendered, context);
        for (TemplateError error : result.getErrors()) {
            // jinjava reports some syntax errors (a stray end tag) as warnings; Python's Jinja refuses them
            if (error.getSeverity() == TemplateError.ErrorType.FATAL
                    || error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR) {
                throw new ConfigException(describe(error));
            }
        }
        return tracked ? spans(result.getOutput()) : new RenderedChat(result.getOutput(), List.of());
    }

    private static boolean hasMarker(String text) {
        return text != null && (text.indexOf(GenerationTag.START) >= 0 || text.indexOf(GenerationTag.END) >= 0);
    }

    private String describe(TemplateError error) {
        // jinjava reports the line of the enclosing block for errors inside a loop body, hence "near"
        String where = "chat template " + origin + (error.getLineno() > 0 ? ", near template line " + error.getLineno() : "");
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof TemplateRaisedException raised) {
                return where + ": raise_exception: " + raised.getMessage();
            }
        }
        String field = error.getFieldName() == null || error.getFieldName().isEmpty() ? "" : " in '" + error.getFieldName() + "'";
        return where + ": " + error.getMessage() + field;
    }

    /** Removes the generation markers and turns them into spans of the remaining text. */
    private RenderedChat spans(String marked) {
        StringBuilder text = new StringBuilder(marked.length());
        List<RenderedChat.Span> spans = new ArrayList<>();
        int open = -1;
        for (int i = 0; i < marked.length(); i++) {
            char c = marked.charAt(i);
            if (c == GenerationTag.START) {
                if (open >= 0) {
                    throw new ConfigException("chat template " + origin + ": {% generation %} blocks cannot be nested");
                }
                open = text.length();
            } else if (c == GenerationTag.END) {
                if (open < 0) {
                    throw new ConfigException("chat template " + origin + ": unbalanced {% generation %} output");
                }
                spans.add(new RenderedChat.Span(open, text.length()));
                open = -1;
            } else {
                text.append(c);
            }
        }
        if (open >= 0) {
            throw new ConfigException("chat template " + origin + ": unbalanced {% generation %} output");
        }
        return new RenderedChat(text.toString(), spans);
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + origin + "]";
    }
}
