package io.finetune4j.runtime.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * TRL's and transformers' {@code {% generation %}…{% endgeneration %}} block (the {@code AssistantTracker}
 * extension of transformers' {@code utils/chat_template_utils.py}): renders its body unchanged and marks where it
 * starts and ends. jinjava gives a tag no view of the output written so far, so the body is wrapped in two
 * Unicode noncharacters (reserved for a program's internal use, never meaningful text) that
 * {@link ChatTemplate} turns into character spans and removes.
 */
final class GenerationTag implements Tag {
    static final char START = '\uFDD0';
    static final char END = '\uFDD1';

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String getEndTagName() {
        return "endgeneration";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder body = new StringBuilder().append(START);
        for (Node child : tagNode.getChildren()) {
            body.append(child.render(interpreter).getValue());
        }
        return body.append(END).toString();
    }
}
